"""Evaluating billable days, and what a billing user decides about one.

`days_evaluate` judges every patient-day with an attended service between two
dates, a chunk of episodes at a time (a fixed number of queries per chunk),
and writes one `BillingDay` per patient and date: *ready* when every check
passes, *held* with the failing checks otherwise. Billed and written-off days
are never judged again. The rows are written under a lock of the open days, so
a charge run moving a day to *billed* at the same moment is never undone.
"""

import datetime as dt
import logging
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from openiop.access.services import require
from openiop.audit.models import Action
from openiop.audit.services import audit_record
from openiop.billing.checks import BY_CODE
from openiop.billing.day_models import OPEN_STATUSES, BillingDay, DayOverride, DayStatus
from openiop.billing.evaluate import judge, load_facts, monday
from openiop.billing.rules import rules_by_payer
from openiop.care.models import Episode, EpisodeStatus
from openiop.core.clock import organization_today
from openiop.core.errors import ApplicationError
from openiop.core.transitions import transition

log = logging.getLogger(__name__)
CHUNK = 400  # episodes judged together
RECHECK_DAYS = 90  # how far back a recheck of an episode looks
WRITTEN_FIELDS = [
    "status",
    "payer",
    "rule",
    "authorization",
    "checks",
    "held_for",
    "minutes",
    "services",
    "units",
    "tier",
    "evaluated_at",
    "updated_at",
]


@dataclass
class Evaluated:
    days: int = 0
    ready: int = 0
    held: int = 0
    removed: int = 0
    skipped: int = 0  # billed or written off: not judged again

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def days_evaluate(
    *, organization, start: dt.date, end: dt.date, program=None, episode_ids=None, actor=None
) -> dict:
    """Judge every patient-day of the organization (or one program, or some
    episodes) from `start` to `end`; returns the counts."""
    if end < start:
        raise ApplicationError.for_field("end", "The last day comes after the first.")
    today = organization_today(organization.pk)
    episodes = Episode.objects.filter(organization=organization, admitted_on__lte=end).exclude(
        status=EpisodeStatus.ENTERED_IN_ERROR
    )
    episodes = episodes.exclude(discharged_on__lt=start)
    if program is not None:
        episodes = episodes.filter(program=program)
    if episode_ids is not None:
        episodes = episodes.filter(pk__in=list(episode_ids))
    ids = list(episodes.order_by("pk").values_list("pk", flat=True))
    rules = rules_by_payer(organization.pk)
    total = Evaluated()
    patient_ids: set[int] = set()
    for i in range(0, len(ids), CHUNK):
        chunk = list(Episode.objects.filter(pk__in=ids[i : i + CHUNK]).select_related("program"))
        _evaluate_chunk(chunk, start, end, today, rules, total)
        patient_ids.update(e.patient_id for e in chunk)
    audit_record(
        actor=actor,
        action=Action.EXECUTE,
        event="billing.evaluate",
        organization_id=organization.pk,
        patient_ids=sorted(patient_ids),
        detail={"from": start.isoformat(), "to": end.isoformat(), **total.as_dict()},
        actor_name=None if actor else "billing evaluation",
    )
    return total.as_dict()


