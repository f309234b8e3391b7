"""Scheduling services: session types as data, windows, sessions and their
local times across DST, optimizer runs in the background, publishing,
repairs, and every refusal the issue names (nothing written on any of them)."""

import datetime as dt
import json

import pytest
from django.utils import timezone

from openiop.audit.models import AuditEvent
from openiop.core.errors import ApplicationError, Conflict
from openiop.scheduling.models import (
    PatientAvailability,
    PublishedWeek,
    RosterEntry,
    RunStatus,
    Session,
    SessionType,
    SolverRun,
    StaffHours,
    StaffLeave,
)
from openiop.scheduling.services.availability import Window, availability_replace
from openiop.scheduling.services.repair import repair_apply, repair_start
from openiop.scheduling.services.runs import solver_run_publish, solver_run_start
from openiop.scheduling.services.sessions import roster_add, session_create
from openiop.scheduling.services.types import session_type_update
from tests.scheduling_helpers import next_monday, signed_plan_with, world

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def immediate(settings):
    settings.TASKS = IMMEDIATE


def run_week(cast, week, capture, seconds=2):
    with capture(execute=True):
        run = solver_run_start(
            actor=cast.director_a, program=cast.program_a, week=week, time_limit_s=seconds
        )
    run.refresh_from_db()
    return run


def test_default_session_types_follow_the_domain_reference(cast):
    w = world(cast, patients=1, series=False)
    t = w.types
    # groups seat 6-12 by default; session types carry no billing code (payers' rules do)
    assert t["group_therapy"].min_size == 6
    assert t["group_therapy"].max_size == 12
    assert t["psychoeducation"].curriculum[0] == "The nature of addiction"
    assert {"MD", "DO", "PMHNP"} == set(t["medication_management"].credentials)
    assert not hasattr(t["psychoeducation"], "billing_code")


def test_a_group_never_seats_more_than_fifteen_and_a_session_never_lasts_a_day(cast):
    w = world(cast, patients=1, series=False)
    group = w.types["group_therapy"]
    with pytest.raises(ApplicationError) as err:
        session_type_update(actor=cast.director_a, session_type=group, max_size=16)
    assert "never more than 15" in err.value.message
    with pytest.raises(ApplicationError) as err:
        session_type_update(actor=cast.director_a, session_type=group, duration_min=1500)
    assert "one day" in err.value.message
    group.refresh_from_db()
    assert (group.max_size, group.duration_min) == (12, 90)
    updated = session_type_update(actor=cast.director_a, session_type=group, max_size=10)
    assert SessionType.objects.get(pk=updated.pk).max_size == 10


def test_overlapping_availability_windows_are_refused_and_nothing_is_written(cast):
    w = world(cast, patients=1, series=False)
    before = list(PatientAvailability.objects.filter(patient=w.patients[0]).values_list("pk"))
    windows = [Window(0, dt.time(8), dt.time(12)), Window(0, dt.time(11), dt.time(14))]
    with pytest.raises(ApplicationError) as err:
        availability_replace(actor=cast.clinician_a, patient=w.patients[0], windows=windows)
    assert err.value.message == (
        "Monday 08:00-12:00 overlaps Monday 11:00-14:00; merge them into one window."
    )
    after = list(PatientAvailability.objects.filter(patient=w.patients[0]).values_list("pk"))
    assert before == after


def test_a_session_longer_than_a_day_or_past_midnight_is_refused(cast):
    w = world(cast, patients=1, series=False)
    kwargs = dict(
        actor=cast.director_a,
        program=cast.program_a,
        session_type=w.types["psychoeducation"],
        date=timezone.localdate(),
        room=w.group_room,
    )
    with pytest.raises(ApplicationError) as err:
        session_create(start_time=dt.time(9), duration_min=1441, **kwargs)
    assert err.value.fields == {
        "duration_min": ["A session cannot last longer than a day (1440 minutes)."]
    }
    with pytest.raises(ApplicationError) as err:
        session_create(start_time=dt.time(23, 30), duration_min=60, **kwargs)
    assert "past midnight" in err.value.message
    assert not Session.objects.exists()


def test_a_facilitator_needs_a_licence_the_session_type_names(cast):
    w = world(cast, patients=1, series=False)
    with pytest.raises(ApplicationError) as err:
        session_create(
            actor=cast.director_a,
            program=cast.program_a,
            session_type=w.types["medication_management"],
            date=timezone.localdate(),
            start_time=dt.time(10),
            room=w.office,
            facilitator=cast.clinician_a,
        )
    assert "needs one of DO, MD, PMHNP" in err.value.message


