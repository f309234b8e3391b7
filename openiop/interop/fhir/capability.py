"""The CapabilityStatement `/fhir/R4/metadata` answers with."""

from openiop.interop.fhir.common import FHIR_VERSION

PATIENT_PARAM = {"name": "patient", "type": "reference", "documentation": "Required: one patient."}
SEARCH = {
    "Patient": [
        {"name": "_id", "type": "token"},
        {"name": "identifier", "type": "token", "documentation": "system|value, e.g. an MRN"},
        {"name": "family", "type": "string"},
        {"name": "given", "type": "string"},
        {"name": "birthdate", "type": "date"},
    ],
    "RelatedPerson": [PATIENT_PARAM],
    "EpisodeOfCare": [PATIENT_PARAM, {"name": "status", "type": "token"}],
    "Condition": [PATIENT_PARAM],
    "CarePlan": [PATIENT_PARAM],
    "Goal": [PATIENT_PARAM],
    "Consent": [PATIENT_PARAM],
    "QuestionnaireResponse": [PATIENT_PARAM],
    "Observation": [PATIENT_PARAM, {"name": "code", "type": "token"}],
    "Practitioner": [{"name": "_id", "type": "token"}],
    "Organization": [{"name": "_id", "type": "token"}],
    "Location": [{"name": "_id", "type": "token"}],
    "HealthcareService": [{"name": "_id", "type": "token"}],
    "AuditEvent": [
        {"name": "patient", "type": "reference"},
        {"name": "date", "type": "date", "documentation": "ge and le prefixes"},
    ],
}


def capability_statement(*, base: str, types, software_version: str, date: str) -> dict:
    resources = []
    for rtype in types:
        entry = {
            "type": rtype,
            "interaction": [{"code": "read"}, {"code": "search-type"}],
            "searchParam": [{k: v for k, v in p.items()} for p in SEARCH.get(rtype, [])]
            + [{"name": "_count", "type": "number"}],
        }
        if rtype == "Patient":
            entry["operation"] = [
                {
                    "name": "everything",
                    "definition": "http://hl7.org/fhir/OperationDefinition/Patient-everything",
                }
            ]
        resources.append(entry)
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": date,
        "publisher": "OpenIOP",
        "kind": "instance",
        "software": {"name": "OpenIOP", "version": software_version},
        "implementation": {
            "description": "OpenIOP FHIR R4 read API: every read scoped to the caller and "
            "audited; reads by an external recipient's system need the patient's 42 CFR "
            "Part 2 consent and enter the accounting of disclosures.",
            "url": base,
        },
        "fhirVersion": FHIR_VERSION,
        "format": ["application/fhir+json", "json"],
        "rest": [
            {
                "mode": "server",
                "security": {
                    "cors": False,
                    "description": "Authorization: Bearer <API token> (a staff member's "
                    "personal token, or a token issued to an external recipient), or the "
                    "browser session.",
                },
                "resource": resources,
            }
        ],
    }
