"""Weekly hours a plan prescribes, from its interventions, against the
program's band (Program.min_weekly_hours / max_weekly_hours)."""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

# sessions per period -> per week: a month is 52/12 weeks
PER_WEEK = {"week": Decimal(1), "fortnight": Decimal(1) / 2, "month": Decimal(12) / 52}
PERIOD_WORDS = {"week": "a week", "fortnight": "every other week", "month": "a month"}
# a session's usual length when the clinician does not say (minutes)
DEFAULT_MINUTES = {
    "individual": 50,
    "group": 90,
    "family": 50,
    "psychoeducation": 60,
    "medication": 20,
    "mindfulness": 60,
    "drug_testing": 15,
    "case_management": 30,
    "peer_support": 60,
}
NOUNS = {
    "individual": ("individual session", "individual sessions"),
    "group": ("group", "groups"),
    "family": ("family session", "family sessions"),
    "psychoeducation": ("workshop", "workshops"),
    "medication": ("prescriber visit", "prescriber visits"),
    "mindfulness": ("mindfulness session", "mindfulness sessions"),
    "drug_testing": ("test", "tests"),
    "case_management": ("case management contact", "case management contacts"),
    "peer_support": ("peer support meeting", "peer support meetings"),
}


def weekly_hours_of(sessions: int, period: str, minutes: int) -> Decimal:
    return Decimal(sessions) * PER_WEEK[period] * Decimal(minutes) / 60


def frequency_label(iv) -> str:
    """'3 groups a week', '1 family session every other week'."""
    one, many = NOUNS.get(iv.modality, ("session", "sessions"))
    noun = one if iv.sessions == 1 else many
    return f"{iv.sessions} {noun} {PERIOD_WORDS[iv.period]}, {iv.minutes} min"


def _q(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class HoursCheck:
    hours: Decimal
    minimum: Decimal
    maximum: Decimal | None
    by_modality: list[tuple[str, Decimal]]

    @property
    def status(self) -> str:
        if self.hours < self.minimum:
            return "below"
        if self.maximum is not None and self.hours > self.maximum:
            return "above"
        return "within"

    @property
    def message(self) -> str:
        band = (
            f"{_fmt(self.minimum)}-{_fmt(self.maximum)}"
            if self.maximum
            else f"{_fmt(self.minimum)}+"
        )
        if self.status == "below":
            return (
                f"The plan prescribes {_fmt(self.hours)} hours a week, below the program's "
                f"band of {band} hours."
            )
        if self.status == "above":
            return (
                f"The plan prescribes {_fmt(self.hours)} hours a week, above the program's "
                f"band of {band} hours."
            )
        return f"{_fmt(self.hours)} hours a week, within the program's band of {band} hours."

    def bar(self, width: int = 400) -> dict:
        """Geometry of the hours bar (server-rendered SVG): the band and the plan."""
        top = max(self.hours, self.maximum or self.minimum * 2, Decimal(1)) * Decimal("1.15")
        scale = Decimal(width) / top

        def x(v):
            return int(v * scale)

        return {
            "width": width,
            "band_x": x(self.minimum),
            "band_w": max(2, x((self.maximum or top) - self.minimum)),
            "plan_w": max(2, x(self.hours)),
            "min_x": x(self.minimum),
            "max_x": x(self.maximum) if self.maximum is not None else None,
        }


def _fmt(v) -> str:
    return f"{_q(Decimal(v)).normalize():f}"


def hours_check(interventions, program) -> HoursCheck:
    totals: dict[str, Decimal] = {}
    for iv in interventions:
        totals[iv.modality] = totals.get(iv.modality, Decimal(0)) + weekly_hours_of(
            iv.sessions, iv.period, iv.minutes
        )
    from openiop.care.plans.plan_models import Modality

    labels = dict(Modality.choices)
    by_modality = sorted(
        ((labels.get(m, m), _q(h)) for m, h in totals.items()), key=lambda t: -t[1]
    )
    return HoursCheck(
        hours=_q(sum(totals.values(), Decimal(0))),
        minimum=program.min_weekly_hours,
        maximum=program.max_weekly_hours,
        by_modality=by_modality,
    )
