"""Template helpers of the clinical record, and its section of the patient chart."""

from django import template

from openiop.care.plans.plan_models import ObjectiveStatus

register = template.Library()
STATUS_LABELS = dict(ObjectiveStatus.choices)


@register.filter
def objective_status(value: str) -> str:
    return STATUS_LABELS.get(value, value)


@register.filter
def lines(value: str) -> list[str]:
    return [line.strip() for line in (value or "").splitlines() if line.strip()]


@register.inclusion_tag("plans/_chart_record.html", takes_context=True)
def chart_record(context, patient):
    """The chart's clinical-record section: constant queries (see selectors)."""
    from openiop.access.scope import can
    from openiop.care.plans.selectors import chart_record as select

    user = context["request"].user
    data = select(actor=user, patient=patient)
    data.update(
        patient=patient,
        can_assess=can(user, "assessment.change"),
        can_plan=can(user, "plan.change"),
        can_discharge=can(user, "episode.discharge"),
        can_review=can(user, "plan.review"),
        can_certify=can(user, "certification.view"),
    )
    return data
