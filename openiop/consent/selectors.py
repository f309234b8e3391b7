"""Reads for consents, recipients and the accounting of disclosures; every
one starts from `visible_to`."""

import datetime as dt

from django.db.models import Count
from django.db.models.functions import TruncMonth
from django.utils import timezone

from openiop.consent.models import Disclosure, ExternalRecipient, Part2Consent
from openiop.patients.models import Patient

ACCOUNTING_YEARS = 3


def patient_for(*, actor, patient_uuid, action: str = "view"):
    return (
        Patient.objects.visible_to(actor, action)
        .select_related("organization")
        .filter(uuid=patient_uuid)
        .first()
    )


def consents_of(*, actor, patient):
    return (
        Part2Consent.objects.visible_to(actor, "view")
        .filter(patient=patient)
        .select_related(
            "recipient", "program", "organization", "revoked_by", "created_by", "expiry_episode"
        )
        .order_by("-signed_on", "-id")
    )


def consent_detail(*, actor, consent_uuid):
    return (
        Part2Consent.objects.visible_to(actor, "view")
        .select_related(
            "recipient", "program", "organization", "patient__organization", "expiry_episode"
        )
        .filter(uuid=consent_uuid)
        .first()
    )


def accounting_since(today: dt.date | None = None) -> dt.date:
    """The accounting covers the past three years (42 CFR 2.24)."""
    today = today or timezone.localdate()
    try:
        return today.replace(year=today.year - ACCOUNTING_YEARS)
    except ValueError:  # 29 February
        return today.replace(year=today.year - ACCOUNTING_YEARS, day=28)


def accounting(*, actor, patient, today: dt.date | None = None):
    since = accounting_since(today)
    return (
        Disclosure.objects.visible_to(actor, "view")
        .filter(patient=patient, disclosed_at__date__gte=since)
        .select_related("consent")
        .order_by("-disclosed_at", "-id")
    )


def accounting_by_month(disclosures, *, today: dt.date | None = None) -> list[dict]:
    """Disclosures per month over the three years, oldest first (36 bars)."""
    today = today or timezone.localdate()
    rows = (
        disclosures.order_by()
        .annotate(month=TruncMonth("disclosed_at"))
        .values("month")
        .annotate(n=Count("id"))
    )
    counts = {(r["month"].year, r["month"].month): r["n"] for r in rows}
    months = []
    y, m = today.year, today.month
    for _ in range(ACCOUNTING_YEARS * 12):
        months.append({"year": y, "month": m, "count": counts.get((y, m), 0)})
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    months.reverse()
    peak = max([x["count"] for x in months] + [1])
    for i, x in enumerate(months):
        x["height"] = round(100 * x["count"] / peak)
        x["x"] = 30 + i * 18
        x["y"] = 110 - x["height"]
        x["label"] = dt.date(x["year"], x["month"], 1).strftime("%b %Y")
        x["tick"] = x["month"] == 1
    return months


def recipients_visible(*, actor):
    return ExternalRecipient.objects.visible_to(actor, "view").select_related("client_user")
