"""Charges from ready days, and their voiding.

`charges_create` turns every *ready* day into charge lines and moves the day to
*billed*. Each day is moved first (one conditional update, `transition`) in the
same transaction as its lines, so of two runs at once, or a run restarted after
its worker died, exactly one charges a day; the unique line (day, round, line,
kind) is the second guard. The days of a run are read a chunk at a time with
their attendance and notes in a fixed number of queries, so the queries per
day are constant and the memory flat.

A charge is never edited: `charge_void` writes a voiding entry for each line of
the day's current round, moves the day back to *held* and on to the next
round, and the day is evaluated again.
"""

import datetime as dt
import logging
from collections import defaultdict
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F

from openiop.access.querysets import organizations_reached
from openiop.access.scope import grant
from openiop.access.services import deny
from openiop.audit.models import Action
from openiop.audit.services import audit_record_many
from openiop.billing.day_models import BillingDay, Charge, ChargeKind, DayStatus
from openiop.billing.models import BillingMethod
from openiop.billing.rules import rules_by_payer
from openiop.core.errors import ApplicationError, Conflict
from openiop.core.transitions import transition
from openiop.scheduling.models import SessionModality
from openiop.scheduling.records import ATTENDED, Attendance, Note, NoteStatus

log = logging.getLogger(__name__)
CHUNK = 500
JOB_NAME = "openiop nightly billing"
MEDICARE_IOP_CONDITION = "92"
ZERO = Decimal("0.00")
REASON_MAX = 300


def charges_create(*, organization, through: dt.date, program=None, actor=None) -> dict:
    """Charge every ready day of the organization (of `program`) up to `through`.

    With an actor (a page, the command line as a person) only the days of
    programs where the actor may charge; without one (the nightly job) all.
    Returns counts: days charged, lines written, days skipped (charged by
    another run meanwhile), days left ready (no line to write), the total.
    """
    if program is not None and program.organization_id != organization.pk:
        raise ApplicationError.for_field(
            "program", "That program is not one of this organization's."
        )
    if actor is not None:
        _require_charge(actor, organization, program)
        days = BillingDay.objects.visible_to(actor, "charge")
    else:
        days = BillingDay.objects.all()
    days = days.filter(organization=organization, status=DayStatus.READY, date__lte=through)
    if program is not None:
        days = days.filter(program=program)

    rules = {r.pk: r for rs in rules_by_payer(organization.pk).values() for r in rs}
    out = {"days": 0, "charges": 0, "skipped": 0, "not_charged": 0, "amount": ZERO}
    last = 0
    while True:
        ids = list(days.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:CHUNK])
        if not ids:
            break
        last = ids[-1]
        done = _charge_chunk(ids, rules, organization, actor)
        for key in out:
            out[key] += done[key]
    return out


def _require_charge(actor, organization, program) -> None:
    """The actor may charge in the program, or somewhere in the organization
    (a program-level role charges its own programs' days only)."""
    g = grant(actor, "billing.charge")
    if program is not None:
        ok = g.covers(organization_id=organization.pk, program_id=program.pk)
    else:
        ok = organization.pk in organizations_reached(g)
    if not ok:
        deny(actor, "billing.charge", action=Action.CREATE)


def charges_preview(*, actor, organization, through: dt.date, program=None) -> dict:
    """What `charges_create` would charge now: the ready days the actor may
    charge, their lines and total (read a chunk at a time, nothing written)."""
    days = BillingDay.objects.visible_to(actor, "charge").filter(
        organization=organization, status=DayStatus.READY, date__lte=through
    )
    if program is not None:
        days = days.filter(program=program)
    rules = {r.pk: r for rs in rules_by_payer(organization.pk).values() for r in rs}
    out = {"days": 0, "lines": 0, "amount": ZERO}
    last = 0
    while True:
        chunk = list(_load_days(days.filter(pk__gt=last).order_by("pk")[:CHUNK]))
        if not chunk:
            break
        last = chunk[-1].pk
        attended = _attended_by_day(chunk)
        for day in chunk:
            lines = _lines(
                day, rules.get(day.rule_id), attended.get((day.episode_id, day.date), [])
            )
            if lines:
                out["days"] += 1
                out["lines"] += len(lines)
                out["amount"] += sum((ln.amount for ln in lines), ZERO)
    return out


