"""Billing reads that several pages share."""

from django.db.models import Sum

from openiop.billing.day_models import BILLABLE_STATUSES, BillingDay


def authorization_used(authorization_ids) -> dict[int, int]:
    """Units used per authorization: computed from billable days (ready or
    billed), never typed. One query."""
    rows = (
        BillingDay.objects.filter(
            authorization_id__in=list(authorization_ids), status__in=BILLABLE_STATUSES
        )
        .values("authorization_id")
        .annotate(used=Sum("units"))
    )
    return {r["authorization_id"]: r["used"] or 0 for r in rows}
