"""Patient <- patients.Patient."""

from openiop.interop.fhir.common import (
    V2_0203,
    concept,
    day,
    drop_empty,
    mrn_system,
    ref,
    telecom,
    uuid_identifier,
    with_meta,
)
from openiop.interop.fhir.us_core import PATIENT, declared, patient_conforms

GENDER = {"female": "female", "male": "male", "intersex": "other", "unknown": "unknown"}
# US Core birth sex (F, M, UNK): what the patient's record says at birth
BIRTH_SEX = {"female": "F", "male": "M", "intersex": "UNK", "unknown": "UNK"}
US_CORE_BIRTHSEX = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex"
PRONOUNS = "http://hl7.org/fhir/StructureDefinition/individual-pronouns"
LANGUAGES = {"english": "en", "spanish": "es", "vietnamese": "vi", "chinese": "zh", "russian": "ru"}


def patient_resource(p, *, part2: bool = False) -> dict:
    org = p.organization
    names = [{"use": "official", "family": p.legal_family_name, "given": [p.legal_given_name]}]
    if p.preferred_name:
        names.append({"use": "usual", "family": p.legal_family_name, "given": [p.preferred_name]})
    language = p.preferred_language or ""
    lang_code = LANGUAGES.get(language.lower())
    communication = None
    if language:
        communication = [
            {
                "language": concept("urn:ietf:bcp:47", lang_code, language)
                if lang_code
                else {"text": language},
                "preferred": True,
            }
        ]
    extensions = [{"url": US_CORE_BIRTHSEX, "valueCode": BIRTH_SEX[p.sex_at_birth]}]
    if p.pronouns:
        extensions.append(
            {
                "url": PRONOUNS,
                "extension": [{"url": "value", "valueCodeableConcept": {"text": p.pronouns}}],
            }
        )
    resource = {
        "resourceType": "Patient",
        "id": str(p.uuid),
        "extension": extensions,
        "identifier": [
            {
                "use": "usual",
                "type": concept(V2_0203, "MR", "Medical record number"),
                "system": mrn_system(org.uuid),
                "value": p.mrn,
                "assigner": ref("Organization", org.uuid, org.name),
            },
            uuid_identifier(p.uuid),
        ],
        "active": True,
        "name": names,
        "telecom": telecom(p.phone, p.email, use="mobile"),
        "gender": GENDER.get(p.sex_at_birth, "unknown"),
        "birthDate": day(p.date_of_birth),
        "address": [
            {
                "use": "home",
                "line": [p.street] if p.street else None,
                "city": p.city,
                "state": p.state,
                "postalCode": p.zip_code,
                "country": "US" if (p.street or p.city or p.zip_code) else None,
            }
        ],
        "communication": communication,
        "managingOrganization": ref("Organization", org.uuid, org.name),
    }
    return with_meta(
        drop_empty(resource),
        part2=part2,
        updated=p.updated_at,
        profiles=declared(PATIENT, patient_conforms(p)),
    )
