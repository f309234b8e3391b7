"""A defensible week written directly (each part has its own service tests):
patient A of program A (substance use IOP) attended 180 minutes on Monday,
Wednesday and Thursday of last week, each session with a signed note linked to
a plan objective; a signed plan, a primary diagnosis, coverage by a commercial
payer whose rule is H0015 per day (180 minutes, 3 days a week, authorization
required) and an approved authorization of 10 days. Every day is ready; a test
breaks one condition and sees the day held for that reason alone."""

import datetime as dt
import zoneinfo
from decimal import Decimal
from types import SimpleNamespace

from openiop.billing.models import (
    Authorization,
    AuthorizationStatus,
    BillingMethod,
    BillingRule,
    Payer,
    RuleService,
)
from openiop.care.plans.models import Diagnosis
from openiop.core.clock import organization_today
from openiop.patients.models import Coverage
from openiop.scheduling.models import (
    Attendance,
    Note,
    NoteEntry,
    NoteKind,
    NoteStatus,
    Session,
    SessionModality,
    SessionType,
)
from tests.scheduling_helpers import signed_plan_with


def last_week_monday(today: dt.date) -> dt.date:
    return today - dt.timedelta(days=today.weekday() + 7)


def session_on(cast, stype, day: dt.date, *, start=dt.time(9), minutes=180, program=None):
    program = program or cast.program_a
    zone = zoneinfo.ZoneInfo(program.site.time_zone)
    begins = dt.datetime.combine(day, start, tzinfo=zone)
    ends = begins + dt.timedelta(minutes=minutes)
    return Session.objects.create(
        organization=cast.org,
        program=program,
        session_type=stype,
        date=day,
        start_time=start,
        end_time=ends.time(),
        time_zone=program.site.time_zone,
        starts_at=begins,
        ends_at=ends,
        week=day - dt.timedelta(days=day.weekday()),
        facilitator=cast.clinician_a,
    )


def attend(cast, session, episode, *, minutes=180, status="present"):
    return Attendance.objects.create(
        organization=cast.org,
        session=session,
        patient=episode.patient,
        episode=episode,
        status=status,
        minutes=minutes,
        date=session.date,
        week=session.week,
        recorded_by=cast.clinician_a,
    )


def signed_note(cast, session, episode, objective, *, similar=None):
    note = Note.objects.create(
        organization=cast.org,
        program=session.program,
        session=session,
        kind=NoteKind.GROUP,
        status=NoteStatus.SIGNED,
        topic="Synthetic topic",
        group_part="Synthetic group part.",
        participants=1,
        signed_by=cast.clinician_a,
    )
    entry = NoteEntry.objects.create(
        organization=cast.org,
        note=note,
        patient=episode.patient,
        text="Synthetic individual part.",
        objective_keys=[str(objective.key)],
        similar_percent=similar,
    )
    entry.objectives.set([objective])
    return note


def ready_week(cast) -> SimpleNamespace:
    org, episode = cast.org, cast.episode_a
    today = organization_today(org.pk)
    monday = last_week_monday(today)
    episode.admitted_on = monday - dt.timedelta(days=14)
    episode.save(update_fields=["admitted_on"])
    payer = Payer.objects.create(
        organization=org, name="Synthetic Health Plan", payer_id="SYN01", kind="commercial"
    )
    stype = SessionType.objects.create(
        organization=org,
        code="iop_block",
        name="IOP group block",
        modality=SessionModality.GROUP,
        duration_min=180,
        min_size=1,
        max_size=12,
    )
    rule = BillingRule.objects.create(
        organization=org,
        payer=payer,
        level_of_care="2.1",
        method=BillingMethod.PER_DIEM,
        per_diem_code="H0015",
        revenue_code="0906",
        per_diem_rate=Decimal("250.00"),
        min_minutes_per_day=180,
        min_days_per_week=3,
        min_services_per_day=1,
        requires_authorization=True,
    )
    RuleService.objects.create(rule=rule, session_type=stype, counts=True)
    coverage = Coverage.objects.create(
        patient=episode.patient,
        payer_type="commercial",
        payer_name=payer.name,
        payer=payer,
        member_id="SYN-0001",
        starts_on=monday - dt.timedelta(days=60),
    )
    (objective,) = signed_plan_with(cast, episode, [])
    version = objective.goal.problem.version
    version.effective_on = monday - dt.timedelta(days=10)
    version.save(update_fields=["effective_on"])
    diagnosis = Diagnosis.objects.create(
        organization=org,
        patient=episode.patient,
        episode=episode,
        code="F10.20",
        description="Alcohol dependence, uncomplicated",
        category="substance_use",
        is_primary=True,
        diagnosed_on=monday - dt.timedelta(days=14),
    )
    auth = Authorization.objects.create(
        organization=org,
        episode=episode,
        patient=episode.patient,
        payer=payer,
        number="AUTH-SYN-1",
        level_of_care="2.1",
        requested_units=10,
        units=10,
        starts_on=monday - dt.timedelta(days=7),
        ends_on=monday + dt.timedelta(days=30),
        status=AuthorizationStatus.APPROVED,
    )
    days = [monday, monday + dt.timedelta(days=2), monday + dt.timedelta(days=3)]
    sessions, notes = [], []
    for day in days:
        s = session_on(cast, stype, day)
        attend(cast, s, episode)
        notes.append(signed_note(cast, s, episode, objective))
        sessions.append(s)
    return SimpleNamespace(
        today=today,
        monday=monday,
        days=days,
        payer=payer,
        rule=rule,
        stype=stype,
        coverage=coverage,
        objective=objective,
        version=version,
        diagnosis=diagnosis,
        authorization=auth,
        sessions=sessions,
        notes=notes,
        episode=episode,
    )
