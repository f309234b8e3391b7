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


def scores(cast, patient=None, actor=None):
    """A PHQ-9 (total 12, moderate) and an AUDIT-C for the patient (synthetic answers)."""
    from openiop.measures.models import Instrument
    from openiop.measures.services.responses import response_record

    patient = patient or cast.patient_a
    actor = actor or (cast.clinician_b if patient == cast.patient_b else cast.clinician_a)
    phq9 = Instrument.objects.get(organization__isnull=True, code="phq9")
    auditc = Instrument.objects.get(organization__isnull=True, code="auditc")
    answers = {"1": 2, "2": 2, "3": 1, "4": 2, "5": 1, "6": 1, "7": 2, "8": 1, "9": 0}
    a = response_record(actor=actor, patient=patient, instrument=phq9, answers=answers)
    b = response_record(
        actor=actor, patient=patient, instrument=auditc, answers={"1": 2, "2": 1, "3": 1}
    )
    return a, b
