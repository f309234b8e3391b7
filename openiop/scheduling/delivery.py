"""Plan meets schedule: what a patient's signed plan prescribes for a week
against what the calendar holds for them, with the optimizer's reason for each
shortfall.

The prescription is the one the optimizer is given (`needs.needs_for`, so
"3 groups a week, 120 min" reads as 4 group sessions of 90 minutes, and the
conversion is shown). The reason is taken from the run that produced the week
as it stands (the published plan or the last repair applied to it); where that
run did not see the shortfall (no run, or the plan or the roster changed after
it), the row says so instead of inventing a reason. A few queries per week,
whatever the plan's size.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from openiop.scheduling.localtime import monday, today_in, week_label
from openiop.scheduling.needs import first_by_modality, needs_for, plan_interventions


@dataclass
class DeliveryRow:
    code: str
    name: str
    prescribed: int
    minutes: int  # one session's length
    scheduled: int = 0
    scheduled_minutes: int = 0
    reasons: list[str] = field(default_factory=list)

    @property
    def missing(self) -> int:
        return max(0, self.prescribed - self.scheduled)


@dataclass
class WeekDelivery:
    week: dt.date
    rows: list[DeliveryRow]
    scheduled_minutes: int
    minimum_hours: Decimal
    planned_by: str  # "", "optimizer" or "repair"
    planned_on: dt.date | None
    unscheduled: list[str]  # modalities the plan names that no session type answers

    @property
    def label(self) -> str:
        return week_label(self.week)

    @property
    def short_rows(self) -> list[DeliveryRow]:
        return [r for r in self.rows if r.missing]

    @property
    def hours(self) -> Decimal:
        return (Decimal(self.scheduled_minutes) / 60).quantize(Decimal("0.1"))

    @property
    def below_minimum(self) -> bool:
        return self.hours < self.minimum_hours

    @property
    def delivers(self) -> bool:
        return not self.short_rows and not self.below_minimum

    @property
    def not_booked(self) -> bool:
        """Nothing booked and no optimizer run: a week nobody has scheduled yet."""
        return not self.planned_by and not self.scheduled_minutes and bool(self.rows)

    @property
    def summary(self) -> str:
        """One sentence a clinician can act on."""
        if self.not_booked:
            asked = sum(r.prescribed for r in self.rows)
            hours = _h(
                (Decimal(sum(r.prescribed * r.minutes for r in self.rows)) / 60).quantize(
                    Decimal("0.1")
                )
            )
            return (
                f"Nothing is booked for this week yet: the plan asks for {asked} "
                f"session{'s' * (asked != 1)} ({hours} h)."
            )
        parts = []
        for r in self.short_rows:
            parts.append(f"{r.missing} of {r.prescribed} {r.name.lower()} not scheduled")
        if self.below_minimum:
            parts.append(
                f"{_h(self.hours)} h scheduled against the program's minimum of "
                f"{_h(self.minimum_hours)} h"
            )
        if not parts:
            return f"Everything the plan prescribes is scheduled ({_h(self.hours)} h)."
        return "; ".join(parts).capitalize() + "."


def _h(v: Decimal) -> str:
    return f"{Decimal(v).normalize():f}"


def _run_of(program, week):
    """The run behind the week as it stands: the last repair applied, else the
    published plan; None when the week was not planned with the optimizer."""
    from openiop.scheduling.models import RunStatus, SolverRun

    return (
        SolverRun.objects.filter(
            program=program, week=week, status__in=[RunStatus.PUBLISHED, RunStatus.APPLIED]
        )
        .order_by("-finished_at", "-id")
        .only("kind", "unmet", "finished_at")
        .first()
    )


def plan_delivery(episode, weeks: list[dt.date]) -> list[WeekDelivery] | None:
    """Per week (Mondays), the plan against the calendar; None without a signed plan."""
    from openiop.care.plans.hours import NOUNS
    from openiop.care.plans.plan_models import Modality
    from openiop.scheduling.models import (
        RosterEntry,
        RosterStatus,
        SessionStatus,
        SessionType,
    )

    plan = plan_interventions([episode.pk]).get(episode.pk)
    if plan is None:
        return None
    since, interventions = plan
    types = list(
        SessionType.objects.filter(organization_id=episode.organization_id, is_active=True)
    )
    by_modality = first_by_modality(types)
    by_code = {t.code: t for t in types}
    labels = dict(Modality.choices)
    unscheduled = sorted(
        {labels.get(iv["modality"], iv["modality"]) for iv in interventions}
        - {labels.get(m, m) for m in by_modality}
    )
    program = episode.program
    out = []
    for week in weeks:
        rows = {}
        for need in needs_for(
            week=week, since=since, interventions=interventions, types_by_modality=by_modality
        ):
            st = by_code[need["code"]]
            rows[need["code"]] = DeliveryRow(
                code=need["code"],
                name=_plural(st, NOUNS),
                prescribed=need["count"],
                minutes=need["minutes"] or st.duration_min,
            )
        total = 0
        booked = RosterEntry.objects.filter(
            episode=episode,
            status=RosterStatus.ENROLLED,
            session__week=week,
            session__status=SessionStatus.SCHEDULED,
        ).values_list("session__session_type__code", "session__starts_at", "session__ends_at")
        for code, start, end in booked:
            minutes = int((end - start).total_seconds() // 60)
            total += minutes
            if code in rows:
                rows[code].scheduled += 1
                rows[code].scheduled_minutes += minutes
        run = _run_of(program, week) if any(r.missing for r in rows.values()) else None
        _explain(rows, run, episode.patient_id)
        out.append(
            WeekDelivery(
                week=week,
                rows=list(rows.values()),
                scheduled_minutes=total,
                minimum_hours=Decimal(str(program.min_weekly_hours)),
                planned_by="" if run is None else run.kind,
                planned_on=None
                if run is None or run.finished_at is None
                else run.finished_at.astimezone(_zone(program)).date(),
                unscheduled=unscheduled,
            )
        )
    return out


def _zone(program):
    from openiop.scheduling.localtime import zone

    return zone(program.site.time_zone)


def _plural(st, nouns) -> str:
    one_many = nouns.get(st.plan_modality)
    return one_many[1] if one_many else f"{st.name} sessions"


def _explain(rows: dict, run, patient_id: int) -> None:
    unmet = {}
    if run is not None:
        unmet = {u["type"]: u for u in run.unmet or [] if u.get("patient") == patient_id}
    for code, row in rows.items():
        if not row.missing:
            continue
        found = unmet.get(code)
        if found and found.get("reasons"):
            row.reasons = [r["message"] for r in found["reasons"]]
        elif found:
            row.reasons = ["The optimizer found no way to place it."]
        elif run is None:
            row.reasons = [
                "This week was not planned with the optimizer, and no session of this kind "
                "was booked by hand."
            ]
        else:
            row.reasons = [
                "The week was planned before this need existed (a new patient, a new plan "
                "version, or a place removed since); a repair can add it."
            ]


def weeks_around(program, *, before: int = 0, after: int = 1) -> list[dt.date]:
    """Mondays from `before` weeks ago to `after` weeks ahead, in the site's zone."""
    this = monday(today_in(program.site.time_zone))
    return [this + dt.timedelta(weeks=k) for k in range(-before, after + 1)]
