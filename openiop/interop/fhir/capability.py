"""The CapabilityStatement `/fhir/R4/metadata` answers with."""

from openiop.interop.fhir.bulk_capability import with_bulk_data
from openiop.interop.fhir.common import FHIR_VERSION
from openiop.interop.fhir.us_core import BY_TYPE as US_CORE_PROFILES
from openiop.interop.search.table import INCLUDES, capability_params


def capability_statement(*, base: str, types, software_version: str, date: str) -> dict:
    resources = []
    for rtype in types:
        entry = {
            "type": rtype,
            "interaction": [{"code": "read"}, {"code": "search-type"}],
            "versioning": "no-version",
            "searchParam": capability_params(rtype),
        }
        if rtype in US_CORE_PROFILES:  # claimed by the resources that conform
            entry["supportedProfile"] = list(US_CORE_PROFILES[rtype])
        if rtype in INCLUDES:
            entry["searchInclude"] = list(INCLUDES[rtype])
        if rtype == "Patient":
            entry["operation"] = [
                {
                    "name": "everything",
                    "definition": "http://hl7.org/fhir/OperationDefinition/Patient-everything",
                }
            ]
        resources.append(entry)
    statement = {
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
    return with_bulk_data(statement)
