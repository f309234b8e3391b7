"""Writes for patients, their support persons and coverage."""

import datetime as dt
import secrets

from django.db import IntegrityError, transaction
from django.utils import timezone

from openiop.access.services import deny, require
from openiop.audit.models import Action
from openiop.audit.services import audit_record
from openiop.core.errors import ApplicationError
from openiop.patients.models import Coverage, Patient, PayerType, Sex, SupportPerson

PATIENT_FIELDS = (
    "mrn",
    "legal_given_name",
    "legal_family_name",
    "preferred_name",
    "pronouns",
    "date_of_birth",
    "sex_at_birth",
    "phone",
    "email",
    "street",
    "city",
    "state",
    "zip_code",
    "preferred_language",
)
REQUIRED = {
    "legal_given_name": "Enter the legal given name.",
    "legal_family_name": "Enter the legal family name.",
    "date_of_birth": "Enter the date of birth.",
}


def search_name_for(p: Patient) -> str:
    return " ".join(
        x for x in (p.legal_given_name, p.legal_family_name, p.preferred_name) if x
    ).lower()


def _clean(data: dict) -> dict:
    clean = {}
    for key, value in data.items():
        if key not in PATIENT_FIELDS:
            raise ApplicationError.for_field(key, f"{key} is not a patient field.")
        clean[key] = value.strip() if isinstance(value, str) else value
    return clean


def _validate(p: Patient) -> None:
    for field, message in REQUIRED.items():
        if not getattr(p, field):
            raise ApplicationError.for_field(field, message)
    dob = p.date_of_birth
    if not isinstance(dob, dt.date) or dob > timezone.localdate() or dob.year < 1900:
        raise ApplicationError.for_field(
            "date_of_birth", "The date of birth must be a real date in the past."
        )
    if p.sex_at_birth not in Sex.values:
        raise ApplicationError.for_field("sex_at_birth", "Choose a value from the list.")
    if p.state and (len(p.state) != 2 or not p.state.isalpha()):
        raise ApplicationError.for_field("state", "Use the two-letter state code, e.g. OR.")
    p.state = p.state.upper()


def _new_mrn(organization_id: int) -> str:
    for _ in range(10):
        mrn = f"MRN-{secrets.randbelow(10**7):07d}"
        if not Patient.objects.filter(organization_id=organization_id, mrn=mrn).exists():
            return mrn
    raise ApplicationError.for_field("mrn", "Could not assign an MRN; enter one.")


def _duplicate_mrn(organization_id: int, mrn: str, exclude_pk=None) -> bool:
    qs = Patient.objects.filter(organization_id=organization_id, mrn__iexact=mrn)
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    return qs.exists()


DUPLICATE_MRN = "Another patient of this organization has that MRN."


def patient_register(*, actor, organization, admission: dict | None = None, **data) -> Patient:
    """Register a patient, optionally admitting them in the same transaction.

    Staff whose role is limited to one program can only register together with
    an admission to that program, or they could not see the patient afterwards.
    """
    from openiop.care.services import episode_admit

    program = (admission or {}).get("program")
    require(
        actor,
        "patient.create",
        organization_id=organization.pk,
        program_id=getattr(program, "pk", None),
        action=Action.CREATE,
    )
    p = Patient(organization=organization, created_by=actor, **_clean(data))
    _validate(p)
    p.mrn = p.mrn or _new_mrn(organization.pk)
    if _duplicate_mrn(organization.pk, p.mrn):
        raise ApplicationError.for_field("mrn", DUPLICATE_MRN)
    p.search_name = search_name_for(p)
    try:
        with transaction.atomic():
            p.save()
            audit_record(
                actor=actor,
                action=Action.CREATE,
                event="patient.create",
                obj=p,
                patient=p,
                changed_fields=[f for f in PATIENT_FIELDS if getattr(p, f)],
            )
            if admission:
                episode_admit(actor=actor, patient=p, **admission)
    except IntegrityError:
        raise ApplicationError.for_field("mrn", DUPLICATE_MRN) from None
    return p


def patient_update(*, actor, patient: Patient, **data) -> Patient:
    _require_change(actor, patient)
    data = _clean(data)
    changed = [f for f, v in data.items() if getattr(patient, f) != v]
    if not changed:
        return patient
    for f in changed:
        setattr(patient, f, data[f])
    _validate(patient)
    if not patient.mrn:
        raise ApplicationError.for_field("mrn", "A patient must keep an MRN.")
    if "mrn" in changed and _duplicate_mrn(patient.organization_id, patient.mrn, patient.pk):
        raise ApplicationError.for_field("mrn", DUPLICATE_MRN)
    patient.search_name = search_name_for(patient)
    try:
        with transaction.atomic():
            patient.save()
            audit_record(
                actor=actor,
                action=Action.UPDATE,
                event="patient.update",
                obj=patient,
                patient=patient,
                changed_fields=changed,
            )
    except IntegrityError:
        raise ApplicationError.for_field("mrn", DUPLICATE_MRN) from None
    return patient


