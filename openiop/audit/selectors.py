"""Reading the audit trail: auditors search by patient, user and date range."""

import datetime as dt

from django.db.models import Exists, OuterRef, Q

from openiop.audit.models import AuditEvent, AuditSubject


def audit_search(
    *,
    actor,
    patient_id: int | None = None,
    user_id: int | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    outcome: str = "",
):
    qs = AuditEvent.objects.visible_to(actor, "view").select_related("patient")
    if patient_id:
        shown = Exists(AuditSubject.objects.filter(event=OuterRef("pk"), patient_id=patient_id))
        qs = qs.filter(Q(patient_id=patient_id) | Q(shown))
    if user_id:
        qs = qs.filter(actor_id=user_id)
    if date_from:
        qs = qs.filter(occurred_at__date__gte=date_from)
    if date_to:
        qs = qs.filter(occurred_at__date__lte=date_to)
    if outcome:
        qs = qs.filter(outcome=outcome)
    return qs.order_by("-id")
