"""The defensible day: one test per check, each breaking one condition of an
otherwise ready week (tests/billing_helpers.py) and seeing the day held for that
reason alone, then released when the condition is met again."""

import datetime as dt

import pytest

from openiop.billing.day_models import BillingDay, DayStatus
from openiop.billing.models import Certification, CertificationStatus
from openiop.billing.selectors import authorization_used
from openiop.billing.services.days import days_evaluate
from openiop.organizations.models import Program
from openiop.scheduling.models import Attendance, NoteEntry, NoteStatus
from tests.billing_helpers import attend, ready_week, session_on


def evaluate(cast, w):
    days_evaluate(organization=cast.org, start=w.monday, end=w.monday + dt.timedelta(days=6))
    return {d.date: d for d in BillingDay.objects.filter(episode=w.episode)}


def held(day) -> list[str]:
    return day.held_codes


@pytest.fixture
def w(cast):
    return ready_week(cast)


def test_a_week_that_meets_every_condition_is_ready(cast, w):
    days = evaluate(cast, w)
    assert sorted(days) == w.days
    assert {d.status for d in days.values()} == {DayStatus.READY}
    day = days[w.days[1]]
    assert [c["code"] for c in day.checks][:3] == ["coverage", "rule", "minutes"]
    assert all(c["ok"] is True for c in day.checks)
    assert day.payer == w.payer and day.authorization == w.authorization
    assert (day.minutes, day.services, day.units) == (180, 1, 1)


def _only(cast, w, code, when=None):
    day = evaluate(cast, w)[when or w.days[1]]
    assert day.status == DayStatus.HELD
    assert held(day) == [code], day.checks
    return day


def test_coverage_not_active_holds_the_day(cast, w):
    w.coverage.ends_on = w.days[0]
    w.coverage.save()
    day = _only(cast, w, "coverage")
    assert "No coverage is active" in day.failing[0]["reason"]
    w.coverage.ends_on = None
    w.coverage.save()
    assert evaluate(cast, w)[w.days[1]].status == DayStatus.READY


def test_coverage_without_a_payer_holds_the_day(cast, w):
    w.coverage.payer = None
    w.coverage.save()
    day = evaluate(cast, w)[w.days[1]]
    assert day.status == DayStatus.HELD and "coverage" in held(day)
    assert "not linked to a payer" in day.failing[0]["reason"]


def test_no_rule_for_the_programs_level_holds_the_day(cast, w):
    w.rule.level_of_care = "2.5"
    w.rule.save()
    day = evaluate(cast, w)[w.days[1]]
    assert held(day) == ["rule"]
    w.rule.level_of_care = "2.1"
    w.rule.save()
    assert evaluate(cast, w)[w.days[1]].status == DayStatus.READY


def test_minutes_below_the_payers_minimum_hold_the_day(cast, w):
    Attendance.objects.filter(session=w.sessions[1]).update(minutes=150, status="left_early")
    day = _only(cast, w, "minutes")
    assert day.failing[0]["reason"] == "150 minutes attended; the payer needs 180."
    Attendance.objects.filter(session=w.sessions[1]).update(minutes=180, status="present")
    assert evaluate(cast, w)[w.days[1]].status == DayStatus.READY


def test_too_few_services_hold_the_day(cast, w):
    w.rule.min_services_per_day = 2
    w.rule.save()
    _only(cast, w, "services")
    s = session_on(cast, w.stype, w.days[1], start=dt.time(13), minutes=60)
    attend(cast, s, w.episode, minutes=60)
    from tests.billing_helpers import signed_note

    signed_note(cast, s, w.episode, w.objective)
    assert evaluate(cast, w)[w.days[1]].status == DayStatus.READY


