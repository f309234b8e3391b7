"""A patient with a full record to export: support person, diagnoses, a signed
plan, a Part 2 consent to a named recipient (all synthetic)."""

import datetime as dt

from django.utils import timezone

from openiop.accounts.models import StaffCredential
from openiop.consent.services import consent_record, recipient_create
from openiop.patients.services import support_person_add
from tests.plans_helpers import sign_all, small_plan

TODAY = timezone.localdate()


def full_record(cast):
    patient = cast.patient_a
    patient.preferred_name = "Ace"
    patient.phone = "555-0100"
    patient.email = "avery.synthetic@example.test"
    patient.street, patient.city, patient.state, patient.zip_code = (
        "12 Synthetic Lane",
        "Portland",
        "OR",
        "97201",
    )
    patient.save()
    support_person_add(
        actor=cast.clinician_a,
        patient=patient,
        name="Robin Testperson (synthetic)",
        relationship="spouse",
        phone="555-0101",
        is_emergency_contact=True,
        involvement_consent=True,
    )
    StaffCredential.objects.create(
        user=cast.clinician_a,
        organization=cast.org,
        license_type="LADC",
        number="TEST-1234",
        state="OR",
        expires_on=TODAY + dt.timedelta(days=300),
    )
    plan = small_plan(cast.clinician_a, cast.episode_a)
    problem = plan.versions.get().problems.get()
    problem.diagnoses.set(cast.episode_a.diagnoses.all())  # the problem names its diagnosis
    sign_all(plan, cast.clinician_a)
    return patient


def recipient(cast, name="Riverbend Outpatient Clinic (synthetic)", kind="provider"):
    return recipient_create(actor=cast.director_a, organization=cast.org, name=name, kind=kind)


def consent_for(cast, rcpt, *, categories=("demographics", "diagnoses", "plan"), **over):
    data = dict(
        actor=cast.clinician_a,
        patient=cast.patient_a,
        categories=list(categories),
        description="Diagnoses and treatment plan from the current admission (synthetic).",
        recipient_scope="named",
        recipient=rcpt,
        purpose="treatment",
        signer_name=cast.patient_a.legal_name,
        signer_role="self",
        signed_on=TODAY,
        attestation=True,
        expires_on=TODAY + dt.timedelta(days=365),
    )
    data.update(over)
    return consent_record(**data)
