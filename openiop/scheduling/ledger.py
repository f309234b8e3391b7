"""Weekly hours, adherence alerts and attendance rates (reads, constant queries).

- The hours ledger: per patient per week, minutes attended and minutes
  scheduled, against the program's band (Program.min/max_weekly_hours) and the
  plan's prescription (care.plans.hours, the signed version in effect).
- Alerts, for open episodes: a complete week below the program's minimum; two
  missed sessions in a row (absent, not excused); more than 3 days without a
  clinical service (the Wyoming rule in DOMAIN.md: "no more than 3 days
  between clinical services"), counted from admission when nothing is attended.
- Attendance rate: sessions attended (present, late, left early) out of
  sessions scheduled that have taken place, excused absences left out of both.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Max, Q, Sum
from django.utils import timezone

from openiop.care.models import Episode, EpisodeStatus
from openiop.scheduling.localtime import monday
from openiop.scheduling.models import (
    ATTENDED,
    Attendance,
    AttendanceStatus,
    RosterEntry,
    RosterStatus,
    SessionStatus,
)

GAP_DAYS = 3
ABSENT = AttendanceStatus.ABSENT
EXCUSED = AttendanceStatus.EXCUSED


@dataclass
class LedgerWeek:
    week: dt.date
    attended: int = 0  # minutes
    scheduled: int = 0  # minutes on the roster
    sessions: int = 0
    missed: int = 0

    @property
    def hours(self) -> float:
        return round(self.attended / 60, 1)

    @property
    def scheduled_hours(self) -> float:
        return round(self.scheduled / 60, 1)


@dataclass
class Ledger:
    episode: Episode
    weeks: list[LedgerWeek]
    minimum: Decimal
    maximum: Decimal | None
    prescribed: Decimal | None
    rows: list = field(default_factory=list)
    delivery: list | None = None  # the plan against the calendar (scheduling/delivery.py)

    def status(self, w: LedgerWeek) -> str:
        hours = Decimal(w.attended) / 60
        if hours < self.minimum:
            return "below"
        if self.maximum is not None and hours > self.maximum:
            return "above"
        return "within"

    def chart(self, width: int = 640, height: int = 200) -> dict:
        """Geometry of the weekly bars (server-rendered SVG) with the band shaded."""
        left, bottom, top = 36, 28, 10
        plot_h = height - bottom - top
        peak = max(
            [w.attended / 60 for w in self.weeks]
            + [float(self.maximum or self.minimum) * 1.15, float(self.prescribed or 0), 1]
        )

        def y(hours: float) -> float:
            return round(top + plot_h - hours / peak * plot_h, 1)

        n = max(1, len(self.weeks))
        slot = (width - left - 8) / n
        bars = []
        for i, w in enumerate(self.weeks):
            x = round(left + i * slot + slot * 0.15, 1)
            h = w.attended / 60
            bars.append(
                {
                    "x": x,
                    "w": round(slot * 0.7, 1),
                    "y": y(h),
                    "h": round(max(0.0, y(0) - y(h)), 1),
                    "label": f"{w.week:%b} {w.week.day}",
                    "lx": round(x + slot * 0.35, 1),
                    "hours": w.hours,
                    "status": self.status(w),
                }
            )
        band_top = y(float(self.maximum)) if self.maximum is not None else top
        return {
            "width": width,
            "height": height,
            "left": left,
            "right": width - 8,
            "base": y(0),
            "bars": bars,
            "band_y": band_top,
            "band_w": width - 8 - left,
            "band_h": round(y(float(self.minimum)) - band_top, 1),
            "min_y": y(float(self.minimum)),
            "min_label": f"{self.minimum.normalize():f} h",
            "max_y": y(float(self.maximum)) if self.maximum is not None else None,
            "max_label": f"{self.maximum.normalize():f} h" if self.maximum is not None else "",
            "plan_y": y(float(self.prescribed)) if self.prescribed else None,
            "plan_label": f"plan {self.prescribed.normalize():f} h" if self.prescribed else "",
        }


def _prescribed(episode_ids) -> dict[int, Decimal]:
    from openiop.care.plans.hours import hours_check
    from openiop.care.plans.plan_models import PlanIntervention, PlanStatus, TreatmentPlan

    plans = {
        p.current_id: p.episode_id
        for p in TreatmentPlan.objects.filter(
            episode_id__in=list(episode_ids), status=PlanStatus.OPEN, current__isnull=False
        )
    }
    by_version = defaultdict(list)
    for iv in (
        PlanIntervention.objects.filter(objective__goal__problem__version_id__in=plans)
        .only("modality", "sessions", "period", "minutes", "objective__goal__problem__version_id")
        .select_related("objective__goal__problem")
    ):
        by_version[iv.objective.goal.problem.version_id].append(iv)

    class _Band:
        min_weekly_hours = Decimal(0)
        max_weekly_hours = None

    return {plans[v]: hours_check(ivs, _Band).hours for v, ivs in by_version.items()}


def hours_ledger(episode: Episode, *, weeks: int = 8, today: dt.date | None = None) -> Ledger:
    """The last `weeks` weeks (this one included) of one episode. Three queries."""
    today = today or timezone.localdate()
    first = monday(today) - dt.timedelta(weeks=weeks - 1)
    first = max(first, monday(episode.admitted_on))
    rows = {}
    w = first
    while w <= monday(today):
        rows[w] = LedgerWeek(w)
        w += dt.timedelta(days=7)
    scheduled = RosterEntry.objects.filter(
        episode=episode,
        status=RosterStatus.ENROLLED,
        session__status=SessionStatus.SCHEDULED,
        session__week__gte=first,
        session__week__lte=monday(today),
    ).values_list("session__week", "session__starts_at", "session__ends_at")
    for week, start, end in scheduled:
        rows[week].scheduled += int((end - start).total_seconds() // 60)
        rows[week].sessions += 1
    marks = (
        Attendance.objects.filter(episode=episode, week__gte=first)
        .values("week")
        .annotate(
            minutes=Sum("minutes", filter=Q(status__in=ATTENDED)),
            missed=Count("id", filter=Q(status=ABSENT)),
        )
    )
    for m in marks:
        if m["week"] in rows:
            rows[m["week"]].attended = m["minutes"] or 0
            rows[m["week"]].missed = m["missed"]
    program = episode.program
    return Ledger(
        episode=episode,
        weeks=list(rows.values()),
        minimum=Decimal(str(program.min_weekly_hours)),
        maximum=None
        if program.max_weekly_hours is None
        else Decimal(str(program.max_weekly_hours)),
        prescribed=_prescribed([episode.pk]).get(episode.pk),
    )


@dataclass
class Flag:
    """One adherence finding, without the patient: counting needs no names."""

    episode_id: int
    kind: str  # below_minimum | missed_twice | gap
    hours: Decimal | None = None  # below_minimum: hours attended last week
    minimum: Decimal | None = None  # below_minimum: the program's weekly minimum
    gap: int = 0  # gap: days since `since`
    since_admission: bool = False  # gap: nothing attended since admission


@dataclass
class Alert:
    episode: Episode
    kind: str
    message: str


def adherence_flags(episodes, *, today: dt.date | None = None) -> list[Flag]:
    """Findings for a queryset of open episodes, in four queries whatever its
    size; the episodes are a subquery, no patient row is read."""
    today = today or timezone.localdate()
    last_week = monday(today) - dt.timedelta(days=7)
    open_eps = episodes.filter(status=EpisodeStatus.ACTIVE)
    rows = list(
        open_eps.order_by("pk").values_list("pk", "admitted_on", "program__min_weekly_hours")
    )
    ids = open_eps.values("pk")
    minutes = dict(
        Attendance.objects.filter(episode_id__in=ids, week=last_week, status__in=ATTENDED)
        .values("episode_id")
        .annotate(m=Sum("minutes"))
        .values_list("episode_id", "m")
    )
    last_seen = dict(
        Attendance.objects.filter(episode_id__in=ids, status__in=ATTENDED)
        .values("episode_id")
        .annotate(d=Max("date"))
        .values_list("episode_id", "d")
    )
    recent: dict[int, list[str]] = defaultdict(list)
    for ep_id, status in (
        Attendance.objects.filter(episode_id__in=ids, date__gte=today - dt.timedelta(days=28))
        .exclude(status=EXCUSED)
        .order_by("episode_id", "-date", "-session__starts_at")
        .values_list("episode_id", "status")
    ):
        recent[ep_id].append(status)
    out = []
    for pk, admitted_on, minimum in rows:
        band = Decimal(str(minimum))
        if admitted_on <= last_week:
            hours = Decimal(minutes.get(pk, 0)) / 60
            if hours < band:
                out.append(Flag(pk, "below_minimum", hours=hours, minimum=band))
        marks = recent.get(pk, [])
        if len(marks) >= 2 and marks[0] == ABSENT and marks[1] == ABSENT:
            out.append(Flag(pk, "missed_twice"))
        since = last_seen.get(pk) or admitted_on
        gap = (today - since).days
        if gap > GAP_DAYS:
            out.append(Flag(pk, "gap", gap=gap, since_admission=pk not in last_seen))
    return out


def adherence_counts(flags) -> dict[str, int]:
    """How many findings of each kind."""
    counts: dict[str, int] = {}
    for f in flags:
        counts[f.kind] = counts.get(f.kind, 0) + 1
    return counts


def flag_alerts(flags, *, today: dt.date | None = None) -> list[Alert]:
    """The findings worded for people, with their episode and patient (one
    query for all of them): call it on the page shown, not on every finding."""
    today = today or timezone.localdate()
    last_week = monday(today) - dt.timedelta(days=7)
    episodes = Episode.objects.select_related("patient").in_bulk({f.episode_id for f in flags})
    out = []
    for f in flags:
        e = episodes[f.episode_id]
        who = e.patient.display_name
        if f.kind == "below_minimum":
            message = (
                f"{who} attended {f.hours.quantize(Decimal('0.1'))} h in the week of "
                f"{last_week:%b} {last_week.day}, below the program's minimum of "
                f"{f.minimum.normalize():f} h."
            )
        elif f.kind == "missed_twice":
            message = f"{who} missed the last two sessions in a row."
        else:
            what = "admission" if f.since_admission else "the last attended session"
            message = f"{who}: {f.gap} days without a clinical service since {what}."
        out.append(Alert(e, f.kind, message))
    return out


def adherence_alerts(episodes, *, today: dt.date | None = None) -> list[Alert]:
    """Every finding, worded (for a patient's page or a test; a list of many
    patients pages `adherence_flags` and words only the page)."""
    return flag_alerts(adherence_flags(episodes, today=today), today=today)


def attendance_counts(marks) -> tuple[int, int]:
    """(attended, scheduled) of a queryset of attendance marks; excused count in neither."""
    agg = marks.exclude(status=EXCUSED).aggregate(
        attended=Count("id", filter=Q(status__in=ATTENDED)), total=Count("id")
    )
    return agg["attended"] or 0, agg["total"] or 0


def attendance_rate(program, start: dt.date, end: dt.date) -> dict:
    """Attendance of a program's sessions from `start` to `end` (inclusive).

    Returns {"attended", "scheduled", "rate"} with rate None when nothing was
    scheduled. For the outcomes app; an aggregate, no patient is named.
    """
    attended, total = attendance_counts(
        Attendance.objects.filter(session__program=program, date__range=(start, end))
    )
    return {
        "attended": attended,
        "scheduled": total,
        "rate": round(attended / total, 4) if total else None,
    }


def attendance_by_program(*, episodes, period) -> dict[int, tuple[int, int]]:
    """program id -> (attended, scheduled) for the outcomes app's `attendance_rate`."""
    rows = (
        Attendance.objects.filter(episode__in=episodes, date__range=(period.start, period.end))
        .exclude(status=EXCUSED)
        .values("session__program_id")
        .annotate(attended=Count("id", filter=Q(status__in=ATTENDED)), total=Count("id"))
    )
    return {r["session__program_id"]: (r["attended"], r["total"]) for r in rows}


def rates_by(marks, key: str) -> dict:
    """Attendance rate grouped by `key` (patient_id, session__series_id, session__track_id)."""
    rows = (
        marks.exclude(status=EXCUSED)
        .values(key)
        .annotate(attended=Count("id", filter=Q(status__in=ATTENDED)), total=Count("id"))
    )
    return {
        r[key]: (r["attended"], r["total"], round(100 * r["attended"] / r["total"]))
        for r in rows
        if r["total"]
    }
