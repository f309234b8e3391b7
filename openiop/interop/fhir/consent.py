"""Consent <- consent.Part2Consent (a 42 CFR Part 2 disclosure consent)."""

from openiop.interop.fhir.common import (
    CS,
    EXT,
    V3_ACT_CODE,
    V3_ACT_REASON,
    day,
    drop_empty,
    period,
    ref,
    uuid_identifier,
    with_meta,
)

CONSENT_SCOPE = "http://terminology.hl7.org/CodeSystem/consentscope"
PARTICIPATION = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
INFORMATION = f"{CS}/part2-information"
EXPIRY_EVENT_EXT = f"{EXT}/consent-expiry-event"
REVOKED_EXT = f"{EXT}/consent-revoked"
SIGNATURE_EXT = f"{EXT}/consent-signature"
PART2_POLICY = "https://www.ecfr.gov/current/title-42/chapter-I/subchapter-A/part-2"
# which FHIR resource types carry each kind of information
CLASSES = {
    "demographics": ["Patient", "RelatedPerson", "EpisodeOfCare"],
    "diagnoses": ["Condition"],
    "plan": ["CarePlan", "Goal"],
    "scores": ["QuestionnaireResponse", "Observation"],
    "attendance": ["Appointment", "Encounter"],
    "discharge_summary": ["CarePlan"],
    "counseling_notes": [],
}
PURPOSES = {
    "treatment": [("TREAT", "treatment")],
    "payment": [("HPAYMT", "healthcare payment")],
    "operations": [("HOPERAT", "healthcare operations")],
    "tpo": [
        ("TREAT", "treatment"),
        ("HPAYMT", "healthcare payment"),
        ("HOPERAT", "healthcare operations"),
    ],
    "patient_request": [("PATRQT", "patient requested")],
    "legal": [("HLEGAL", "legal")],
    "other": [],
}
RECIPIENT_ID = "recipient"


def consent_status(c, today) -> str:
    return "active" if c.state(today) == "active" else "inactive"


def consent_resource(c, patient, organization, *, today, part2: bool = True) -> dict:
    """`c.recipient` and `c.program` loaded. A named recipient travels as a
    contained Organization (it is not one of ours to reference)."""
    contained, actors = [], []
    if c.recipient_scope == "named" and c.recipient is not None:
        contained.append(
            drop_empty(
                {
                    "resourceType": "Organization",
                    "id": RECIPIENT_ID,
                    "identifier": [uuid_identifier(c.recipient.uuid)],
                    "name": c.recipient.name,
                    "type": [{"text": c.recipient.get_kind_display()}],
                }
            )
        )
        actors.append(
            {
                "role": {
                    "coding": [
                        {
                            "system": PARTICIPATION,
                            "code": "IRCP",
                            "display": "information recipient",
                        }
                    ]
                },
                "reference": {"reference": f"#{RECIPIENT_ID}", "display": c.recipient.name},
            }
        )
    classes = []
    for cat in c.categories:
        for rt in CLASSES.get(cat, []):
            entry = {"system": "http://hl7.org/fhir/resource-types", "code": rt}
            if entry not in classes:
                classes.append(entry)
    extensions = []
    if c.expiry_event:
        extensions.append({"url": EXPIRY_EVENT_EXT, "valueString": c.expiry_event})
    if c.revoked_on:
        extensions.append(
            {
                "url": REVOKED_EXT,
                "extension": [
                    {"url": "date", "valueDate": day(c.revoked_on)},
                    *(
                        [{"url": "note", "valueString": c.revocation_note}]
                        if c.revocation_note
                        else []
                    ),
                ],
            }
        )
    extensions.append(
        {
            "url": SIGNATURE_EXT,
            "extension": [
                {"url": "signer", "valueString": c.signer_name},
                {"url": "role", "valueCode": c.signer_role},
                {"url": "attestation", "valueString": c.attestation},
            ],
        }
    )
    discloser = c.program.name if c.program_id else organization.name
    resource = {
        "resourceType": "Consent",
        "id": str(c.uuid),
        "contained": contained,
        "extension": extensions,
        "identifier": [uuid_identifier(c.uuid)],
        "status": consent_status(c, today),
        "scope": {
            "coding": [
                {"system": CONSENT_SCOPE, "code": "patient-privacy", "display": "Privacy Consent"}
            ]
        },
        "category": [
            {
                "coding": [
                    {"system": "http://loinc.org", "code": "59284-0", "display": "Patient Consent"}
                ]
            },
            {
                "coding": [
                    {"system": V3_ACT_CODE, "code": "IDSCL", "display": "information disclosure"}
                ]
            },
        ],
        "patient": ref("Patient", patient.uuid),
        "dateTime": day(c.signed_on),
        "performer": [ref("Patient", patient.uuid)] if c.signer_role == "self" else None,
        "organization": [ref("Organization", organization.uuid, discloser)],
        "policy": [{"authority": "https://www.ecfr.gov", "uri": PART2_POLICY}],
        "policyRule": {
            "coding": [{"system": V3_ACT_CODE, "code": "42CFRPart2", "display": "42 CFR Part2"}]
        },
        "verification": [
            {
                "verified": True,
                "verifiedWith": ref("Patient", patient.uuid),
                "verificationDate": day(c.signed_on),
            }
        ],
        "provision": {
            "type": "permit",
            "period": period(c.signed_on, c.expires_on or c.revoked_on),
            "actor": actors,
            "action": [
                {
                    "coding": [
                        {
                            "system": "http://terminology.hl7.org/CodeSystem/consentaction",
                            "code": "disclose",
                            "display": "Disclose",
                        }
                    ]
                }
            ],
            "purpose": [
                {"system": V3_ACT_REASON, "code": code, "display": display}
                for code, display in PURPOSES.get(c.purpose, [])
            ],
            "class": classes,
            "code": [
                {"coding": [{"system": INFORMATION, "code": cat}], "text": cat.replace("_", " ")}
                for cat in c.categories
            ],
        },
    }
    if c.recipient_scope == "tpo":
        resource["provision"]["actor"] = []
        resource["provision"]["code"].append(
            {
                "text": "Recipients: treating providers and payers, for treatment, payment and "
                "health care operations (42 CFR 2.31(a)(4)(i))"
            }
        )
    if c.purpose_detail:
        resource["provision"]["code"].append({"text": f"Purpose: {c.purpose_detail}"})
    resource["provision"]["code"].insert(0, {"text": c.description})
    return with_meta(drop_empty(resource), part2=part2, updated=c.updated_at)