def _load_days(queryset):
    return queryset.select_related("payer", "patient").only(
        "id",
        "uuid",
        "organization_id",
        "program_id",
        "episode_id",
        "patient_id",
        "payer_id",
        "payer__kind",
        "patient__id",
        "patient__organization_id",
        "rule_id",
        "date",
        "status",
        "tier",
        "round",
    )


def _charge_chunk(ids, rules, organization, actor) -> dict:
    done = {"days": 0, "charges": 0, "skipped": 0, "not_charged": 0, "amount": ZERO}
    with transaction.atomic():
        chunk = list(_load_days(BillingDay.objects.filter(pk__in=ids).order_by("pk")))
        attended = _attended_by_day(chunk)
        events = []
        for day in chunk:
            if day.status != DayStatus.READY:
                done["skipped"] += 1
                continue
            lines = _lines(
                day, rules.get(day.rule_id), attended.get((day.episode_id, day.date), []), actor
            )
            if not lines:
                done["not_charged"] += 1
                continue
            try:
                with transaction.atomic():
                    transition(day, to=DayStatus.BILLED, from_=DayStatus.READY)
                    Charge.objects.bulk_create(lines)
            except (Conflict, IntegrityError):
                done["skipped"] += 1  # another run charged it a moment ago
                continue
            done["days"] += 1
            done["charges"] += len(lines)
            done["amount"] += sum((ln.amount for ln in lines), ZERO)
            events.extend(_event(actor, ln, "charge.create", Action.CREATE) for ln in lines)
        audit_record_many(events)
    return done


def _event(actor, line: Charge, event: str, action) -> dict:
    return {
        "actor": actor,
        "action": action,
        "event": event,
        "obj": line,
        "patient": line.patient,
        "organization_id": line.organization_id,
        "actor_name": None if actor is not None else JOB_NAME,
        "detail": {"code": line.code, "kind": line.kind, "round": line.round},
    }


def _attended_by_day(days) -> dict:
    """(episode id, date) -> attended sessions [(session, session type, signed
    note's participants or None)] for the days, in two queries."""
    if not days:
        return {}
    episode_ids = {d.episode_id for d in days}
    first = min(d.date for d in days)
    last = max(d.date for d in days)
    rows = list(
        Attendance.objects.filter(
            episode_id__in=episode_ids, date__gte=first, date__lte=last, status__in=ATTENDED
        )
        .select_related("session__session_type")
        .only(
            "episode_id",
            "date",
            "session__id",
            "session__starts_at",
            "session__session_type__id",
            "session__session_type__modality",
        )
        .order_by("session__starts_at", "id")
    )
    wanted = {(d.episode_id, d.date) for d in days}
    rows = [a for a in rows if (a.episode_id, a.date) in wanted]
    participants = dict(
        Note.objects.filter(
            session_id__in={a.session_id for a in rows}, status=NoteStatus.SIGNED
        ).values_list("session_id", "participants")
    )
    out: dict = defaultdict(list)
    for a in rows:
        out[(a.episode_id, a.date)].append((a.session, participants.get(a.session_id)))
    return out


def is_medicare_iop(day, rule) -> bool:
    return (
        day.payer is not None
        and day.payer.is_medicare
        and rule.condition_code == MEDICARE_IOP_CONDITION
    )


