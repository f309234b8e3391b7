"""Observation (category survey) <- measures.Response: the total score, LOINC coded."""

from openiop.interop.fhir.common import CS, LOINC, drop_empty, ref, with_meta
from openiop.interop.fhir.questionnaire_response import when_given
from openiop.interop.fhir.us_core import OBSERVATION_SURVEY, declared, patient_conforms

CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
BANDS = f"{CS}/score-band"
INSTRUMENTS = f"{CS}/instrument"


def total_score_concept(definition: dict) -> dict:
    """What an instrument's total score is called: LOINC where the definition has a
    code, else the instrument's own code (a Goal's target measured by it says the same)."""
    short = definition.get("short_name") or definition["code"]
    loinc = (definition.get("loinc") or {}).get("total")
    if loinc:
        coding = {"system": LOINC, "code": loinc, "display": f"{short} total score"}
    else:
        coding = {"system": INSTRUMENTS, "code": f"{definition['code']}-total"}
    return {"coding": [coding], "text": f"{short} total score"}


def observation_resource(r, definition: dict, patient, *, part2: bool = False) -> dict | None:
    """The total score of a scored response, or None (nothing to observe)."""
    if not r.scored or r.total is None:
        return None
    interpretation = None
    if r.band:
        interpretation = [
            {
                "coding": [{"system": f"{BANDS}/{definition['code']}", "code": r.band}],
                "text": r.band_label or r.band,
            }
        ]
    bands = definition.get("bands") or []
    resource = {
        "resourceType": "Observation",
        "id": str(r.uuid),
        "status": "entered-in-error" if r.status == "entered_in_error" else "final",
        "category": [{"coding": [{"system": CATEGORY, "code": "survey", "display": "Survey"}]}],
        "code": total_score_concept(definition),
        "subject": ref("Patient", patient.uuid),
        "effectiveDateTime": when_given(r),
        "valueInteger": r.total,
        "interpretation": interpretation,
        "referenceRange": [
            {"low": {"value": b["min"]}, "high": {"value": b["max"]}, "text": b.get("label")}
            for b in bands
            if "min" in b and "max" in b
        ],
        "derivedFrom": [ref("QuestionnaireResponse", r.uuid)],
    }
    return with_meta(
        drop_empty(resource),
        part2=part2,
        updated=r.updated_at,
        profiles=declared(OBSERVATION_SURVEY, patient_conforms(patient)),
    )