def test_too_few_days_in_the_week_hold_every_day_of_it(cast, w):
    Attendance.objects.filter(session=w.sessions[0]).update(status="absent", minutes=0)
    days = evaluate(cast, w)
    assert w.days[0] not in days  # an absent day is no billable day
    assert held(days[w.days[1]]) == ["week"]
    assert "2 days attended in the week" in days[w.days[1]].failing[0]["reason"]
    Attendance.objects.filter(session=w.sessions[0]).update(status="present", minutes=180)
    assert evaluate(cast, w)[w.days[1]].status == DayStatus.READY


def test_an_unsigned_note_holds_the_day(cast, w):
    w.notes[1].status = NoteStatus.DRAFT
    w.notes[1].save()
    day = _only(cast, w, "notes")
    assert "note not signed" in day.failing[0]["reason"]
    w.notes[1].status = NoteStatus.SIGNED
    w.notes[1].save()
    assert evaluate(cast, w)[w.days[1]].status == DayStatus.READY


def test_a_missing_note_holds_the_day(cast, w):
    w.notes[1].entries.all().delete()
    w.notes[1].delete()
    assert "no note" in _only(cast, w, "notes").failing[0]["reason"]
    from tests.billing_helpers import signed_note

    signed_note(cast, w.sessions[1], w.episode, w.objective)
    assert evaluate(cast, w)[w.days[1]].status == DayStatus.READY


def test_a_note_not_linked_to_an_objective_holds_the_day(cast, w):
    NoteEntry.objects.filter(note=w.notes[1]).update(objective_keys=[])
    assert "not linked to a plan objective" in _only(cast, w, "notes").failing[0]["reason"]
    NoteEntry.objects.filter(note=w.notes[1]).update(objective_keys=[str(w.objective.key)])
    assert evaluate(cast, w)[w.days[1]].status == DayStatus.READY


def test_a_near_identical_note_part_holds_the_day(cast, w):
    NoteEntry.objects.filter(note=w.notes[1]).update(similar_percent=93)
    assert "93% alike" in _only(cast, w, "cloned").failing[0]["reason"]
    NoteEntry.objects.filter(note=w.notes[1]).update(similar_percent=None)
    assert evaluate(cast, w)[w.days[1]].status == DayStatus.READY


def test_no_signed_plan_in_effect_holds_the_day(cast, w):
    w.version.effective_on = w.days[2]
    w.version.save()
    day = evaluate(cast, w)[w.days[1]]
    assert held(day) == ["plan"]
    assert evaluate(cast, w)[w.days[2]].status == DayStatus.READY
    w.version.effective_on = w.days[1]
    w.version.save()
    assert evaluate(cast, w)[w.days[1]].status == DayStatus.READY


def test_an_overdue_plan_review_holds_the_day(cast, w):
    Program.objects.filter(pk=cast.program_a.pk).update(plan_review_days=7)
    day = _only(cast, w, "review")
    assert "review was due on" in day.failing[0]["reason"]
    from openiop.care.plans.plan_models import PlanReview

    PlanReview.objects.create(
        plan=w.version.plan,
        version=w.version,
        reviewed_on=w.monday - dt.timedelta(days=1),
        reviewer=cast.clinician_a,
        outcome="continue",
        summary="Synthetic review.",
        next_review_on=w.monday + dt.timedelta(days=20),
    )
    assert evaluate(cast, w)[w.days[1]].status == DayStatus.READY


def test_no_primary_diagnosis_holds_the_day(cast, w):
    w.diagnosis.is_primary = False
    w.diagnosis.save()
    _only(cast, w, "diagnosis")
    w.diagnosis.is_primary = True
    w.diagnosis.save()
    assert evaluate(cast, w)[w.days[1]].status == DayStatus.READY


def test_an_authorization_not_approved_holds_the_day(cast, w):
    w.authorization.status = "requested"
    w.authorization.save()
    assert "requested, not yet approved" in _only(cast, w, "authorization").failing[0]["reason"]
    w.authorization.status = "approved"
    w.authorization.save()
    assert evaluate(cast, w)[w.days[1]].status == DayStatus.READY


