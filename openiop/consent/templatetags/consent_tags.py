"""`{% part2_consents patient %}`: the chart's Part 2 section (consents at a glance)."""

from django import template
from django.utils import timezone

from openiop.access.scope import can
from openiop.consent.models import Part2Consent

register = template.Library()


@register.inclusion_tag("consent/_chart_section.html", takes_context=True)
def part2_consents(context, patient):
    user = context["request"].user
    if not can(user, "consent.view"):
        return {"show": False}
    today = timezone.localdate()
    consents = list(
        Part2Consent.objects.visible_to(user, "view")
        .filter(patient=patient)
        .select_related("recipient")
        .order_by("-signed_on", "-id")[:20]
    )
    active = [c for c in consents if c.state(today) == "active"]
    return {
        "show": True,
        "patient": patient,
        "active": active[:5],
        "active_count": len(active),
        "inactive_count": len(consents) - len(active),
        "can_manage": can(user, "consent.manage"),
        "can_account": can(user, "disclosure.view"),
    }
