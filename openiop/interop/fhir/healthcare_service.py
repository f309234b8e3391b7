"""HealthcareService <- organizations.Program and organizations.Track.

A program is a service at a site (its ASAM level, population and focus); each
track is a service of its own, with the days and hours it meets, that names
its program in an extension.
"""

from openiop.interop.fhir.common import (
    CS,
    EXT,
    drop_empty,
    is_part2_program,
    ref,
    uuid_identifier,
)
from openiop.organizations.levels import LEVELS

ASAM_LEVEL = f"{CS}/asam-level"
PROGRAM_EXT = f"{EXT}/program"
SERVICE_CATEGORY = "http://terminology.hl7.org/CodeSystem/service-category"
DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def _category(program) -> list[dict]:
    # service-category 8: Counselling; 35: Mental Health (the HL7 example set)
    code, display = ("8", "Counselling") if is_part2_program(program) else ("35", "Mental Health")
    return [{"coding": [{"system": SERVICE_CATEGORY, "code": code, "display": display}]}]


def _available(track) -> dict:
    return {
        "daysOfWeek": [DAYS[d - 1] for d in sorted(track.weekdays)],
        "availableStartTime": track.start_time.strftime("%H:%M:%S"),
        "availableEndTime": track.end_time.strftime("%H:%M:%S"),
    }


def program_service_resource(program, organization, tracks=()) -> dict:
    resource = {
        "resourceType": "HealthcareService",
        "id": str(program.uuid),
        "identifier": [uuid_identifier(program.uuid)],
        "active": bool(program.is_active),
        "providedBy": ref("Organization", organization.uuid, organization.name),
        "category": _category(program),
        "type": [
            {
                "coding": [
                    {
                        "system": ASAM_LEVEL,
                        "code": program.level_of_care,
                        "display": LEVELS.get(program.level_of_care, program.level_of_care),
                    }
                ],
                "text": LEVELS.get(program.level_of_care, program.level_of_care),
            }
        ],
        "specialty": [{"text": program.get_focus_display()}],
        "location": [ref("Location", program.site.uuid, program.site.name)],
        "name": program.name,
        "comment": program.description,
        "characteristic": [
            {"text": program.get_population_display()},
            {"text": f"{program.band_label} of services"},
        ],
        "availableTime": [_available(t) for t in tracks if t.is_active],
    }
    return drop_empty(resource)


def track_service_resource(track, program, organization) -> dict:
    resource = {
        "resourceType": "HealthcareService",
        "id": str(track.uuid),
        "extension": [
            {
                "url": PROGRAM_EXT,
                "valueReference": ref("HealthcareService", program.uuid, program.name),
            }
        ],
        "identifier": [uuid_identifier(track.uuid)],
        "active": bool(track.is_active and program.is_active),
        "providedBy": ref("Organization", organization.uuid, organization.name),
        "category": _category(program),
        "type": [{"text": f"{track.get_kind_display()} track"}],
        "location": [ref("Location", program.site.uuid, program.site.name)],
        "name": f"{program.name} / {track.name}",
        "characteristic": [{"text": f"Up to {track.capacity} patients"}],
        "availableTime": [_available(track)],
    }
    return drop_empty(resource)
