"""Appointment <- scheduling.RosterEntry: the patient booked into a session."""

from openiop.interop.fhir.common import CS, drop_empty, instant, ref, uuid_identifier, with_meta

SESSION_TYPES = f"{CS}/session-type"
PARTICIPATION = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
ATTENDED = {"present", "late", "left_early"}


def appointment_status(entry, session, attendance) -> str:
    if session.status == "cancelled" or entry.status == "removed":
        return "cancelled"
    if attendance is not None:
        if attendance.status in ATTENDED:
            return "fulfilled"
        return "noshow" if attendance.status == "absent" else "cancelled"
    return "booked"


def session_type_concept(session) -> dict:
    st = session.session_type
    return {
        "coding": [{"system": SESSION_TYPES, "code": st.modality, "display": st.name}],
        "text": st.name,
    }


def appointment_resource(entry, session, patient, *, attendance=None, part2=False) -> dict:
    participants = [
        {
            "actor": ref("Patient", patient.uuid),
            "required": "required",
            "status": "accepted" if entry.status != "removed" else "declined",
        }
    ]
    if session.facilitator_id:
        participants.append(
            {
                "type": [{"coding": [{"system": PARTICIPATION, "code": "PPRF"}]}],
                "actor": ref(
                    "Practitioner",
                    session.facilitator.uuid,
                    session.facilitator.get_display_name(),
                ),
                "required": "required",
                "status": "accepted",
            }
        )
    site = session.program.site
    participants.append(
        {
            "actor": ref("Location", site.uuid, site.name),
            "required": "information-only",
            "status": "accepted",
        }
    )
    resource = {
        "resourceType": "Appointment",
        "id": str(entry.uuid),
        "identifier": [uuid_identifier(entry.uuid)],
        "status": appointment_status(entry, session, attendance),
        "serviceType": [session_type_concept(session)],
        "description": session.topic or session.session_type.name,
        "start": instant(session.starts_at),
        "end": instant(session.ends_at),
        "minutesDuration": session.minutes,
        "participant": participants,
    }
    return with_meta(drop_empty(resource), part2=part2, updated=entry.updated_at)
