"""Scheduling in a real browser: a director generates a week with the optimizer
(the immediate task backend runs it inside the request), reviews it, publishes
it; then marks attendance from a roster and watches the hours ledger and the
alerts react.

Run with `.venv/bin/python -m pytest -m e2e tests/e2e/test_scheduling.py`.
"""

import datetime as dt
import os
import re
from types import SimpleNamespace

import pytest

try:
    from playwright.sync_api import Page, expect
except ImportError:  # keep the default (non-browser) run collectable without it
    if os.environ.get("CI", "").lower() == "true":
        raise
    pytest.skip("the playwright package is not installed", allow_module_level=True)

from django.utils import timezone

from openiop.scheduling.models import Attendance, PublishedWeek
from tests.factories import (
    PASSWORD,
    EpisodeFactory,
    OrganizationFactory,
    ProgramFactory,
    TrackFactory,
    staff,
)
from tests.scheduling_helpers import world

pytestmark = pytest.mark.e2e
CSP_WORDS = ("Content Security Policy", "Refused")
IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def clinic(transactional_db, settings):
    settings.TASKS = IMMEDIATE
    org = OrganizationFactory(name="Riverbend Recovery (test)")
    program = ProgramFactory(organization=org, name="Adult Substance Use IOP")
    track = TrackFactory(program=program, name="Evening")
    clinician = staff("clinician", program=program, username="clin.a", display_name="Casey C")
    director = staff("program_director", program=program, username="dir.a", display_name="Dana D")
    prescriber = staff("prescriber", program=program, username="pres.a", display_name="Pat P")
    first = EpisodeFactory(
        program=program,
        track=track,
        primary_clinician=clinician,
        admitted_on=timezone.localdate() - dt.timedelta(days=20),
    )
    cast = SimpleNamespace(
        org=org,
        program_a=program,
        track_a=track,
        clinician_a=clinician,
        director_a=director,
        prescriber_a=prescriber,
        episode_a=first,
    )
    w = world(cast)
    for ep in w.episodes[1:]:
        ep.admitted_on = first.admitted_on
        ep.save()
    return SimpleNamespace(cast=cast, world=w)


def sign_in(page: Page, username: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/$"))


def test_a_director_generates_publishes_and_marks_a_week(page, clinic):
    last_week = timezone.localdate() - dt.timedelta(days=timezone.localdate().weekday() + 7)
    patient = clinic.world.patients[0]
    sign_in(page, "dir.a")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Schedule").click()
    page.get_by_role("link", name="Plan a week").first.click()
    page.get_by_label("Week").fill(last_week.isoformat())
    page.get_by_label("Time for the optimizer (seconds)").fill("2")
    page.get_by_role("button", name="Generate the week").click()
    expect(page.get_by_role("heading", name="How good is this week?")).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text("groups run")
    expect(page.locator("#progress")).to_contain_text("Ready for review")
    page.get_by_role("button", name="Publish this week").click()
    expect(page.get_by_role("status")).to_contain_text("Published the week")
    assert PublishedWeek.objects.filter(week=last_week).exists()
    blocks = page.locator('svg.sc-cal a[href*="/sessions/"]')
    expect(blocks).to_have_count(3)

    # Monday's group: everyone present but the first patient
    blocks.first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Group therapy, Monday")
    for p in clinic.world.patients:
        status = "absent" if p == patient else "present"
        page.get_by_label(f"Attendance of {p.display_name}").select_option(status)
    page.get_by_label(f"Attendance of {clinic.world.patients[1].display_name}").select_option(
        "late"
    )
    page.get_by_label(f"Minutes {clinic.world.patients[1].display_name} attended").fill("200")
    page.get_by_role("button", name="Save attendance").click()
    expect(page.get_by_role("alert").first).to_contain_text("more than the session's 90 minutes")
    assert not Attendance.objects.exists()
    page.get_by_label(f"Minutes {clinic.world.patients[1].display_name} attended").fill("75")
    page.get_by_role("button", name="Save attendance").click()
    expect(page.get_by_role("status")).to_contain_text("Attendance saved")
    assert Attendance.objects.count() == 7

    # the ledger counts it
    page.get_by_role("link", name=clinic.world.patients[1].display_name).click()
    ledger = page.get_by_role("region", name=re.compile("Weekly hours"))
    expect(ledger).to_contain_text("1.2 h")  # 75 minutes
    page.go_back()

    # Wednesday's group: the first patient misses again, and the alert appears
    page.get_by_role("link", name="← The week").click()
    blocks.nth(1).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Wednesday")
    for p in clinic.world.patients:
        page.get_by_label(f"Attendance of {p.display_name}").select_option(
            "absent" if p == patient else "present"
        )
    page.get_by_role("button", name="Save attendance").click()
    expect(page.get_by_role("status")).to_contain_text("Attendance saved")
    page.goto("/scheduling/alerts/")
    expect(page.get_by_role("main")).to_contain_text(
        f"{patient.display_name} missed the last two sessions in a row."
    )
    csp = [m for m in page.console_errors if any(w in m for w in CSP_WORDS)]
    assert csp == [], "Content-Security-Policy violations:\n" + "\n".join(csp)