def _lines(day, rule, attended, actor=None) -> list[Charge]:
    """The charge lines of a day under its rule (unsaved), numbered from 1."""
    if rule is None or day.payer_id is None:
        return []
    medicare = is_medicare_iop(day, rule)
    services = {s.session_type_id: s for s in rule.services.all()}
    lines: list[Charge] = []

    def add(code, amount, *, revenue_code="", session=None, participants=None):
        lines.append(
            Charge(
                organization_id=day.organization_id,
                program_id=day.program_id,
                day=day,
                episode_id=day.episode_id,
                patient=day.patient,
                payer_id=day.payer_id,
                kind=ChargeKind.CHARGE,
                round=day.round,
                line=len(lines) + 1,
                service_date=day.date,
                code=code,
                revenue_code=revenue_code,
                units=1,
                amount=amount if amount is not None else ZERO,
                condition_code=rule.condition_code,
                tier=day.tier if medicare else "",
                participants=participants,
                session=session,
                created_by=actor,
            )
        )

    per_diem = rule.method == BillingMethod.PER_DIEM
    if per_diem:
        if not rule.per_diem_code:
            return []
        add(
            rule.per_diem_code,
            _per_diem_amount(day, rule, medicare),
            revenue_code=rule.revenue_code,
        )
    for session, note_participants in attended:
        service = services.get(session.session_type_id)
        if service is None or not service.code:
            continue
        if per_diem and not service.bills_separately:
            continue
        if not per_diem and not (service.counts or service.bills_separately):
            continue
        group = session.session_type.modality == SessionModality.GROUP
        add(
            service.code,
            service.rate,
            revenue_code="" if per_diem else rule.revenue_code,
            session=session,
            participants=note_participants if group and note_participants else None,
        )
    return lines


def _per_diem_amount(day, rule, medicare: bool):
    if medicare:
        tiered = {"3": rule.tier_3_rate, "4": rule.tier_4_rate}.get(day.tier)
        if tiered is not None:
            return tiered
    return rule.per_diem_rate


def charge_void(*, actor, charge_or_day, reason: str) -> list[Charge]:
    """Reverse a day's charges: a voiding entry for each line of its current
    round (never an edit), the day back to held and on to its next round, then
    evaluated again. A reason is required."""
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError.for_field("reason", "Say why the charges are voided.")
    if len(reason) > REASON_MAX:
        raise ApplicationError.for_field(
            "reason", f"Keep the reason to {REASON_MAX} characters or fewer."
        )
    day_id = charge_or_day.day_id if isinstance(charge_or_day, Charge) else charge_or_day.pk
    day = BillingDay.objects.visible_to(actor, "manage").filter(pk=day_id).first()
    if day is None:
        deny(actor, "billing.manage", action=Action.UPDATE)
    with transaction.atomic():
        transition(
            day,
            to=DayStatus.HELD,
            from_=DayStatus.BILLED,
            round=F("round") + 1,
            message="This day is not billed (its charges were voided or it was never charged).",
        )
        day.refresh_from_db(fields=["round"])
        voided_round = day.round - 1
        lines = list(
            Charge.objects.filter(day=day, round=voided_round, kind=ChargeKind.CHARGE)
            .select_related("patient")
            .order_by("line")
        )
        voids = Charge.objects.bulk_create(
            [
                Charge(
                    organization_id=c.organization_id,
                    program_id=c.program_id,
                    day=day,
                    episode_id=c.episode_id,
                    patient=c.patient,
                    payer_id=c.payer_id,
                    kind=ChargeKind.VOID,
                    round=c.round,
                    line=c.line,
                    voids=c,
                    service_date=c.service_date,
                    code=c.code,
                    revenue_code=c.revenue_code,
                    units=c.units,
                    amount=-c.amount,
                    condition_code=c.condition_code,
                    tier=c.tier,
                    participants=c.participants,
                    session_id=c.session_id,
                    reason=reason,
                    created_by=actor,
                )
                for c in lines
            ]
        )
        audit_record_many([_event(actor, v, "charge.void", Action.UPDATE) for v in voids])
        transaction.on_commit(lambda: _recheck(day))
    return voids


def _recheck(day) -> None:
    """Judge the voided day again (the evaluator's `days_evaluate` for that
    date and episode, however old the day). A failure is logged, never
    raised: the void stands and the nightly evaluation judges recent days."""
    from openiop.billing.services.days import days_evaluate

    try:
        days_evaluate(
            organization=day.organization,
            start=day.date,
            end=day.date,
            episode_ids=[day.episode_id],
        )
    except Exception:  # noqa: BLE001
        log.warning("Could not judge a voided day again", exc_info=True)
