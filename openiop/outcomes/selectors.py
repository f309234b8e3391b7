"""Each program's outcomes, computed from its own records.

One function per metric; each takes the episodes in scope and the period and
returns {program_id: Metric} from a fixed number of aggregate queries (no loop
over patients), so a 10,000-patient organization costs the same queries as a
small one. Every figure carries its numerator, denominator and definition, and
a figure whose denominator is below OUTCOMES_MIN_COUNT is not shown: small
numbers identify people.

Attendance comes from the scheduling app's ledger
(`openiop.scheduling.ledger.attendance_by_program`).
"""

import datetime as dt
from dataclasses import asdict, dataclass, field

from django.apps import apps
from django.conf import settings
from django.db.models import (
    Count,
    DateField,
    DurationField,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Subquery,
)
from django.db.models.functions import Cast, Greatest
from django.utils import timezone

from openiop.access.scope import grant
from openiop.care.models import DischargeReason, Episode, EpisodeStatus
from openiop.measures.models import DrugTest, DrugTestOutcome, Instrument, RecordStatus, Response
from openiop.organizations.models import Program

DEFAULT_WEEKS = 26
MAX_DAYS = 3 * 366
BASELINE_WINDOW = 14  # days either side of admission for the baseline score
FINAL_BEFORE, FINAL_AFTER = 14, 7  # the discharge score: 14 days before to 7 after
ELEVATED = 10  # an elevated baseline (moderate or worse), as in HEDIS DRR-E
TEST_DAYS = 30


@dataclass
class Period:
    start: dt.date
    end: dt.date

    @property
    def text(self) -> str:
        return f"{self.start:%Y-%m-%d} to {self.end:%Y-%m-%d}"


def default_period(today: dt.date | None = None) -> Period:
    today = today or timezone.localdate()
    return Period(today - dt.timedelta(weeks=DEFAULT_WEEKS) + dt.timedelta(days=1), today)


@dataclass
class Metric:
    code: str
    label: str
    unit: str  # percent | days | count
    definition: str
    value: float | None = None
    numerator: int | None = None
    denominator: int | None = None
    status: str = "shown"  # shown | suppressed | not_measured | no_data
    note: str = ""
    extra: dict = field(default_factory=dict)
    summary: str = ""  # the definition in one line, shown next to the number

    @property
    def shown(self) -> bool:
        return self.status == "shown"

    @property
    def display(self) -> str:
        if not self.shown or self.value is None:
            return ""
        if self.unit == "percent":
            return f"{self.value:.0f}%"
        if self.unit == "days":
            return f"{self.value:g} days"
        return f"{self.value:g}"

    def as_dict(self) -> dict:
        out = asdict(self)
        if not self.shown:
            out.update(value=None, numerator=None)
            if self.status == "suppressed":
                out["denominator"] = None
        return out


def min_count() -> int:
    return settings.OUTCOMES_MIN_COUNT


def _rate(code, label, definition, numerator: int, denominator: int) -> Metric:
    m = Metric(code, label, "percent", definition, numerator=numerator, denominator=denominator)
    m = _gate(m, denominator, lambda: round(100 * numerator / denominator, 1))
    small = range(1, min_count())
    if m.shown and (numerator in small or denominator - numerator in small):
        # "1 of 40" names someone as surely as a small denominator does, and so
        # does "39 of 40" (the one who did not)
        m.value, m.status = None, "suppressed"
        m.note = (
            f"Not shown: the count, or the count of the others, is between 1 and "
            f"{min_count() - 1} (small numbers identify people)."
        )
    return m


def _gate(m: Metric, denominator: int, value) -> Metric:
    if denominator == 0:
        m.status, m.note = "no_data", "Nothing to count in this period."
    elif denominator < min_count():
        m.status = "suppressed"
        m.note = f"Not shown: fewer than {min_count()} people (small numbers identify people)."
    else:
        m.value = value()
    return m


# the metrics ---------------------------------------------------------------


def admissions(ctx) -> dict[int, Metric]:
    rows = (
        ctx.episodes.filter(admitted_on__range=(ctx.period.start, ctx.period.end))
        .values("program_id")
        .annotate(n=Count("id"))
    )
    counts = {r["program_id"]: r["n"] for r in rows}
    out = {}
    for pid in ctx.program_ids:
        n = counts.get(pid, 0)
        m = Metric(
            "admissions",
            "Admissions",
            "count",
            f"Episodes of care admitted to the program from {ctx.period.text}.",
            numerator=n,
            denominator=n,
        )
        out[pid] = _gate(m, n, lambda n=n: n) if n else _zero(m)
    return out