def _evaluate_chunk(episodes, start, end, today, rules, total: Evaluated) -> None:
    f = load_facts(episodes, start, end, today=today, rules=rules)
    now = timezone.now()
    new, changed, unchanged, seen = [], {}, [], set()
    used: dict[int, int] = {}
    for episode in episodes:
        last = min(end, episode.discharged_on or end)
        day = max(start, episode.admitted_on)
        while day <= last:
            if f.services.get((episode.pk, day)):
                row = f.existing.get((episode.pk, day))
                if row is not None and row.status not in OPEN_STATUSES:
                    total.skipped += 1
                else:
                    v = judge(f, episode, day, used, day_id=row.pk if row else None)
                    before = _verdict_of(row) if row else None
                    row = row or BillingDay(
                        organization_id=episode.organization_id,
                        program_id=episode.program_id,
                        episode_id=episode.pk,
                        patient_id=episode.patient_id,
                        date=day,
                        week=monday(day),
                    )
                    _apply(row, v, now)
                    total.days += 1
                    total.held += row.status == DayStatus.HELD
                    total.ready += row.status == DayStatus.READY
                    if row.pk and _verdict_of(row) == before:
                        unchanged.append(row.pk)
                    elif row.pk:
                        changed[row.pk] = row
                    else:
                        new.append(row)
                seen.add((episode.pk, day))
            day += dt.timedelta(days=1)
    gone = [
        d.pk
        for key, d in f.existing.items()
        if key not in seen and d.status in OPEN_STATUSES and d.round == 0
    ]
    with transaction.atomic():
        still_open = set(
            BillingDay.objects.select_for_update()
            .filter(pk__in=list(changed) + gone, status__in=OPEN_STATUSES)
            .values_list("pk", flat=True)
        )
        # a CASE per field and row: small batches (SQLite's cost grows with the square)
        BillingDay.objects.bulk_update(
            [d for pk, d in changed.items() if pk in still_open], WRITTEN_FIELDS, batch_size=100
        )
        for i in range(0, len(unchanged), 900):
            BillingDay.objects.filter(
                pk__in=unchanged[i : i + 900], status__in=OPEN_STATUSES
            ).update(evaluated_at=now)
        BillingDay.objects.bulk_create(new, batch_size=900, ignore_conflicts=True)
        removable = [pk for pk in gone if pk in still_open]
        if removable:
            total.removed += (
                BillingDay.objects.filter(pk__in=removable, charges__isnull=True)
                .delete()[1]
                .get("billing.BillingDay", 0)
            )


def _verdict_of(row: BillingDay) -> tuple:
    """What an evaluation decides of a day (a day whose verdict stands is not rewritten)."""
    return (
        row.status,
        row.payer_id,
        row.rule_id,
        row.authorization_id,
        row.checks,
        row.held_for,
        row.minutes,
        row.services,
        row.units,
        row.tier,
    )


def _apply(row: BillingDay, v, now) -> None:
    row.status = DayStatus.HELD if v.held_for else DayStatus.READY
    row.payer_id = v.payer_id
    row.rule = v.rule
    row.authorization = v.authorization
    row.checks = v.checks
    row.held_for = "," + ",".join(v.held_for) + "," if v.held_for else ""
    row.minutes, row.services, row.units, row.tier = v.minutes, v.services, v.units, v.tier
    row.evaluated_at = row.updated_at = now


def recheck_episodes(episode_ids) -> dict:
    """Judge again the recent days of some episodes (after a note is signed, an
    authorization decided, a certification signed...)."""
    episodes = list(Episode.objects.filter(pk__in=list(episode_ids)).select_related("organization"))
    out: dict = {}
    for org_id in {e.organization_id for e in episodes}:
        org = next(e.organization for e in episodes if e.organization_id == org_id)
        end = organization_today(org_id)
        out = days_evaluate(
            organization=org,
            start=end - dt.timedelta(days=RECHECK_DAYS),
            end=end,
            episode_ids=[e.pk for e in episodes if e.organization_id == org_id],
        )
    return out


def recheck_later(episode_ids) -> None:
    """`recheck_episodes` once the current transaction commits: one evaluation
    for every episode a transaction touched, however many changes it made. A
    failure is logged, never raised: billing never stops clinical work (the
    nightly evaluation judges the days again)."""
    ids = set(episode_ids)
    if not ids:
        return
    conn = transaction.get_connection()
    if not conn.in_atomic_block:
        _recheck_now(ids)
        return
    # register once per transaction: again when the callback has run, or was
    # dropped with a rolled-back transaction or savepoint
    pending = getattr(conn, "billing_recheck", None)
    if pending is None or not any(item[1] is _recheck_pending for item in conn.run_on_commit):
        conn.billing_recheck = pending = set()
        transaction.on_commit(_recheck_pending)
    pending |= ids


