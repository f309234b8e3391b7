"""Condition <- care.Diagnosis (ICD-10-CM)."""

from openiop.interop.fhir.common import (
    EXT,
    ICD10CM,
    concept,
    day,
    drop_empty,
    ref,
    uuid_identifier,
    with_meta,
)
from openiop.interop.fhir.us_core import CONDITION, declared, patient_conforms

CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
EPISODE_EXT = f"{EXT}/episode-of-care"
PRIMARY_EXT = f"{EXT}/primary-diagnosis"


def diagnosis_is_part2(d, program) -> bool:
    from openiop.interop.fhir.common import is_part2_program

    return d.category == "substance_use" or is_part2_program(program)


def condition_resource(d, patient, episode, *, part2: bool = False, note: bool = True) -> dict:
    """`note`: the clinician's narrative, which goes with the clinical record (the
    plan), not with the codes alone (billing, a diagnoses-only consent)."""
    if d.status == "entered_in_error":
        clinical, verification = None, concept(VERIFICATION, "entered-in-error", "Entered in Error")
    else:
        status = "resolved" if d.status == "resolved" else "active"
        clinical = concept(CLINICAL, status, status.capitalize())
        verification = concept(VERIFICATION, "confirmed", "Confirmed")
    resource = {
        "resourceType": "Condition",
        "id": str(d.uuid),
        "extension": [
            {"url": EPISODE_EXT, "valueReference": ref("EpisodeOfCare", episode.uuid)},
            {"url": PRIMARY_EXT, "valueBoolean": bool(d.is_primary)},
        ],
        "identifier": [uuid_identifier(d.uuid)],
        "clinicalStatus": clinical,
        "verificationStatus": verification,
        "category": [concept(CATEGORY, "encounter-diagnosis", "Encounter Diagnosis")],
        "code": {
            "coding": [{"system": ICD10CM, "code": d.code, "display": d.description}],
            "text": d.description,
        },
        "subject": ref("Patient", patient.uuid),
        "onsetDateTime": day(d.diagnosed_on),
        "abatementDateTime": day(d.resolved_on) if d.status == "resolved" else None,
        "recordedDate": day(d.diagnosed_on),
        "note": [{"text": d.note}] if d.note and note else None,
    }
    return with_meta(
        drop_empty(resource),
        part2=part2,
        updated=d.updated_at,
        profiles=declared(CONDITION, patient_conforms(patient)),
    )
