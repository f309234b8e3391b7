"""What the CapabilityStatement says of Bulk Data export (Bulk Data Access 2.0):
the three `$export` operations, one of them on Group (a program)."""

BULK_DATA = "http://hl7.org/fhir/uv/bulkdata"
EXPORT_NOTE = (
    "Prefer: respond-async required; _outputFormat (NDJSON only), _type and _since "
    "(resources whose meta.lastUpdated is at or after it, to the second; resources "
    "without one are always included); other parameters are refused with a 400. "
    "Staff tokens only; what the requester may read of each patient; files kept "
    "for BULK_EXPORT_EXPIRE_HOURS."
)
GROUP_EXPORT = {
    "name": "export",
    "definition": f"{BULK_DATA}/OperationDefinition/group-export",
    "documentation": "A Group is one program: its patients with an episode in it, "
    "current or past. " + EXPORT_NOTE,
}


def with_bulk_data(statement: dict) -> dict:
    """Add the Bulk Data operations to a statement."""
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
        if resource["type"] == "Group":
            resource.setdefault("operation", []).append(dict(GROUP_EXPORT))
        if resource["type"] == "Patient":
            resource.setdefault("operation", []).append(
                {
                    "name": "export",
                    "definition": f"{BULK_DATA}/OperationDefinition/patient-export",
                    "documentation": "The requester's patients, with the organization, "
                    "sites, programs and staff. " + EXPORT_NOTE,
                }
            )
    return statement
