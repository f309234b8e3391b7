"""RelatedPerson <- patients.SupportPerson (family and other support persons)."""

from openiop.interop.fhir.common import (
    EXT,
    V2_0131,
    V3_ROLE_CODE,
    coding,
    day,
    drop_empty,
    ref,
    telecom,
    with_meta,
)
from openiop.patients.models import ContactRelationship

# our relationship -> HL7 v3 RoleCode (personal relationship)
ROLE = {
    "spouse": ("SPS", "spouse"),
    "parent": ("PRN", "parent"),
    "child": ("CHILD", "child"),
    "sibling": ("SIB", "sibling"),
    "friend": ("FRND", "unrelated friend"),
    "sponsor": ("FRND", "unrelated friend"),
    "other": ("ONESELF", None),
}
INVOLVEMENT_CONSENT = f"{EXT}/involvement-consent"
RELATION_LABELS = dict(ContactRelationship.choices)


def related_person_resource(s, patient, *, part2: bool = False) -> dict:
    code, display = ROLE.get(s.relationship, ("ONESELF", None))
    codings = [] if s.relationship == "other" else [coding(V3_ROLE_CODE, code, display)]
    relationships = [{"coding": codings, "text": RELATION_LABELS.get(s.relationship, "Other")}]
    if s.is_emergency_contact:
        relationships.append(
            {"coding": [coding(V2_0131, "C", "Emergency Contact")], "text": "Emergency contact"}
        )
    consent_ext = [{"url": "given", "valueBoolean": bool(s.involvement_consent)}]
    if s.consent_recorded_on:
        consent_ext.append({"url": "recorded", "valueDate": day(s.consent_recorded_on)})
    resource = {
        "resourceType": "RelatedPerson",
        "id": str(s.uuid),
        "extension": [{"url": INVOLVEMENT_CONSENT, "extension": consent_ext}],
        "active": True,
        "patient": ref("Patient", patient.uuid),
        "relationship": relationships,
        "name": [{"text": s.name}],
        "telecom": telecom(s.phone, s.email),
    }
    return with_meta(drop_empty(resource), part2=part2, updated=s.updated_at)
