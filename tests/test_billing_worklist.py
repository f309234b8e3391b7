"""The billing worklist and one day's page: held days by reason with the link
that fixes each, overrides and write-offs with their reason, a clinician's own
held days, and days judged again when the record changes."""

import datetime as dt

import pytest

from openiop.audit.models import AuditEvent
from openiop.billing.day_models import BillingDay, DayOverride, DayStatus
from openiop.billing.services.days import days_evaluate
from openiop.scheduling.models import NoteStatus
from tests.billing_helpers import ready_week


@pytest.fixture
def w(cast):
    w = ready_week(cast)
    w.notes[1].status = NoteStatus.DRAFT
    w.notes[1].save()
    days_evaluate(organization=cast.org, start=w.monday, end=w.monday + dt.timedelta(days=6))
    w.held = BillingDay.objects.get(date=w.days[1])
    return w


def test_the_worklist_shows_held_days_by_reason_with_the_fix_one_click_away(cast, w):
    page = cast.client("readonly_a").get("/billing/", {"from": w.monday.isoformat()})
    html = page.content.decode()
    assert page.status_code == 200
    assert "Every attended service has a signed note" in html
    assert f"/scheduling/sessions/{w.sessions[1].uuid}/" in html  # where the note is signed
    assert w.episode.patient.mrn in html
    # billing sees no clinical narrative
    assert "Synthetic individual part" not in html and "Synthetic objective" not in html


def test_the_worklist_filters_by_reason_and_status(cast, w):
    c = cast.client("readonly_a")
    base = {"from": w.monday.isoformat()}
    assert w.episode.patient.mrn in c.get("/billing/", {**base, "reason": "notes"}).content.decode()
    assert (
        w.episode.patient.mrn
        not in c.get("/billing/", {**base, "reason": "diagnosis"}).content.decode()
    )
    ready = c.get("/billing/", {**base, "status": "ready"}).content.decode()
    assert ready.count("/billing/days/") == 2


def test_the_worklist_reads_in_a_fixed_number_of_queries(cast, w, django_assert_max_num_queries):
    c = cast.client("readonly_a")
    c.get("/billing/")
    with django_assert_max_num_queries(14):
        c.get("/billing/", {"from": w.monday.isoformat(), "status": "all"})


def test_another_programs_billing_user_sees_nothing(cast, w):
    from tests.factories import staff

    other = staff("billing", program=cast.program_b, username="billing.b")
    c = cast.client(None)
    c.force_login(other)
    assert w.episode.patient.mrn not in c.get("/billing/", {"status": "all"}).content.decode()
    assert c.get(f"/billing/days/{w.held.uuid}/").status_code == 404


def test_an_override_needs_a_reason_and_releases_the_day(cast, w):
    c = cast.client("readonly_a")
    c.post(f"/billing/days/{w.held.uuid}/override/", {"check": "notes", "reason": "  "})
    assert not DayOverride.objects.exists()
    assert BillingDay.objects.get(pk=w.held.pk).status == DayStatus.HELD
    c.post(
        f"/billing/days/{w.held.uuid}/override/",
        {"check": "notes", "reason": "Paper note signed on the day, scanned to the chart."},
    )
    day = BillingDay.objects.get(pk=w.held.pk)
    assert day.status == DayStatus.READY
    assert [c["overridden"] for c in day.checks if c["code"] == "notes"] == [True]
    assert AuditEvent.objects.filter(event="billing.override").count() == 1


def test_a_program_director_cannot_override(cast, w):
    c = cast.client("director_a")
    c.post(f"/billing/days/{w.held.uuid}/override/", {"check": "notes", "reason": "Because."})
    assert not DayOverride.objects.exists()


