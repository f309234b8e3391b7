"""Plan meets schedule: what a patient's signed plan prescribes for a week
against what the calendar holds for them, with the reason for each shortfall.

The prescription is the one the optimizer is given (`needs.needs_for`, so
"3 groups a week, 120 min" reads as 4 group sessions of 90 minutes; the row
shows the plan's own words beside it). Reasons, in order of evidence:

- a place of that kind taken off the patient's roster that week (with the
  reason given, and when), or a session of that kind cancelled;
- the optimizer's explanation from the runs behind the week: the published
  plan's, overridden patient by patient by each repair applied since (a repair
  only re-plans the patients it touches);
- otherwise that no run saw the need (a new plan version or patient since
  publication, or a week nobody planned), with what can be done about it.

Hours: what is scheduled plus what the plan asks outside the calendar (case
management, peer support: no session type books them) against the program's
weekly minimum. A few queries per week, whatever the plan's size.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from types import SimpleNamespace

from django.utils import timezone

from openiop.scheduling.localtime import monday, today_in, week_label
from openiop.scheduling.needs import count_in_week, first_by_modality, needs_for, plan_interventions

TENTH = Decimal("0.1")


def _hours(minutes) -> Decimal:
    return (Decimal(minutes) / 60).quantize(TENTH)


def _h(v: Decimal) -> str:
    return f"{Decimal(v).normalize():f}"


@dataclass
class DeliveryRow:
    code: str
    name: str  # the session type's name
    noun: tuple[str, str]  # one, many ("group", "groups")
    prescribed: int
    minutes: int  # one session's length
    plan_words: list[str] = field(default_factory=list)  # the plan's own frequency labels
    scheduled: int = 0
    reasons: list[str] = field(default_factory=list)

    @property
    def missing(self) -> int:
        return max(0, self.prescribed - self.scheduled)

    @property
    def converted(self) -> bool:
        """Whether the plan's words differ from the sessions counted (3 x 120 -> 4 x 90)."""
        return bool(self.plan_words) and f"{self.minutes} min" not in " ".join(self.plan_words)

    @property
    def missing_words(self) -> str:
        one, many = self.noun
        noun = one if self.missing == 1 else many
        if self.missing == self.prescribed:
            return f"{self.missing} {noun}" if self.missing > 1 else f"the {one}"
        return f"{self.missing} {noun} of the {self.prescribed} the plan asks"


@dataclass
class WeekDelivery:
    week: dt.date
    rows: list[DeliveryRow]
    scheduled_minutes: int
    outside_minutes: int  # what the plan asks this week that no session type books
    minimum_hours: Decimal
    planned_by: str  # "", "plan" or "repair"
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
        return _hours(self.scheduled_minutes)

    @property
    def outside_hours(self) -> Decimal:
        return _hours(self.outside_minutes)

    @property
    def below_minimum(self) -> bool:
        return _hours(self.scheduled_minutes + self.outside_minutes) < self.minimum_hours

    @property
    def delivers(self) -> bool:
        return not self.short_rows

    @property
    def not_booked(self) -> bool:
        """Nothing booked and no optimizer run: a week nobody has scheduled yet."""
        return not self.planned_by and not self.scheduled_minutes and bool(self.rows)

    @property
    def hours_words(self) -> str:
        total = _hours(self.scheduled_minutes + self.outside_minutes)
        words = f"{_h(self.hours)} h scheduled"
        if self.outside_minutes:
            words += (
                f", plus {_h(self.outside_hours)} h the plan asks outside the calendar "
                f"({', '.join(self.unscheduled).lower()}): {_h(total)} h"
            )
        relation = "below" if self.below_minimum else "against"
        words += f" {relation} the program's minimum of {_h(self.minimum_hours)} h"
        if self.below_minimum and self.delivers:
            words += " (the plan itself asks less this week)"
        return words + "."

    @property
    def summary(self) -> str:
        """One sentence a clinician can act on."""
        if self.not_booked:
            asked = sum(r.prescribed for r in self.rows)
            hours = _hours(sum(r.prescribed * r.minutes for r in self.rows))
            return (
                f"Nothing is booked for this week yet: the plan asks for {asked} "
                f"session{'s' * (asked != 1)} ({_h(hours)} h)."
            )
        if self.short_rows:
            missing = ", ".join(r.missing_words for r in self.short_rows)
            return f"Not scheduled: {missing}. {self.hours_words}"
        return f"Every session the plan asks is scheduled. {self.hours_words}"


def _runs_of(program, week) -> list:
    """The runs behind the week as it stands, oldest first: the published plan,
    then each repair applied to it."""
    from openiop.scheduling.models import RunStatus, SolverRun

    return list(
        SolverRun.objects.filter(
            program=program, week=week, status__in=[RunStatus.PUBLISHED, RunStatus.APPLIED]
        )
        .order_by("finished_at", "id")
        .only("kind", "unmet", "result", "finished_at")
    )


