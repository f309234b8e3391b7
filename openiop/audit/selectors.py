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


CHOICES = 20  # patients listed when a name matches several


def audit_patient_lookup(*, actor, query: str) -> tuple[int | None, list]:
    """The patient an auditor means by a name, MRN or date of birth, among the
    organizations whose trail they read: (patient id, []) for an exact MRN or a
    single match, (None, up to CHOICES patients to choose from) otherwise. The
    lookup is itself audited, with the patients it showed."""
    from openiop.access.scope import grant
    from openiop.audit.models import Action
    from openiop.audit.services import audit_record
    from openiop.patients.models import Patient
    from openiop.patients.selectors import matching

    orgs = grant(actor, "audit.view").organization_ids
    patients = Patient.objects.filter(organization_id__in=orgs)
    exact = list(patients.filter(mrn__iexact=query.strip())[:2])
    found = (
        exact
        if len(exact) == 1
        else list(
            matching(patients, query).order_by("legal_family_name", "legal_given_name", "id")[
                : CHOICES + 1
            ]
        )
    )
    audit_record(
        actor=actor,
        action=Action.READ,
        event="audit.patient_lookup",
        patient_ids=[p.pk for p in found],
        detail={"purpose": "audit", "matches": len(found)},
    )
    if len(found) == 1:
        return found[0].pk, []
    return None, found
