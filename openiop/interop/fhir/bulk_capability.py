"""What the CapabilityStatement says of Bulk Data export (Bulk Data Access 2.0):
the three `$export` operations and the Group resource (a program's patients)."""

BULK_DATA = "http://hl7.org/fhir/uv/bulkdata"
EXPORT_NOTE = (
    "Prefer: respond-async required; _outputFormat (NDJSON only), _type and _since "
    "(resources whose meta.lastUpdated is at or after it, to the second; resources "
    "without one are always included); other parameters are refused with a 400. "
    "Staff tokens only; what the requester may read of each patient; files kept "
    "for BULK_EXPORT_EXPIRE_HOURS."
)
GROUP = {
    "type": "Group",
    "interaction": [{"code": "read"}, {"code": "search-type"}],
    "searchParam": [
        {"name": "_id", "type": "token"},
        {"name": "identifier", "type": "token", "documentation": "urn:ietf:rfc:3986|urn:uuid:…"},
        {"name": "name", "type": "string"},
        {"name": "_count", "type": "number"},
    ],
    "operation": [
        {
            "name": "export",
            "definition": f"{BULK_DATA}/OperationDefinition/group-export",
            "documentation": "A Group is one program: its patients with an episode in it, "
            "current or past. " + EXPORT_NOTE,
        }
    ],
}


def with_bulk_data(statement: dict) -> dict:
    """Add the Bulk Data operations and the Group resource to a statement."""
    statement["instantiates"] = [f"{BULK_DATA}/CapabilityStatement/bulk-data"]
    rest = statement["rest"][0]
    rest.setdefault("operation", []).append(
        {
            "name": "export",
            "definition": f"{BULK_DATA}/OperationDefinition/export",
            "documentation": "Everything the requester may read; AuditEvent for "
            "administrators. " + EXPORT_NOTE,
        }
    )
    for resource in rest["resource"]:
        if resource["type"] == "Patient":
            resource.setdefault("operation", []).append(
                {
                    "name": "export",
                    "definition": f"{BULK_DATA}/OperationDefinition/patient-export",
                    "documentation": "The requester's patients, with the organization, "
                    "sites, programs and staff. " + EXPORT_NOTE,
                }
            )
    rest["resource"] = [r for r in rest["resource"] if r["type"] != "Group"] + [
        {
            **GROUP,
            "searchParam": [dict(p) for p in GROUP["searchParam"]],
            "operation": [dict(o) for o in GROUP["operation"]],
        }
    ]
    return statement