def _zero(m: Metric) -> Metric:
    m.value = 0
    return m


def _discharges(ctx):
    if "discharges" not in ctx.cache:
        rows = (
            ctx.discharged.values("program_id")
            .annotate(
                n=Count("id"),
                completed=Count("id", filter=Q(discharge_reason=DischargeReason.COMPLETED)),
                stepped_down=Count("id", filter=Q(discharge_reason=DischargeReason.STEPPED_DOWN)),
                # endings that say nothing of finishing here: a planned step-down,
                # a transfer, a death
                not_counted=Count("id", filter=Q(discharge_reason__in=NOT_AGAINST_COMPLETION)),
            )
            .order_by()
        )
        ctx.cache["discharges"] = {r["program_id"]: r for r in rows}
    return ctx.cache["discharges"]


def retention(ctx) -> dict[int, Metric]:
    """Median days enrolled: from a histogram of lengths of stay (one query)."""
    length = ExpressionWrapper(F("discharged_on") - F("admitted_on"), output_field=DurationField())
    rows = (
        ctx.discharged.annotate(stay=length)
        .values("program_id", "stay")
        .annotate(n=Count("id"))
        .order_by()
    )
    hist: dict[int, list[tuple[int, int]]] = {}
    for r in rows:
        days = r["stay"].days if isinstance(r["stay"], dt.timedelta) else int(r["stay"] or 0)
        hist.setdefault(r["program_id"], []).append((days, r["n"]))
    out = {}
    for pid in ctx.program_ids:
        counts = sorted(hist.get(pid, []))
        n = sum(c for _d, c in counts)
        m = Metric(
            "retention",
            "Median stay of those discharged (days)",
            "days",
            "Median number of days from admission to discharge, among episodes discharged "
            f"from {ctx.period.text} (for any reason).",
            denominator=n,
        )
        out[pid] = _gate(m, n, lambda counts=counts, n=n: _median(counts, n))
    return out


RETAINED_DAYS = (30, 60, 90)
PLANNED_ENDINGS = (
    DischargeReason.COMPLETED,
    DischargeReason.STEPPED_DOWN,
    DischargeReason.TRANSFERRED,
)


def _shift(name: str, days: int):
    # date(...) on SQLite, ::date on PostgreSQL: compares as a date on both
    return Cast(F(name) + dt.timedelta(days=days), DateField())


def _retained(ctx) -> dict:
    """Per program, for 30, 60 and 90 days: episodes admitted in the period at
    least that long before its end (active ones included), and how many were
    still in treatment that many days after admission, or had ended before by
    a planned ending (one query)."""
    if "retained" not in ctx.cache:
        aggregates = {}
        qs = ctx.episodes.filter(admitted_on__gte=ctx.period.start)
        for days in RETAINED_DAYS:
            cohort = Q(admitted_on__lte=ctx.period.end - dt.timedelta(days=days))
            stayed = (
                Q(discharged_on__isnull=True)
                | Q(discharged_on__gte=_shift("admitted_on", days))
                | Q(discharge_reason__in=PLANNED_ENDINGS)
            )
            aggregates[f"n{days}"] = Count("id", filter=cohort)
            aggregates[f"kept{days}"] = Count("id", filter=cohort & stayed)
        rows = qs.values("program_id").annotate(**aggregates).order_by()
        ctx.cache["retained"] = {r["program_id"]: r for r in rows}
    return ctx.cache["retained"]


def _retained_metric(days: int):
    def metric(ctx) -> dict[int, Metric]:
        rows = _retained(ctx)
        definition = (
            f"Episodes admitted from {ctx.period.start:%Y-%m-%d} to "
            f"{ctx.period.end - dt.timedelta(days=days):%Y-%m-%d} (so {days} days had passed by "
            f"{ctx.period.end:%Y-%m-%d}), including people still in treatment, who were still "
            f"in treatment {days} days after admission or had ended before by completing, "
            "stepping down or transferring; leaving early, administrative discharge and other "
            "endings count as not retained."
        )
        return {
            pid: _rate(
                f"retained_{days}",
                f"Retained at {days} days",
                definition,
                rows.get(pid, {}).get(f"kept{days}", 0),
                rows.get(pid, {}).get(f"n{days}", 0),
            )
            for pid in ctx.program_ids
        }

    metric.__name__ = f"retained_{days}"
    return metric


