"""The outcome figures a program's director chose to publish, read from the
outcomes capability (`openiop.outcomes`: `selectors.published_outcomes(program)`
over `PublishedOutcome`, a snapshot of value, numerator, denominator,
definition and period per metric).

Until that capability is installed, no figures are shown: the finder never
computes outcomes from patient records itself.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.apps import apps


@dataclass(frozen=True)
class Outcome:
    label: str
    value: Decimal
    unit: str
    numerator: int | None
    denominator: int | None
    definition: str
    period_start: object
    period_end: object

    @property
    def display(self) -> str:
        value = f"{self.value.normalize():f}" if isinstance(self.value, Decimal) else self.value
        if self.unit == "percent":
            return f"{value}%"
        if self.unit in ("days", "weeks"):
            return f"{value} {self.unit}"
        return str(value)


def _model():
    if not apps.is_installed("openiop.outcomes"):
        return None
    try:
        return apps.get_model("outcomes", "PublishedOutcome")
    except LookupError:
        return None


def _current(qs):
    return qs.current() if hasattr(qs, "current") else qs


def _rows(program):
    """The capability's own selector when it has one, else its current rows."""
    try:
        from openiop.outcomes.selectors import published_outcomes as selector
    except ImportError:
        selector = None
    if selector is not None:
        return selector(program)
    return _current(_model().objects.filter(program=program)).order_by("label")


def published_outcomes(program) -> list[Outcome]:
    if _model() is None or program is None:
        return []
    rows = _rows(program)
    return [
        Outcome(
            label=getattr(r, "label", ""),
            value=getattr(r, "value", None),
            unit=getattr(r, "unit", ""),
            numerator=getattr(r, "numerator", None),
            denominator=getattr(r, "denominator", None),
            definition=getattr(r, "definition", ""),
            period_start=getattr(r, "period_start", None),
            period_end=getattr(r, "period_end", None),
        )
        for r in rows
    ]


def has_published_outcomes(program) -> bool:
    model = _model()
    if model is None or program is None:
        return False
    return _current(model.objects.filter(program=program)).exists()
