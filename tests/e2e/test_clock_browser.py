"""The program's own clock in a real browser, at a frozen 23:30 on a Wednesday
in Oregon (07:30 Thursday in UTC, the server's zone): "My sessions today" is
Wednesday's, and a discharge defaults to Wednesday, releases the patient's
future sessions and says so.

Run with `.venv/bin/python -m pytest -m e2e tests/e2e/test_clock_browser.py`.
"""

import datetime as dt
import os

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # keep the default (non-browser) run collectable without it
    if os.environ.get("CI", "").lower() == "true":
        raise
    pytest.skip("the playwright package is not installed", allow_module_level=True)

from django.utils import timezone

from openiop.scheduling.models import RosterEntry, RosterStatus, SessionType
from openiop.scheduling.services.sessions import roster_add, session_create
from tests.e2e.test_measures_browser import sign_in
from tests.scheduling_helpers import world

pytestmark = pytest.mark.e2e

NOW = dt.datetime(2026, 12, 3, 7, 30, tzinfo=dt.UTC)  # Wednesday 2 December, 23:30 PST
WEDNESDAY, THURSDAY = dt.date(2026, 12, 2), dt.date(2026, 12, 3)


@pytest.fixture
def late_evening(transactional_db, cast, settings, monkeypatch):
    settings.TIME_ZONE = "UTC"
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    from openiop.care.models import Episode

    Episode.objects.filter(pk=cast.episode_a.pk).update(admitted_on=WEDNESDAY - dt.timedelta(30))
    w = world(cast, patients=0, series=False)
    group = SessionType.objects.get(organization=cast.org, code="group_therapy")
    made = {}
    for day, hour in ((WEDNESDAY, 18), (THURSDAY, 17)):
        made[day] = session_create(
            actor=cast.director_a,
            program=cast.program_a,
            session_type=group,
            date=day,
            start_time=dt.time(hour),
            room=w.group_room,
            facilitator=cast.clinician_a,
        )
        roster_add(actor=cast.director_a, session=made[day], patient=cast.patient_a)
    return made


def test_today_and_a_discharge_at_23_30_pacific(new_page, cast, late_evening):
    page = new_page()
    sign_in(page, "clin.a")
    today = page.get_by_role("region", name="My sessions today")
    expect(today).to_contain_text("18:00")  # Wednesday's group, not Thursday's 17:00
    expect(today).not_to_contain_text("17:00")

    director = new_page()
    sign_in(director, "director.a")
    director.goto(f"/care/episodes/{cast.episode_a.uuid}/discharge/")
    expect(director.get_by_label("Discharged on")).to_have_value("2026-12-02")
    director.get_by_label("Discharge reason").select_option("completed")
    director.get_by_role("button", name="Save").click()
    expect(director.get_by_role("status")).to_contain_text("taken off 1 future session")
    thursday = RosterEntry.objects.get(session=late_evening[THURSDAY], patient=cast.patient_a)
    assert thursday.status == RosterStatus.REMOVED
    wednesday = RosterEntry.objects.get(session=late_evening[WEDNESDAY], patient=cast.patient_a)
    assert wednesday.status == RosterStatus.ENROLLED  # it already happened (18:00 < 23:30)
    # nothing of either page still in flight when the test database is flushed
    for p in (page, director):
        p.wait_for_load_state("networkidle")