def test_an_exhausted_authorization_holds_the_days_beyond_its_units(cast, w):
    w.authorization.units = 2
    w.authorization.save()
    days = evaluate(cast, w)
    assert [days[d].status for d in w.days] == ["ready", "ready", "held"]
    assert held(days[w.days[2]]) == ["authorization"]
    assert "all 2 days used" in days[w.days[2]].failing[0]["reason"]
    assert authorization_used([w.authorization.pk]) == {w.authorization.pk: 2}


def test_units_used_match_billable_days_exactly(cast, w):
    evaluate(cast, w)
    billable = BillingDay.objects.filter(
        authorization=w.authorization, status__in=("ready", "billed")
    ).count()
    assert authorization_used([w.authorization.pk])[w.authorization.pk] == billable == 3
    # a day billed already keeps its unit when the others are judged again
    BillingDay.objects.filter(date=w.days[0]).update(status="billed")
    w.authorization.units = 3
    w.authorization.save()
    evaluate(cast, w)
    assert authorization_used([w.authorization.pk])[w.authorization.pk] == 3


def test_an_authorization_of_another_level_does_not_cover_the_day(cast, w):
    w.authorization.level_of_care = "2.5"
    w.authorization.save()
    _only(cast, w, "authorization")


def test_a_medicare_day_needs_a_current_certification(cast, w):
    w.rule.requires_certification = True
    w.rule.save()
    _only(cast, w, "certification")
    Certification.objects.create(
        organization=cast.org,
        episode=w.episode,
        patient=w.episode.patient,
        kind="initial",
        status=CertificationStatus.SIGNED,
        weekly_hours=9,
        statement="Synthetic statement.",
        covers_from=w.monday - dt.timedelta(days=60),
        covers_through=w.days[0],
    )
    day = _only(cast, w, "certification")
    assert "ended on" in day.failing[0]["reason"]
    assert evaluate(cast, w)[w.days[0]].status == DayStatus.READY


def test_a_partial_hospitalization_day_the_same_day_holds_it(cast, w):
    from tests.factories import EpisodeFactory, ProgramFactory

    php = ProgramFactory(
        organization=cast.org, site=cast.program_a.site, name="PHP", level_of_care="2.5"
    )
    other = EpisodeFactory(program=php, patient=w.episode.patient)
    s = session_on(cast, w.stype, w.days[1], start=dt.time(14), minutes=60, program=php)
    mark = attend(cast, s, other, minutes=60)
    assert "condition code 41" in _only(cast, w, "php_overlap").failing[0]["reason"]
    mark.status, mark.minutes = "absent", 0
    mark.save()
    assert evaluate(cast, w)[w.days[1]].status == DayStatus.READY


def test_a_day_billed_while_it_is_judged_stays_billed(cast, w, monkeypatch):
    """A charge run moves a day to billed between the evaluation's read and its
    write: the write is made under a lock of the days still open, so the day
    stays billed (the evaluation never undoes a charge)."""
    import openiop.billing.services.days as days_module

    evaluate(cast, w)
    real = days_module.load_facts

    def load_then_bill(*args, **kwargs):
        facts = real(*args, **kwargs)
        BillingDay.objects.filter(date=w.days[1]).update(status=DayStatus.BILLED)
        return facts

    monkeypatch.setattr(days_module, "load_facts", load_then_bill)
    w.notes[1].status = NoteStatus.DRAFT  # would hold the day if it were judged
    w.notes[1].save()
    days = evaluate(cast, w)
    assert days[w.days[1]].status == DayStatus.BILLED
    assert days[w.days[1]].held_for == ""


def test_a_rule_without_a_price_holds_the_day(cast, w):
    w.rule.per_diem_rate = None
    w.rule.save()
    day = _only(cast, w, "rule")
    assert day.failing[0]["reason"] == "The rule of Synthetic Health Plan has no rate for H0015."


def test_an_expired_authorization_still_covers_the_days_of_its_span(cast, w):
    w.authorization.status = "expired"
    w.authorization.save()
    days = evaluate(cast, w)
    assert {d.status for d in days.values()} == {DayStatus.READY}
