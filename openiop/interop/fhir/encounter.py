"""Encounter <- scheduling.Attendance: a session the patient attended."""

from openiop.interop.fhir.appointment import ATTENDED, session_type_concept
from openiop.interop.fhir.common import drop_empty, instant, ref, uuid_identifier, with_meta
from openiop.interop.fhir.us_core import (
    ENCOUNTER,
    declared,
    patient_conforms,
    practitioner_conforms,
)

ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"


def encounter_resource(mark, session, patient, episode, *, appointment=None, part2=False):
    """The Encounter of an attended session, or None (absent or excused)."""
    if mark.status not in ATTENDED:
        return None
    virtual = bool(session.telehealth_url) and session.room_id is None
    site = session.program.site
    resource = {
        "resourceType": "Encounter",
        "id": str(mark.uuid),
        "identifier": [uuid_identifier(mark.uuid)],
        "status": "finished",
        "class": {
            "system": ACT_CODE,
            "code": "VR" if virtual else "AMB",
            "display": "virtual" if virtual else "ambulatory",
        },
        "type": [session_type_concept(session)],
        "subject": ref("Patient", patient.uuid),
        "episodeOfCare": [ref("EpisodeOfCare", episode.uuid)],
        "appointment": [ref("Appointment", appointment.uuid)] if appointment else None,
        "participant": [
            {
                "individual": ref(
                    "Practitioner",
                    session.facilitator.uuid,
                    session.facilitator.get_display_name(),
                )
            }
        ]
        if session.facilitator_id
        else None,
        "period": {"start": instant(session.starts_at), "end": instant(session.ends_at)},
        "length": {
            "value": mark.minutes,
            "unit": "min",
            "system": "http://unitsofmeasure.org",
            "code": "min",
        },
        "location": [{"location": ref("Location", site.uuid, site.name)}],
        "serviceProvider": ref("Organization", episode.organization.uuid),
    }
    if mark.status != "present":
        resource["extension"] = [
            {
                "url": "https://openiop.org/fhir/StructureDefinition/attendance-status",
                "valueCode": mark.status,
            }
        ]
    # US Core Encounter names US Core Practitioners as participants
    conforms = patient_conforms(patient) and (
        not session.facilitator_id or practitioner_conforms(session.facilitator)
    )
    return with_meta(
        drop_empty(resource),
        part2=part2,
        updated=mark.updated_at,
        profiles=declared(ENCOUNTER, conforms),
    )
