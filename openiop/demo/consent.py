"""Demo history of Part 2 consents: two outside recipients (a clinic patients
step down to, a health plan), consents of some patients of the substance use
and co-occurring programs (one revoked, one expiring soon), and releases that
fill the accounting of disclosures. All synthetic, all through the services."""

import datetime as dt

from django.utils import timezone

from openiop.accounts.models import Membership
from openiop.care.models import Episode
from openiop.consent.release import release_records
from openiop.consent.services import consent_record, consent_revoke, recipient_create
from openiop.interop.fhir.common import PART2_FOCUSES

CLINIC = "Riverbend Community Clinic (synthetic)"
PLAN = "Cascade Health Plan (synthetic)"


def build_consents(*, org, rng, today: dt.date | None = None) -> int:
    """Returns the number of consents recorded."""
    today = today or timezone.localdate()
    director = (
        Membership.objects.filter(organization=org, role="program_director")
        .select_related("user")
        .order_by("id")
        .first()
    )
    admin = Membership.objects.filter(organization=org, role="administrator").first()
    if director is None or admin is None:
        return 0
    clinic = recipient_create(
        actor=admin.user,
        organization=org,
        name=CLINIC,
        kind="provider",
        contact="12 Example Rd, Portland OR 97201, 555-0300",
    )
    plan = recipient_create(
        actor=admin.user, organization=org, name=PLAN, kind="payer", contact="claims@example.test"
    )
    episodes = list(
        Episode.objects.filter(organization=org, program__focus__in=PART2_FOCUSES)
        .select_related("patient", "primary_clinician", "program")
        .order_by("id")[:12]
    )
    count = 0
    for i, ep in enumerate(episodes):
        clinician = ep.primary_clinician or director.user
        patient = ep.patient
        signed = max(ep.admitted_on, today - dt.timedelta(days=rng.randint(5, 40)))
        if i % 3 == 2:
            consent = consent_record(
                actor=clinician,
                patient=patient,
                categories=["demographics"],
                description="Dates of admission and discharge, for claims (synthetic).",
                recipient_scope="tpo",
                purpose="tpo",
                signer_name=patient.legal_name,
                signer_role="self",
                signed_on=signed,
                attestation=True,
                expires_at_discharge=ep.status == "active",
                expires_on=None if ep.status == "active" else today + dt.timedelta(days=365),
            )
            count += 1
            continue
        consent = consent_record(
            actor=clinician,
            patient=patient,
            categories=["diagnoses", "plan", "scores", "discharge_summary"],
            description="Diagnoses, treatment plan goals, PHQ-9 and GAD-7 scores and the "
            "discharge summary of this admission, for the step-down to outpatient care "
            "(synthetic).",
            recipient_scope="named",
            recipient=clinic,
            purpose="treatment",
            signer_name=patient.legal_name,
            signer_role="self",
            signed_on=signed,
            attestation=True,
            expires_on=today + dt.timedelta(days=20 if i == 1 else rng.randint(90, 365)),
        )
        count += 1
        if i % 4 == 0:
            release_records(
                actor=clinician,
                patient=patient,
                consent=consent,
                recipient=clinic,
                categories=["diagnoses", "plan"],
                output="print",
            )
        if i == 3:
            consent_revoke(
                actor=clinician,
                consent=consent,
                revoked_on=today,
                note="The patient asked by phone to stop sharing (synthetic).",
            )
    _ = plan
    return count