def test_the_roster_refuses_a_patient_without_an_open_episode_and_a_full_session(cast):
    w = world(cast, patients=2, series=False)
    session = session_create(
        actor=cast.director_a,
        program=cast.program_a,
        session_type=w.types["individual_therapy"],
        date=timezone.localdate(),
        start_time=dt.time(10),
        room=w.office,
        facilitator=cast.clinician_a,
    )
    with pytest.raises(ApplicationError, match="no open episode"):
        roster_add(actor=cast.director_a, session=session, patient=cast.patient_b)
    roster_add(actor=cast.director_a, session=session, patient=w.patients[0])
    with pytest.raises(ApplicationError, match="full"):
        roster_add(actor=cast.director_a, session=session, patient=w.patients[1])


def test_a_director_generates_and_publishes_a_week(
    cast, immediate, django_capture_on_commit_callbacks
):
    w = world(cast)
    week = next_monday()
    run = run_week(cast, week, django_capture_on_commit_callbacks)
    assert run.status == RunStatus.DONE and run.percent == 100
    assert run.bound is not None and run.bound <= run.objective
    assert len(run.result["groups"]) == 3
    # every patient joins all three evening groups (the track's groups: no plan yet)
    assert all(len(g["patients"]) == 7 for g in run.result["groups"])
    # 3 x 90 minutes is below the 9-hour minimum: that is the objective, and it is proven
    assert run.objective == 7 * (540 - 270) == run.bound and run.gap == 0
    published = solver_run_publish(actor=cast.director_a, run=run)
    sessions = Session.objects.filter(published_week=published)
    assert sessions.count() == 3
    assert RosterEntry.objects.filter(session__in=sessions).count() == 21
    assert {s.start_time for s in sessions} == {dt.time(18)}
    assert {s.room_id for s in sessions} == {w.group_room.pk}
    run.refresh_from_db()
    assert run.status == RunStatus.PUBLISHED
    assert AuditEvent.objects.filter(event="solver.publish").count() == 1
    with pytest.raises(ApplicationError, match="published already"):
        solver_run_start(actor=cast.director_a, program=cast.program_a, week=week)


def test_a_week_with_no_staff_is_refused_before_anything_is_written(cast):
    world(cast)
    StaffHours.objects.all().delete()
    with pytest.raises(ApplicationError) as err:
        solver_run_start(actor=cast.director_a, program=cast.program_a, week=next_monday())
    assert "has no staff with working hours" in err.value.message
    assert not SolverRun.objects.exists()


def test_only_a_director_of_the_program_may_run_the_optimizer(cast):
    world(cast)
    for who in (cast.clinician_a, cast.clinician_b, cast.admin):
        with pytest.raises(ApplicationError) as err:
            solver_run_start(actor=who, program=cast.program_a, week=next_monday())
        assert err.value.status == 403
    assert not SolverRun.objects.exists()


def test_an_unmet_need_comes_back_with_its_reason(
    cast, immediate, django_capture_on_commit_callbacks
):
    """Medication management for a patient free only on weekday evenings, when the
    one prescriber works days: the week is still returned, with why."""
    from openiop.scheduling.services.availability import Window, staff_hours_replace

    w = world(cast)
    staff_hours_replace(
        actor=cast.director_a,
        user=cast.prescriber_a,
        organization=cast.org,
        windows=[Window(d, dt.time(8), dt.time(16)) for d in range(5)],
    )
    signed_plan_with(cast, w.episodes[1], [("medication", 1, "week", 25, cast.prescriber_a)])
    run = run_week(cast, next_monday(), django_capture_on_commit_callbacks)
    assert run.status == RunStatus.DONE
    assert len(run.result["groups"]) == 3  # the rest of the week is there
    unmet = [u for u in run.unmet if u["type"] == "medication_management"]
    assert unmet and unmet[0]["label"] == w.patients[1].mrn
    assert unmet[0]["reasons"][0]["message"].startswith("no evening prescriber on Mondays")


def test_sessions_stay_at_local_time_across_a_dst_change(
    cast, immediate, django_capture_on_commit_callbacks
):
    """US DST starts Sunday 2027-03-14: Monday 18:00 in Portland is 02:00 UTC the
    next day before the change (PST, UTC-8) and 01:00 UTC after it (PDT, UTC-7)."""
    world(cast)
    before, after = dt.date(2027, 3, 8), dt.date(2027, 3, 15)
    for week in (before, after):
        run = run_week(cast, week, django_capture_on_commit_callbacks, seconds=1)
        solver_run_publish(actor=cast.director_a, run=run)
    monday = {
        s.date: s for s in Session.objects.filter(date__in=[before, after], series__weekday=0)
    }
    assert monday[before].start_time == monday[after].start_time == dt.time(18)
    assert monday[before].starts_at == dt.datetime(2027, 3, 9, 2, tzinfo=dt.UTC)
    assert monday[after].starts_at == dt.datetime(2027, 3, 16, 1, tzinfo=dt.UTC)
    assert monday[after].ends_at - monday[after].starts_at == dt.timedelta(minutes=90)


