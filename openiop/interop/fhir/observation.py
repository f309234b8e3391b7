"""Observation (category survey) <- measures.Response: the total score, LOINC coded."""

from openiop.interop.fhir.common import CS, drop_empty, ref, with_meta
from openiop.interop.fhir.questionnaire_response import when_given

CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
BANDS = f"{CS}/score-band"
INSTRUMENTS = f"{CS}/instrument"


def observation_resource(r, definition: dict, patient, *, part2: bool = False) -> dict | None:
    """The total score of a scored response, or None (nothing to observe)."""
    if not r.scored or r.total is None:
        return None
    loinc = (definition.get("loinc") or {}).get("total")
    short = definition.get("short_name", definition["code"])
    codings = [{"system": "http://loinc.org", "code": loinc, "display": f"{short} total score"}]
    if not loinc:
        codings = [{"system": INSTRUMENTS, "code": f"{definition['code']}-total"}]
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
        "code": {"coding": codings, "text": f"{short} total score"},
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
    return with_meta(drop_empty(resource), part2=part2, updated=r.updated_at)