def test_coverage_cannot_be_overridden(cast, w):
    from openiop.billing.services.days import day_override
    from openiop.core.errors import ApplicationError

    w.coverage.payer = None
    w.coverage.save()
    days_evaluate(organization=cast.org, start=w.days[1], end=w.days[1])
    day = BillingDay.objects.get(pk=w.held.pk)
    with pytest.raises(ApplicationError):
        day_override(actor=cast.readonly_a, day=day, check_code="coverage", reason="No.")
    assert not DayOverride.objects.exists()


def test_a_write_off_needs_a_reason_and_is_never_judged_again(cast, w):
    c = cast.client("readonly_a")
    c.post(f"/billing/days/{w.held.uuid}/write-off/", {"reason": ""})
    assert BillingDay.objects.get(pk=w.held.pk).status == DayStatus.HELD
    c.post(f"/billing/days/{w.held.uuid}/write-off/", {"reason": "Past timely filing."})
    assert BillingDay.objects.get(pk=w.held.pk).status == DayStatus.WRITTEN_OFF
    w.notes[1].status = NoteStatus.SIGNED
    w.notes[1].save()
    days_evaluate(organization=cast.org, start=w.monday, end=w.days[2])
    assert BillingDay.objects.get(pk=w.held.pk).status == DayStatus.WRITTEN_OFF


def test_a_clinician_sees_their_own_held_days(cast, w):
    home = cast.client("clinician_a").get("/").content.decode()
    assert "1 day of your patients is held" in home
    mine = cast.client("clinician_a").get("/billing/mine/").content.decode()
    assert "note not signed" in mine
    assert "1 day" not in cast.client("clinician_b").get("/").content.decode()


def test_signing_the_note_releases_the_day(cast, w, django_capture_on_commit_callbacks):
    from openiop.scheduling.services.notes import note_sign

    w.notes[1].signed_by = None
    w.notes[1].save()
    with django_capture_on_commit_callbacks(execute=True):
        note_sign(actor=cast.clinician_a, note=w.notes[1])
    assert BillingDay.objects.get(pk=w.held.pk).status == DayStatus.READY


def test_one_transaction_judges_its_episodes_once(cast, w, django_capture_on_commit_callbacks):
    from django.db import transaction

    from openiop.billing.services.days import recheck_later

    before = AuditEvent.objects.filter(event="billing.evaluate").count()
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        recheck_later([w.episode.pk])
        recheck_later([w.episode.pk, cast.episode_b.pk])
    assert len(callbacks) == 1
    assert AuditEvent.objects.filter(event="billing.evaluate").count() == before + 1


def test_a_write_off_is_reopened_with_a_reason_and_judged_again(cast, w):
    c = cast.client("readonly_a")
    c.post(f"/billing/days/{w.held.uuid}/write-off/", {"reason": "Entered by mistake."})
    page = c.post(
        f"/billing/days/{w.held.uuid}/override/", {"check": "notes", "reason": "x"}, follow=True
    )
    assert "written off; reopen it first" in page.content.decode()
    c.post(f"/billing/days/{w.held.uuid}/reopen/", {"reason": ""})
    assert BillingDay.objects.get(pk=w.held.pk).status == DayStatus.WRITTEN_OFF
    w.notes[1].status = NoteStatus.SIGNED
    w.notes[1].save()
    c.post(f"/billing/days/{w.held.uuid}/reopen/", {"reason": "Written off by mistake."})
    day = BillingDay.objects.get(pk=w.held.pk)
    assert (day.status, day.written_off_reason) == (DayStatus.READY, "")
    assert AuditEvent.objects.filter(event="billing.reopen").count() == 1


def test_a_medicare_day_names_its_condition_code_and_type_of_bill(cast, w):
    from openiop.billing.models import BillingProfile

    BillingProfile.objects.create(organization=cast.org, provider_kind="cmhc")
    w.rule.condition_code = "92"
    w.rule.save()
    days_evaluate(organization=cast.org, start=w.days[1], end=w.days[1])
    page = cast.client("readonly_a").get(f"/billing/days/{w.held.uuid}/").content.decode()
    assert "condition code 92, type of bill 76X" in page
