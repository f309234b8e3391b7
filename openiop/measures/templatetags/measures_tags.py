"""Template helpers for measures: the trend chart, the check-in chart, badge
classes and a permission test for templates owned by other apps."""

from django import template

from openiop.access.scope import can
from openiop.measures import charts
from openiop.measures import instruments as ins

register = template.Library()


@register.inclusion_tag("measures/_trend_svg.html")
def trend_chart(instrument, responses, sex=None):
    """`{% trend_chart instrument responses %}`: the instrument's band-shaded
    trend for a list of scored responses (any order)."""
    ordered = sorted(responses, key=lambda r: (r.administered_on, r.administered_at, r.pk))
    return {"charts": charts.response_charts(instrument, ordered, sex), "instrument": instrument}


@register.inclusion_tag("measures/_checkin_svg.html")
def checkin_chart(checkins):
    ordered = sorted(checkins, key=lambda c: c.day)
    return {"chart": charts.checkin_chart(ordered)}


@register.filter
def may(user, permission: str) -> bool:
    """`{% if request.user|may:"measure.view" %}`."""
    return bool(user and user.is_authenticated and can(user, permission))


@register.filter
def band_class(response) -> str:
    """Badge colour for a response's band: ok (lowest band), warn, bad (severe)."""
    if response is None or response.severity is None:
        return ""
    if response.result.get("severe_band"):
        return "bad"
    bands = ins.band_sets(response.instrument.definition)
    top = max([b.get("severity", 0) for bs in bands.values() for b in bs] + [1])
    share = response.severity / top
    if share == 0:
        return "ok"
    return "bad" if share >= 0.75 else "warn" if share >= 0.34 else ""


@register.filter
def outcome_class(test) -> str:
    return "ok" if test.outcome == "negative" else "bad" if test.outcome != "dilute" else "warn"