def _recheck_pending() -> None:
    conn = transaction.get_connection()
    ids, conn.billing_recheck = getattr(conn, "billing_recheck", None) or set(), None
    _recheck_now(ids)


def _recheck_now(ids) -> None:
    try:
        recheck_episodes(sorted(ids))
    except Exception:  # noqa: BLE001
        log.warning("Could not check billable days again", exc_info=True)


def _require(actor, day, permission, action) -> None:
    """The day's program decides (a billing day is a program row)."""
    require(
        actor,
        permission,
        organization_id=day.organization_id,
        program_id=day.program_id,
        action=action,
    )


def day_recheck(*, actor, day: BillingDay) -> BillingDay:
    _require(actor, day, "billing.view", Action.READ)
    days_evaluate(
        organization=day.organization,
        start=day.date,
        end=day.date,
        episode_ids=[day.episode_id],
        actor=actor,
    )
    return BillingDay.objects.filter(pk=day.pk).first() or day


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError.for_field("reason", "Say why.")
    if len(reason) > 300:
        raise ApplicationError.for_field("reason", "Keep the reason under 300 characters.")
    return reason


def day_override(*, actor, day: BillingDay, check_code: str, reason: str) -> BillingDay:
    """A billing user's decision that one failing check does not hold the day."""
    _require(actor, day, "billing.manage", Action.UPDATE)
    if check_code not in BY_CODE:
        raise ApplicationError.for_field("check", "Choose one of the day's checks.")
    if check_code == "coverage":
        raise ApplicationError.for_field(
            "check", "Without a payer there is nothing to bill; fix the patient's coverage."
        )
    if check_code == "rule":
        raise ApplicationError.for_field(
            "check",
            "Without the payer's rule and its prices there is nothing to bill; fix the rule.",
        )
    reason = _reason(reason)
    _require_open(day)
    failing = {c["code"] for c in day.checks if c["ok"] is False}
    if check_code not in failing:
        raise ApplicationError.for_field("check", "That check does not hold this day.")
    with transaction.atomic():
        DayOverride.objects.create(day=day, check_code=check_code, reason=reason, created_by=actor)
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            event="billing.override",
            obj=day,
            patient=day.patient,
            detail={"check": check_code, "date": day.date.isoformat()},
        )
    return day_recheck(actor=actor, day=day)


def _require_open(day: BillingDay) -> None:
    if day.status == DayStatus.BILLED:
        raise ApplicationError("This day is billed; void its charges first.")
    if day.status == DayStatus.WRITTEN_OFF:
        raise ApplicationError("This day is written off; reopen it first.")


def day_write_off(*, actor, day: BillingDay, reason: str) -> BillingDay:
    _require(actor, day, "billing.manage", Action.UPDATE)
    reason = _reason(reason)
    _require_open(day)
    with transaction.atomic():
        transition(
            day,
            to=DayStatus.WRITTEN_OFF,
            from_=list(OPEN_STATUSES),
            message="This day was billed or written off a moment ago.",
            written_off_reason=reason,
            written_off_by=actor,
        )
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            event="billing.write_off",
            obj=day,
            patient=day.patient,
            changed_fields=["status"],
            detail={"date": day.date.isoformat()},
        )
    return day


def day_reopen(*, actor, day: BillingDay, reason: str) -> BillingDay:
    """Undo a write-off (a mistake, or a fix that came later): the day is held
    and judged again; why is kept in the audit trail's event."""
    _require(actor, day, "billing.manage", Action.UPDATE)
    reason = _reason(reason)
    if day.status != DayStatus.WRITTEN_OFF:
        raise ApplicationError("Only a day written off is reopened.")
    with transaction.atomic():
        transition(
            day,
            to=DayStatus.HELD,
            from_=DayStatus.WRITTEN_OFF,
            message="This day was reopened a moment ago.",
            written_off_reason="",
            written_off_by=None,
        )
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            event="billing.reopen",
            obj=day,
            patient=day.patient,
            changed_fields=["status"],
            detail={"date": day.date.isoformat(), "reason_given": bool(reason)},
        )
    return day_recheck(actor=actor, day=day)