def test_a_publish_after_a_discharge_is_refused_whole(
    cast, immediate, django_capture_on_commit_callbacks
):
    from openiop.care.services import episode_discharge

    w = world(cast)
    run = run_week(cast, next_monday(), django_capture_on_commit_callbacks)
    episode_discharge(
        actor=cast.director_a,
        episode=w.episodes[3],
        discharged_on=timezone.localdate(),
        reason="completed",
    )
    with pytest.raises(Conflict):
        solver_run_publish(actor=cast.director_a, run=run)
    assert not Session.objects.exists() and not PublishedWeek.objects.exists()


def test_a_clinician_off_sick_is_repaired_touching_only_their_sessions(
    cast, immediate, django_capture_on_commit_callbacks
):
    w = world(cast)
    week = next_monday()
    run = run_week(cast, week, django_capture_on_commit_callbacks)
    solver_run_publish(actor=cast.director_a, run=run)
    wednesday = Session.objects.get(week=week, date=week + dt.timedelta(days=2))
    sick = wednesday.facilitator
    with django_capture_on_commit_callbacks(execute=True):
        fix = repair_start(
            actor=cast.director_a,
            program=cast.program_a,
            week=week,
            kind="clinician_off",
            user=sick,
            starts_on=week + dt.timedelta(days=2),
            ends_on=week + dt.timedelta(days=2),
        )
    fix.refresh_from_db()
    assert fix.status == RunStatus.DONE, fix.error
    changed = {c["patient"] for c in fix.result["changes"]}
    # the Wednesday group gets another facilitator: its patients keep their sessions
    groups = {g["offer"]: g for g in fix.result["groups"]}
    assert groups[f"O{wednesday.pk}"]["facilitator"] != sick.pk
    assert changed <= {p.pk for p in w.patients}
    others = Session.objects.filter(week=week).exclude(pk=wednesday.pk)
    before = {s.pk: (s.facilitator_id, s.room_id, s.status) for s in others}
    repair_apply(actor=cast.director_a, run=fix)
    wednesday.refresh_from_db()
    assert wednesday.facilitator_id != sick.pk and wednesday.status == "scheduled"
    assert wednesday.roster.filter(status="enrolled").count() == 7
    # Monday's and Thursday's groups are untouched
    assert {s.pk: (s.facilitator_id, s.room_id, s.status) for s in others} == before
    assert StaffLeave.objects.filter(user=sick, kind="sick").count() == 1


def test_an_admission_and_a_discharge_are_repaired_touching_only_that_patient(
    cast, immediate, django_capture_on_commit_callbacks
):
    from tests.factories import EpisodeFactory, PatientFactory

    w = world(cast)
    week = next_monday()
    run = run_week(cast, week, django_capture_on_commit_callbacks)
    solver_run_publish(actor=cast.director_a, run=run)
    newcomer = EpisodeFactory(
        program=cast.program_a,
        track=cast.track_a,
        primary_clinician=cast.clinician_a,
        patient=PatientFactory(organization=cast.org),
    )
    with django_capture_on_commit_callbacks(execute=True):
        fix = repair_start(
            actor=cast.director_a,
            program=cast.program_a,
            week=week,
            kind="patient_admitted",
            patient=newcomer.patient,
        )
    fix.refresh_from_db()
    assert fix.status == RunStatus.DONE, fix.error
    assert [c["patient"] for c in fix.result["changes"]] == [newcomer.patient_id]
    assert fix.result["changes"][0]["label"] == newcomer.patient.mrn  # not a database id
    assert f"p{newcomer.patient_id}" not in json.dumps(fix.result)
    assert len(fix.result["changes"][0]["added"]) == 3  # joins the three evening groups
    assert repair_apply(actor=cast.director_a, run=fix) == 1
    assert RosterEntry.objects.filter(patient=newcomer.patient, status="enrolled").count() == 3
    # admitting them again is refused: they are in the week already
    with pytest.raises(ApplicationError, match="already has sessions"):
        repair_start(
            actor=cast.director_a,
            program=cast.program_a,
            week=week,
            kind="patient_admitted",
            patient=newcomer.patient,
        )
    with django_capture_on_commit_callbacks(execute=True):
        gone = repair_start(
            actor=cast.director_a,
            program=cast.program_a,
            week=week,
            kind="patient_discharged",
            patient=w.patients[2],
        )
    gone.refresh_from_db()
    # only the patient who left loses sessions; nobody else moves
    assert [(c["patient"], c["added"]) for c in gone.result["changes"]] == [(w.patients[2].pk, [])]
    repair_apply(actor=cast.director_a, run=gone)
    assert not RosterEntry.objects.filter(patient=w.patients[2], status="enrolled").exists()
    assert RosterEntry.objects.filter(patient=w.patients[3], status="enrolled").count() == 3