def _require_change(actor, patient: Patient) -> None:
    if not Patient.objects.visible_to(actor, "change").filter(pk=patient.pk).exists():
        deny(actor, "patient.change", action=Action.UPDATE)


def support_person_add(*, actor, patient: Patient, **data) -> SupportPerson:
    _require_change(actor, patient)
    if not (data.get("name") or "").strip():
        raise ApplicationError.for_field("name", "Enter the support person's name.")
    if data.get("involvement_consent") and not data.get("consent_recorded_on"):
        data["consent_recorded_on"] = timezone.localdate()
    with transaction.atomic():
        person = SupportPerson.objects.create(patient=patient, created_by=actor, **data)
        audit_record(
            actor=actor,
            action=Action.CREATE,
            event="support_person.create",
            obj=person,
            patient=patient,
            organization_id=patient.organization_id,
            changed_fields=[k for k, v in data.items() if v],
        )
    return person


COVERAGE_FIELDS = (
    "payer",
    "payer_type",
    "payer_name",
    "member_id",
    "group_number",
    "is_primary",
    "starts_on",
    "ends_on",
)


def _coverage_values(patient: Patient, data: dict, *, kept_payer_id=None) -> dict:
    """The coverage's fields checked: a billing payer of the patient's
    organization and active (its name and kind become the coverage's; a payer
    the coverage already names may have been deactivated since), a kind and a
    name, an end not before the start."""
    for key in data:
        if key not in COVERAGE_FIELDS:
            raise ApplicationError.for_field(key, f"{key} is not a coverage field.")
    data = {k: v.strip() if isinstance(v, str) else v for k, v in data.items()}
    payer = data.get("payer")
    if payer is not None:  # billing's payer: its name and kind are the coverage's
        kept = kept_payer_id is not None and payer.pk == kept_payer_id
        if payer.organization_id != patient.organization_id or not (payer.is_active or kept):
            raise ApplicationError.for_field(
                "payer", "Choose one of the organization's active payers."
            )
        data["payer_name"], data["payer_type"] = payer.name, payer.kind
    if data.get("payer_type") not in PayerType.values:
        raise ApplicationError.for_field("payer_type", "Choose the kind of payer.")
    if not data.get("payer_name"):
        raise ApplicationError.for_field("payer_name", "Enter the payer's name.")
    starts, ends = data.get("starts_on"), data.get("ends_on")
    if starts and ends and ends < starts:
        raise ApplicationError.for_field("ends_on", "Coverage cannot end before it starts.")
    return data


def _recheck_patient_days(patient: Patient) -> None:
    """Billing judges the patient's open days again once the transaction
    commits (coverage decides whether a day can be billed, and to whom)."""
    from openiop.billing.services.days import recheck_later

    recheck_later(patient.episodes.values_list("pk", flat=True))


def coverage_add(*, actor, patient: Patient, **data) -> Coverage:
    _require_change(actor, patient)
    data = _coverage_values(patient, data)
    with transaction.atomic():
        if data.get("is_primary", True):
            patient.coverages.filter(is_primary=True).update(is_primary=False)
        cov = Coverage.objects.create(patient=patient, created_by=actor, **data)
        audit_record(
            actor=actor,
            action=Action.CREATE,
            event="coverage.create",
            obj=cov,
            patient=patient,
            organization_id=patient.organization_id,
            changed_fields=[k for k, v in data.items() if v],
        )
        _recheck_patient_days(patient)
    return cov


def coverage_change(*, actor, coverage: Coverage, **data) -> Coverage:
    """Edit a coverage (its payer, member and group, primary flag, dates):
    checked like a new one, the changed fields audited, the patient's days
    judged again. Fields not given keep their value; nothing changed writes
    nothing."""
    patient = coverage.patient
    _require_change(actor, patient)
    current = {f: getattr(coverage, f) for f in COVERAGE_FIELDS}
    values = _coverage_values(patient, {**current, **data}, kept_payer_id=coverage.payer_id)
    changed = [f for f in COVERAGE_FIELDS if values.get(f) != current[f]]
    if not changed:
        return coverage
    with transaction.atomic():
        if values["is_primary"] and "is_primary" in changed:
            patient.coverages.filter(is_primary=True).exclude(pk=coverage.pk).update(
                is_primary=False
            )
        for f in changed:
            setattr(coverage, f, values[f])
        coverage.save(update_fields=[*changed, "updated_at"])
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            event="coverage.update",
            obj=coverage,
            patient=patient,
            organization_id=patient.organization_id,
            changed_fields=changed,
        )
        _recheck_patient_days(patient)
    return coverage
