"""EpisodeOfCare <- care.Episode (one admission to a program, to its discharge)."""

from openiop.care.models import AdmissionType, DischargeReason, ReferralSource
from openiop.interop.fhir.common import (
    CS,
    EXT,
    drop_empty,
    period,
    ref,
    uuid_identifier,
    with_meta,
)
from openiop.organizations.levels import LEVELS

# labels by value, without Django's per-call get_FOO_display work (a bulk export calls it often)
ADMISSION_LABELS = dict(AdmissionType.choices)
REFERRAL_LABELS = dict(ReferralSource.choices)
DISCHARGE_LABELS = dict(DischargeReason.choices)

STATUS = {"active": "active", "discharged": "finished", "entered_in_error": "entered-in-error"}
ADMISSION_TYPE = f"{CS}/admission-type"
REFERRAL_SOURCE = f"{CS}/referral-source"
DISCHARGE_REASON = f"{CS}/discharge-reason"
ASAM_LEVEL = f"{CS}/asam-level"
SERVICE_EXT = f"{EXT}/healthcare-service"
ADMISSION_EXT = f"{EXT}/admission-type"
REFERRAL_EXT = f"{EXT}/referral-source"
DISCHARGE_EXT = f"{EXT}/discharge-reason"


def _code_ext(url: str, system: str, code: str, display: str) -> dict:
    return {
        "url": url,
        "valueCodeableConcept": {
            "coding": [{"system": system, "code": code, "display": display}],
            "text": display,
        },
    }


def episode_resource(ep, patient, *, part2: bool = False) -> dict:
    program = ep.program
    extensions = [
        {"url": SERVICE_EXT, "valueReference": ref("HealthcareService", program.uuid, program.name)}
    ]
    if ep.track_id:
        extensions.append(
            {
                "url": SERVICE_EXT,
                "valueReference": ref("HealthcareService", ep.track.uuid, ep.track.name),
            }
        )
    extensions.append(
        _code_ext(
            ADMISSION_EXT,
            ADMISSION_TYPE,
            ep.admission_type,
            ADMISSION_LABELS.get(ep.admission_type, ""),
        )
    )
    extensions.append(
        _code_ext(
            REFERRAL_EXT,
            REFERRAL_SOURCE,
            ep.referral_source,
            REFERRAL_LABELS.get(ep.referral_source, ""),
        )
    )
    if ep.discharge_reason:
        extensions.append(
            _code_ext(
                DISCHARGE_EXT,
                DISCHARGE_REASON,
                ep.discharge_reason,
                DISCHARGE_LABELS.get(ep.discharge_reason, ""),
            )
        )
    clinician = ep.primary_clinician
    resource = {
        "resourceType": "EpisodeOfCare",
        "id": str(ep.uuid),
        "extension": extensions,
        "identifier": [uuid_identifier(ep.uuid)],
        "status": STATUS.get(ep.status, "active"),
        "type": [
            {
                "coding": [
                    {
                        "system": ASAM_LEVEL,
                        "code": program.level_of_care,
                        "display": LEVELS.get(program.level_of_care, program.level_of_care),
                    }
                ],
                "text": program.name,
            }
        ],
        "patient": ref("Patient", patient.uuid),
        "managingOrganization": ref("Organization", ep.organization.uuid, ep.organization.name),
        "period": period(ep.admitted_on, ep.discharged_on),
        "careManager": ref("Practitioner", clinician.uuid, clinician.get_display_name())
        if clinician
        else None,
    }
    return with_meta(drop_empty(resource), part2=part2, updated=ep.updated_at)
