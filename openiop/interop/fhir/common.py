"""What every mapping shares: canonical URLs, references, codings, security labels."""

import datetime as dt

FHIR_VERSION = "4.0.1"
OPENIOP = "https://openiop.org/fhir"
EXT = f"{OPENIOP}/StructureDefinition"
CS = f"{OPENIOP}/CodeSystem"

V3_ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
V3_CONFIDENTIALITY = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"
V3_ACT_REASON = "http://terminology.hl7.org/CodeSystem/v3-ActReason"
V3_ROLE_CODE = "http://terminology.hl7.org/CodeSystem/v3-RoleCode"
V2_0203 = "http://terminology.hl7.org/CodeSystem/v2-0203"
V2_0131 = "http://terminology.hl7.org/CodeSystem/v2-0131"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
LOINC = "http://loinc.org"
RFC3986 = "urn:ietf:rfc:3986"

# The Part 2 notice that accompanies every disclosure (42 CFR 2.32(a)(1), as
# amended by the 2024 final rule, 89 FR 12472).
PART2_NOTICE = (
    "This record which has been disclosed to you is protected by Federal confidentiality "
    "rules (42 CFR part 2). These rules prohibit you from using or disclosing this record, "
    "or testimony that describes the information contained in this record, in any civil, "
    "criminal, administrative, or legislative proceedings by any Federal, State, or local "
    "authority, against the patient, unless authorized by the consent of the patient, except "
    "as provided at 42 CFR 2.12(c)(5) or as authorized by a court in accordance with "
    "42 CFR 2.64 or 2.65. In addition, the Federal rules prohibit you from making any further "
    "use or disclosure of this record unless authorized by the written consent of the person "
    "to whom it pertains, or as otherwise permitted by 42 CFR part 2. A general authorization "
    "for the release of medical or other information is NOT sufficient for this purpose "
    "(see 42 CFR 2.31). The Federal rules restrict any use of the information to investigate "
    "or prosecute with regard to a crime any patient with a substance use disorder, except "
    "as provided at 42 CFR 2.12(c)(5) and 2.65."
)
# The short form 2.32(a)(2) allows where space is tight (an HTTP header).
PART2_NOTICE_SHORT = "42 CFR part 2 prohibits unauthorized use or disclosure of these records."
PART2_NOTICE_EXT = f"{EXT}/part2-notice"

# Security labels of records from a substance use program (HL7 DS4P):
# the 42 CFR Part 2 policy, restricted confidentiality, no redisclosure.
PART2_SECURITY = (
    {"system": V3_ACT_CODE, "code": "42CFRPart2", "display": "42 CFR Part2"},
    {"system": V3_CONFIDENTIALITY, "code": "R", "display": "restricted"},
    {
        "system": V3_ACT_CODE,
        "code": "NORDSCLCD",
        "display": "no redisclosure without consent directive",
    },
)
PART2_FOCUSES = frozenset({"substance_use", "co_occurring"})


def is_part2_program(program) -> bool:
    """Records from substance use programs (alone or co-occurring) fall under Part 2."""
    return program is not None and program.focus in PART2_FOCUSES


def meta(*, part2: bool = False, updated=None, profiles=()) -> dict:
    out: dict = {}
    if updated is not None:
        out["lastUpdated"] = instant(updated)
    if profiles:
        out["profile"] = list(profiles)
    if part2:
        out["security"] = [dict(s) for s in PART2_SECURITY]
    return out


def with_meta(resource: dict, *, part2: bool = False, updated=None, profiles=()) -> dict:
    """`profiles`: the canonical URLs the resource conforms to (us_core.declared)."""
    m = meta(part2=part2, updated=updated, profiles=profiles)
    if m:
        resource["meta"] = m
    return resource


def ref(resource_type: str, uid, display: str | None = None) -> dict:
    out = {"reference": f"{resource_type}/{uid}"}
    if display:
        out["display"] = display
    return out


def coding(system: str, code: str, display: str | None = None) -> dict:
    out = {"system": system, "code": code}
    if display:
        out["display"] = display
    return out


def concept(system: str, code: str, display: str | None = None, text: str | None = None) -> dict:
    out: dict = {"coding": [coding(system, code, display)]}
    if text or display:
        out["text"] = text or display
    return out


def uuid_identifier(uid) -> dict:
    """The public UUID as an identifier: the same in every export."""
    return {"system": RFC3986, "value": f"urn:uuid:{uid}"}


def mrn_system(organization_uuid) -> str:
    return f"{OPENIOP}/sid/{organization_uuid}/mrn"


def day(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def instant(value: dt.datetime) -> str:
    """An instant with its offset (FHIR requires one); ours are stored in UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.isoformat(timespec="seconds")


def period(start=None, end=None) -> dict | None:
    out = {}
    if start:
        out["start"] = day(start) if not isinstance(start, dt.datetime) else instant(start)
    if end:
        out["end"] = day(end) if not isinstance(end, dt.datetime) else instant(end)
    return out or None


def telecom(phone: str = "", email: str = "", use: str | None = None) -> list[dict]:
    out = []
    if phone:
        out.append({"system": "phone", "value": phone, **({"use": use} if use else {})})
    if email:
        out.append({"system": "email", "value": email})
    return out


def _empty(value) -> bool:
    return value is None or value == "" or value == [] or value == {}


def drop_empty(resource: dict) -> dict:
    """FHIR forbids empty elements: drop None, "", [] and {} (recursively)."""
    out = {}
    for key, value in resource.items():
        kind = type(value)
        if kind is dict:
            value = drop_empty(value)
            if not value:
                continue
        elif kind is list:
            items = []
            for item in value:
                if type(item) is dict:
                    item = drop_empty(item)
                    if not item:
                        continue
                elif item is None or item == "":
                    continue
                items.append(item)
            if not items:
                continue
            value = items
        elif value is None or value == "":
            continue
        out[key] = value
    return out