retained_30, retained_60, retained_90 = (_retained_metric(d) for d in RETAINED_DAYS)


def _median(counts: list[tuple[int, int]], n: int) -> float:
    def at(k: int) -> int:  # the k-th smallest (0-based)
        seen = 0
        for days, c in counts:
            seen += c
            if k < seen:
                return days
        return counts[-1][0]

    if n % 2:
        return float(at(n // 2))
    return (at(n // 2 - 1) + at(n // 2)) / 2


NOT_AGAINST_COMPLETION = (
    DischargeReason.STEPPED_DOWN,
    DischargeReason.TRANSFERRED,
    DischargeReason.DIED,
)


def completion(ctx) -> dict[int, Metric]:
    d = _discharges(ctx)
    return {
        pid: _rate(
            "completion",
            "Completion rate",
            "Discharges with the reason \u201ccompleted treatment\u201d, out of the discharges "
            f"from {ctx.period.text} other than planned step-downs, transfers and deaths "
            "(which say nothing of finishing here; step-downs are shown on their own). "
            "Leaving against advice, administrative discharges, steps up and incarceration "
            "count as not completed.",
            d.get(pid, {}).get("completed", 0),
            d.get(pid, {}).get("n", 0) - d.get(pid, {}).get("not_counted", 0),
        )
        for pid in ctx.program_ids
    }


def step_downs(ctx) -> dict[int, Metric]:
    d = _discharges(ctx)
    return {
        pid: _rate(
            "step_downs",
            "Step-downs to a lower level of care",
            "Discharges \u201cstepped down to a lower level of care\u201d, out of all discharges "
            f"from {ctx.period.text}.",
            d.get(pid, {}).get("stepped_down", 0),
            d.get(pid, {}).get("n", 0),
        )
        for pid in ctx.program_ids
    }


def attendance_rate(ctx) -> dict[int, Metric]:
    provider = None
    if apps.is_installed("openiop.scheduling"):
        from openiop.scheduling.ledger import attendance_by_program as provider
    found = provider(episodes=ctx.episodes, period=ctx.period) if provider else {}
    out = {}
    for pid in ctx.program_ids:
        definition = (
            f"Group and individual sessions attended, out of sessions scheduled, from "
            f"{ctx.period.text}."
        )
        if provider is None:
            out[pid] = Metric(
                "attendance",
                "Attendance rate",
                "percent",
                definition,
                status="not_measured",
                note="Not measured yet: OpenIOP does not record attendance yet.",
            )
        else:
            attended, scheduled = found.get(pid, (0, 0))
            out[pid] = _rate("attendance", "Attendance rate", definition, attended, scheduled)
    return out


def _score_subquery(instrument_id: int, *, baseline: bool):
    qs = Response.objects.filter(
        episode_id=OuterRef("pk"),
        instrument_id=instrument_id,
        status=RecordStatus.FINAL,
        scored=True,
    )
    if baseline:
        qs = qs.filter(
            administered_on__gte=OuterRef("early"), administered_on__lte=OuterRef("late")
        ).order_by("administered_on", "administered_at", "id")
    else:
        qs = qs.filter(
            administered_on__gte=OuterRef("final_from"), administered_on__lte=OuterRef("final_to")
        ).order_by("-administered_on", "-administered_at", "-id")
    return Subquery(qs.values("total")[:1])


def _instrument_ids(ctx) -> dict[str, int]:
    if "instruments" not in ctx.cache:
        ctx.cache["instruments"] = dict(
            Instrument.objects.filter(
                organization__isnull=True, code__in=["phq9", "gad7"]
            ).values_list("code", "id")
        )
    return ctx.cache["instruments"]


def _score_changes(ctx):
    """Per program and instrument: discharged episodes with an elevated
    baseline and a discharge score, and how many responded and remitted."""
    if "changes" in ctx.cache:
        return ctx.cache["changes"]
    ids = _instrument_ids(ctx)

    shift = _shift

    qs = ctx.discharged.annotate(
        early=shift("admitted_on", -BASELINE_WINDOW),
        late=shift("admitted_on", BASELINE_WINDOW),
        final_from=Greatest(
            shift("discharged_on", -FINAL_BEFORE), shift("admitted_on", BASELINE_WINDOW + 1)
        ),
        final_to=shift("discharged_on", FINAL_AFTER),
    )
    aggregates = {}
    for code, iid in ids.items():
        qs = qs.annotate(
            **{
                f"{code}_base": _score_subquery(iid, baseline=True),
                f"{code}_final": _score_subquery(iid, baseline=False),
            }
        )
        final = F(f"{code}_final")
        elevated = Q(**{f"{code}_base__gte": ELEVATED})
        both = elevated & Q(**{f"{code}_final__isnull": False})
        # intention to treat: everyone who started elevated; no score at
        # discharge counts as not responded (the follow-up rate is shown beside)
        aggregates[f"{code}_n"] = Count("id", filter=elevated)
        aggregates[f"{code}_followed"] = Count("id", filter=both)
        aggregates[f"{code}_response"] = Count(
            "id", filter=both & Q(**{f"{code}_base__gte": final * 2})
        )
        aggregates[f"{code}_remission"] = Count("id", filter=both & Q(**{f"{code}_final__lt": 5}))
        aggregates[f"{code}_baseline"] = Count("id", filter=Q(**{f"{code}_base__isnull": False}))
    rows = qs.values("program_id").annotate(**aggregates).order_by() if aggregates else []
    ctx.cache["changes"] = {r["program_id"]: r for r in rows}
    return ctx.cache["changes"]


def _change_metric(ctx, code: str, name: str, kind: str) -> dict[int, Metric]:
    rows = _score_changes(ctx)
    if kind == "response":
        label = f"{name} response (score halved)"
        what = f"whose {name} fell by half or more"
    else:
        label = f"{name} remission (below 5)"
        what = f"whose last {name} before discharge was below 5"
    definition = (
        f"People discharged from {ctx.period.text} {what}, out of everyone discharged then "
        f"with an elevated baseline ({name} of {ELEVATED} or more within {BASELINE_WINDOW} "
        "days of admission), by intention to treat: someone without a score in the "
        f"{FINAL_BEFORE} days before discharge (or up to {FINAL_AFTER} after) counts as not "
        "improved. Response (a drop of half or more) and remission (below 5) follow the "
        "thresholds of the HEDIS Depression Remission or Response measure (DRR-E); unlike "
        "it, they are measured at discharge, not 4 to 8 months after the first score."
    )
    out = {}
    for pid in ctx.program_ids:
        r = rows.get(pid, {})
        m = _rate(
            f"{code}_{kind}", label, definition, r.get(f"{code}_{kind}", 0), r.get(f"{code}_n", 0)
        )
        m.extra = {
            "with_baseline": r.get(f"{code}_baseline", 0),
            "followed_up": r.get(f"{code}_followed", 0),
        }
        if m.shown:
            m.note = f"Scored at discharge: {m.extra['followed_up']} of {m.denominator}."
        out[pid] = m
    return out


def phq9_response(ctx):
    return _change_metric(ctx, "phq9", "PHQ-9", "response")


def phq9_remission(ctx):
    return _change_metric(ctx, "phq9", "PHQ-9", "remission")


def gad7_response(ctx):
    return _change_metric(ctx, "gad7", "GAD-7", "response")


def gad7_remission(ctx):
    return _change_metric(ctx, "gad7", "GAD-7", "remission")


def negative_tests(ctx) -> dict[int, Metric]:
    since = ctx.period.end - dt.timedelta(days=TEST_DAYS - 1)
    rows = (
        DrugTest.objects.filter(
            episode__in=ctx.episodes,
            record_status=RecordStatus.FINAL,
            collected_on__range=(since, ctx.period.end),
        )
        .values("episode__program_id")
        .annotate(n=Count("id"), negative=Count("id", filter=Q(outcome=DrugTestOutcome.NEGATIVE)))
        .order_by()
    )
    by_program = {r["episode__program_id"]: r for r in rows}
    definition = (
        f"Drug and alcohol tests of the program's patients in the {TEST_DAYS} days to "
        f"{ctx.period.end:%Y-%m-%d} in which every substance was negative (a positive explained "
        "by a prescription counts as negative), out of all tests due; missed, refused and "
        "dilute tests count as not negative."
    )
    return {
        pid: _rate(
            "negative_tests",
            f"Negative drug tests, last {TEST_DAYS} days",
            definition,
            by_program.get(pid, {}).get("negative", 0),
            by_program.get(pid, {}).get("n", 0),
        )
        for pid in ctx.program_ids
    }


SUMMARIES = {
    "admissions": "Admissions in the period.",
    "retention": "Median days from admission to discharge, of those discharged.",
    "retained_30": "Still in treatment 30 days after admission (or a planned ending).",
    "retained_60": "Still in treatment 60 days after admission (or a planned ending).",
    "retained_90": "Still in treatment 90 days after admission (or a planned ending).",
    "completion": "Completed treatment, of discharges other than step-downs, transfers, deaths.",
    "attendance": "Sessions attended, of sessions scheduled.",
    "phq9_response": "Discharged with a PHQ-9 at least halved, of all who started at 10+.",
    "phq9_remission": "Discharged with a PHQ-9 below 5, of all who started at 10+.",
    "gad7_response": "Discharged with a GAD-7 at least halved, of all who started at 10+.",
    "gad7_remission": "Discharged with a GAD-7 below 5, of all who started at 10+.",
    "negative_tests": f"Tests negative for every substance, of all tests due in {TEST_DAYS} days.",
    "step_downs": "Discharges to a lower level of care, of all discharges.",
}

METRICS = [
    admissions,
    retained_30,
    retained_60,
    retained_90,
    retention,
    completion,
    attendance_rate,
    phq9_response,
    phq9_remission,
    gad7_response,
    gad7_remission,
    negative_tests,
    step_downs,
]


# what a program publishes: always these, always over the last twelve months
PUBLISHED_SET = [
    "admissions",
    "retained_30",
    "retained_90",
    "completion",
    "attendance",
    "phq9_response",
    "phq9_remission",
    "gad7_response",
    "gad7_remission",
    "negative_tests",
]


def published_period(program) -> Period:
    """The trailing twelve months to today where the program meets."""
    from openiop.scheduling.localtime import today_in

    end = today_in(program.site.time_zone)
    return Period(end.replace(year=end.year - 1) + dt.timedelta(days=1), end)


@dataclass
class _Context:
    episodes: object
    discharged: object
    period: Period
    program_ids: list[int]
    cache: dict = field(default_factory=dict)


@dataclass
class ProgramOutcomes:
    program: Program
    metrics: list[Metric]

    def metric(self, code: str) -> Metric | None:
        return next((m for m in self.metrics if m.code == code), None)


def outcome_programs(actor):
    """Programs whose outcomes the actor may see."""
    g = grant(actor, "outcomes.view")
    if not g:
        return Program.objects.none()
    return Program.objects.filter(
        Q(organization_id__in=g.organization_ids) | Q(id__in=g.program_ids)
    )


def program_outcomes(
    *, actor, period: Period | None = None, programs=None
) -> list[ProgramOutcomes]:
    """Outcomes for the programs the actor may see (or a subset of them)."""
    period = period or default_period()
    allowed = outcome_programs(actor)
    if programs is not None:
        allowed = allowed.filter(pk__in=[p.pk for p in programs])
    program_list = list(allowed.select_related("site").order_by("name"))
    if not program_list:
        return []
    ids = [p.pk for p in program_list]
    episodes = Episode.objects.filter(program_id__in=ids).exclude(
        status=EpisodeStatus.ENTERED_IN_ERROR
    )
    ctx = _Context(
        episodes=episodes,
        discharged=episodes.filter(
            status=EpisodeStatus.DISCHARGED,
            discharged_on__range=(period.start, period.end),
        ),
        period=period,
        program_ids=ids,
    )
    results = [fn(ctx) for fn in METRICS]
    for by_program in results:
        for m in by_program.values():
            m.summary = SUMMARIES.get(m.code, "")
    return [ProgramOutcomes(p, [r[p.pk] for r in results]) for p in program_list]


def published_outcomes(program):
    """What the public directory shows for a program: the current published
    figures, each with its denominator, definition and period. Public data."""
    from openiop.outcomes.models import PublishedOutcome

    return PublishedOutcome.objects.filter(program=program).current().order_by("metric")