def _run_reasons(runs, patient_id: int) -> dict[str, list[str]]:
    """session type code -> the optimizer's reasons for this patient: the plan's,
    replaced by a repair's for the patients that repair re-planned."""
    reasons: dict[str, list[str]] = {}
    for run in runs:
        touched = _patients_of(run)
        if run.kind == "repair" and patient_id not in touched:
            continue
        if run.kind == "repair":
            reasons = {}
        for u in run.unmet or []:
            if u.get("patient") == patient_id:
                reasons[u["type"]] = [r["message"] for r in u.get("reasons", [])] or [
                    "The optimizer found no way to place it."
                ]
    return reasons


def _patients_of(run) -> set[int]:
    """The patients a repair re-planned: those it names as affected (its result
    holds the whole week), and those it could not place."""
    result = run.result or {}
    ids = {u.get("patient") for u in run.unmet or []}
    return ids | set(result.get("affected", []))


def plan_delivery(episode, weeks: list[dt.date]) -> list[WeekDelivery] | None:
    """Per week (Mondays), the plan against the calendar; None without a signed plan."""
    from openiop.care.plans.hours import NOUNS, frequency_label
    from openiop.care.plans.plan_models import Modality
    from openiop.scheduling.models import SessionType

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
    outside = [iv for iv in interventions if iv["modality"] not in by_modality]
    unscheduled = sorted({labels.get(iv["modality"], iv["modality"]) for iv in outside})
    words: dict[str, list[str]] = defaultdict(list)
    for iv in interventions:
        if iv["modality"] in by_modality:
            words[by_modality[iv["modality"]].code].append(frequency_label(SimpleNamespace(**iv)))
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
                name=st.name,
                noun=NOUNS.get(st.plan_modality, (f"{st.name} session", f"{st.name} sessions")),
                prescribed=need["count"],
                minutes=need["minutes"] or st.duration_min,
                plan_words=words.get(need["code"], []),
            )
        total, removed = _calendar(episode, week, rows)
        runs = _runs_of(program, week)
        _explain(rows, runs, removed, episode.patient_id)
        last = runs[-1] if runs else None
        out.append(
            WeekDelivery(
                week=week,
                rows=list(rows.values()),
                scheduled_minutes=total,
                outside_minutes=sum(
                    count_in_week(iv["sessions"], iv["period"], since, week) * iv["minutes"]
                    for iv in outside
                ),
                minimum_hours=Decimal(str(program.min_weekly_hours)),
                planned_by="" if last is None else last.kind,
                planned_on=None
                if last is None or last.finished_at is None
                else last.finished_at.astimezone(_zone(program)).date(),
                unscheduled=unscheduled,
            )
        )
    return out


def _calendar(episode, week, rows) -> tuple[int, dict[str, list[str]]]:
    """Count the week's enrolled sessions into `rows`; return the minutes booked
    and, per session type, the places removed from the patient's roster (one query)."""
    from openiop.scheduling.models import RosterEntry, RosterStatus, SessionStatus

    total = 0
    removed: dict[str, list[str]] = defaultdict(list)
    entries = RosterEntry.objects.filter(episode=episode, session__week=week).values_list(
        "status",
        "removed_reason",
        "removed_at",
        "session__status",
        "session__session_type__code",
        "session__date",
        "session__start_time",
        "session__starts_at",
        "session__ends_at",
    )
    for status, why, removed_at, s_status, code, day, at, start, end in entries:
        session = f"the {day:%a %b} {day.day} {at:%H:%M} session"
        if s_status == SessionStatus.CANCELLED:
            removed[code].append(f"{session[0].upper()}{session[1:]} was cancelled.")
            continue
        if status == RosterStatus.REMOVED:
            local = timezone.localtime(removed_at) if removed_at else None
            when = f" on {local:%b} {local.day}" if local else ""
            removed[code].append(f"Taken off {session}{when}: {why}")
            continue
        total += int((end - start).total_seconds() // 60)
        if code in rows:
            rows[code].scheduled += 1
    return total, removed


def _zone(program):
    from openiop.scheduling.localtime import zone

    return zone(program.site.time_zone)


def _explain(rows: dict, runs: list, removed: dict, patient_id: int) -> None:
    optimizer = _run_reasons(runs, patient_id)
    for code, row in rows.items():
        if not row.missing:
            continue
        row.reasons = list(removed.get(code, []))
        if code in optimizer:
            row.reasons += optimizer[code]
        elif row.reasons:
            pass  # a removal on record explains it
        elif not runs:
            verb = "was" if row.scheduled == 1 else "were"
            booked = (
                f"only {row.scheduled} {verb} booked by hand"
                if row.scheduled
                else "none was booked by hand"
            )
            row.reasons = [f"This week was not planned with the optimizer, and {booked}."]
        else:
            row.reasons = [
                "The week was published before this need (a new plan version or a new "
                "patient since): whoever manages the schedule can add the patient to a "
                "session from the calendar."
            ]


def weeks_around(program, *, before: int = 0, after: int = 1) -> list[dt.date]:
    """Mondays from `before` weeks ago to `after` weeks ahead, in the site's zone."""
    this = monday(today_in(program.site.time_zone))
    return [this + dt.timedelta(weeks=k) for k in range(-before, after + 1)]
