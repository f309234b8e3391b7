"""Billable days built directly (status ready, a rule, attendance, notes), so
the charge tests do not depend on the day evaluator."""

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

from django.utils import timezone

from openiop.billing.day_models import BillingDay, DayStatus
from openiop.billing.models import BillingMethod, BillingRule, Payer, RuleService
from openiop.patients.models import PayerType
from openiop.scheduling.localtime import monday, to_utc
from openiop.scheduling.models import Session, SessionType
from openiop.scheduling.records import Attendance, Note, NoteKind, NoteStatus
from openiop.scheduling.services.types import session_types_ensure
from tests.factories import EpisodeFactory, PatientFactory

ZONE = "America/Los_Angeles"
START = {"group_therapy": dt.time(17), "individual_therapy": dt.time(15)}


def types(org) -> dict:
    session_types_ensure(org)
    return {t.code: t for t in SessionType.objects.filter(organization=org)}


def payer_rule(
    org,
    *,
    name="Acme Health",
    kind=PayerType.COMMERCIAL,
    method=BillingMethod.PER_DIEM,
    services=None,
    level="2.1",
    **fields,
):
    """A payer and its rule for `level`; `services` maps a session type code
    to RuleService fields."""
    payer = Payer.objects.create(organization=org, name=name, kind=kind)
    defaults = {
        "per_diem_code": "H0015" if method == BillingMethod.PER_DIEM else "",
        "revenue_code": "0906",
        "per_diem_rate": Decimal("250.00") if method == BillingMethod.PER_DIEM else None,
    }
    rule = BillingRule.objects.create(
        organization=org,
        payer=payer,
        level_of_care=level,
        method=method,
        **{**defaults, **fields},
    )
    catalog = types(org)
    for code, row in (services or {}).items():
        RuleService.objects.create(rule=rule, session_type=catalog[code], **row)
    return payer, rule


def session(program, session_type, date, *, start=None, participants=None, signed=True):
    start = start or START.get(session_type.code, dt.time(12))
    end = (
        dt.datetime.combine(date, start) + dt.timedelta(minutes=session_type.duration_min)
    ).time()
    s = Session.objects.create(
        organization=program.organization,
        program=program,
        session_type=session_type,
        date=date,
        start_time=start,
        end_time=end,
        time_zone=ZONE,
        starts_at=to_utc(date, start, ZONE),
        ends_at=to_utc(date, end, ZONE),
        week=monday(date),
    )
    if participants is not None or signed:
        Note.objects.create(
            organization=program.organization,
            program=program,
            session=s,
            kind=NoteKind.GROUP if session_type.modality == "group" else NoteKind.DAP,
            status=NoteStatus.SIGNED if signed else NoteStatus.DRAFT,
            participants=participants or 0,
        )
    return s


def attend(s, episode, by, *, status="present"):
    return Attendance.objects.create(
        organization=s.organization,
        session=s,
        patient=episode.patient,
        episode=episode,
        status=status,
        minutes=s.minutes if status != "absent" else 0,
        date=s.date,
        week=s.week,
        recorded_by=by,
    )


def ready_day(episode, date, rule, *, tier="", status=DayStatus.READY):
    return BillingDay.objects.create(
        organization=episode.organization,
        program=episode.program,
        episode=episode,
        patient=episode.patient,
        date=date,
        week=monday(date),
        status=status,
        payer=rule.payer,
        rule=rule,
        tier=tier,
        units=1,
    )


def days_back(n: int, *, end=None) -> list[dt.date]:
    end = end or timezone.localdate() - dt.timedelta(days=1)
    return [end - dt.timedelta(days=i) for i in range(n)][::-1]


def per_diem_world(cast, *, days: int = 3, patients: int = 1, group=True):
    """`patients` episodes of program A with a ready day on each of `days`
    dates, each day a group session attended (so attendance is loaded)."""
    org = cast.org
    payer, rule = payer_rule(org, services={"group_therapy": {"counts": True, "code": "90853"}})
    catalog = types(org)
    episodes = [cast.episode_a] + [
        EpisodeFactory(
            program=cast.program_a,
            track=cast.track_a,
            patient=PatientFactory(organization=org),
        )
        for _ in range(patients - 1)
    ]
    made = []
    for date in days_back(days):
        s = session(cast.program_a, catalog["group_therapy"], date, participants=len(episodes))
        for ep in episodes:
            if group:
                attend(s, ep, cast.clinician_a)
            made.append(ready_day(ep, date, rule))
    return SimpleNamespace(payer=payer, rule=rule, days=made, episodes=episodes, types=catalog)
