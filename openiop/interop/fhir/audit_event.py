"""AuditEvent <- audit.AuditEvent (the hash-chained trail, as FHIR R4)."""

from openiop.interop.fhir.common import CS, RFC3986, V3_ACT_REASON, drop_empty, instant

DCM = "http://dicom.nema.org/resources/ontology/DCM"
EVENT_TYPE = "http://terminology.hl7.org/CodeSystem/audit-event-type"
ENTITY_TYPE = "http://terminology.hl7.org/CodeSystem/audit-entity-type"
OBJECT_ROLE = "http://terminology.hl7.org/CodeSystem/object-role"
EVENTS = f"{CS}/audit-event"
ACTION = {
    "create": "C",
    "read": "R",
    "update": "U",
    "delete": "D",
    "execute": "E",
    "disclose": "E",
    "login": "E",
    "logout": "E",
}
OUTCOME = {"success": "0", "failure": "8", "denied": "4"}
PURPOSE = {
    "treatment": "TREAT",
    "operations": "HOPERAT",
    "payment": "HPAYMT",
    "emergency": "ETREAT",
}


def _type(e) -> dict:
    if e.action in ("login", "logout"):
        code, display = ("110114", "User Authentication")
        return {"system": DCM, "code": code, "display": display}
    if e.action == "disclose":
        return {"system": DCM, "code": "110106", "display": "Export"}
    if e.via == "api":
        return {"system": EVENT_TYPE, "code": "rest", "display": "RESTful Operation"}
    return {"system": DCM, "code": "110110", "display": "Patient Record"}


def audit_event_resource(e, *, actor_uuid=None, patient_uuids=(), literal: bool = True) -> dict:
    """`patient_uuids`: the public ids of the patient the event is about and of
    those a list showed (AuditSubject). With `literal` off, patients are named
    by identifier rather than by reference (an export that does not hold them)."""
    who = {"display": e.actor_name or "anonymous"}
    if actor_uuid:
        who["identifier"] = {"system": RFC3986, "value": f"urn:uuid:{actor_uuid}"}
    entities = [
        {
            "what": {"reference": f"Patient/{uid}"}
            if literal
            else {
                "identifier": {"system": RFC3986, "value": f"urn:uuid:{uid}"},
                "display": "Patient",
            },
            "type": {"system": ENTITY_TYPE, "code": "1", "display": "Person"},
            "role": {"system": OBJECT_ROLE, "code": "1", "display": "Patient"},
        }
        for uid in patient_uuids
    ]
    details = [{"type": "event", "valueString": e.event}]
    if e.request_id:
        details.append({"type": "request-id", "valueString": e.request_id})
    if e.changed_fields:
        details.append({"type": "changed-fields", "valueString": ",".join(e.changed_fields)})
    if e.object_type:
        entities.append(
            {
                "what": {
                    "identifier": {"value": e.object_id} if e.object_id else None,
                    "display": e.object_type,
                },
                "type": {"system": ENTITY_TYPE, "code": "2", "display": "System Object"},
                "detail": details,
            }
        )
    else:
        entities.append(
            {
                "type": {"system": ENTITY_TYPE, "code": "2", "display": "System Object"},
                "detail": details,
            }
        )
    purpose = PURPOSE.get(e.purpose)
    resource = {
        "resourceType": "AuditEvent",
        "id": f"audit-{e.pk}",
        "type": _type(e),
        "subtype": [{"system": EVENTS, "code": e.event}],
        "action": ACTION.get(e.action, "E"),
        "recorded": instant(e.occurred_at),
        "outcome": OUTCOME.get(e.outcome, "8"),
        "outcomeDesc": e.outcome if e.outcome != "success" else None,
        "purposeOfEvent": [{"coding": [{"system": V3_ACT_REASON, "code": purpose}]}]
        if purpose
        else None,
        "agent": [
            {
                "who": who,
                "requestor": True,
                "network": {"address": e.client_ip, "type": "2"} if e.client_ip else None,
                "policy": [f"urn:openiop:via:{e.via}"],
            }
        ],
        "source": {
            "site": "OpenIOP",
            "observer": {"display": "OpenIOP audit trail (hash-chained)"},
            "type": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/security-source-type",
                    "code": "4",
                    "display": "Application Server",
                }
            ],
        },
        "entity": entities,
    }
    return drop_empty(resource)
