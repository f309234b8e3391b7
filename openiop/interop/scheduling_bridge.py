"""Attendance in the exchange: roster entries as Appointment, attended sessions
as Encounter (export and read API). Registered by InteropConfig.ready()."""

from openiop.interop import extensions
from openiop.interop.fhir.appointment import appointment_resource
from openiop.interop.fhir.common import is_part2_program
from openiop.interop.fhir.encounter import encounter_resource

TYPES = ("Appointment", "Encounter")
RELATED = ("session__session_type", "session__facilitator", "session__program__site")


def load_attendance(records: dict, episodes_by_id: dict, scope) -> None:
    """Fill `extra` with Appointments and Encounters (two queries)."""
    if not scope.has("attendance"):
        return
    from openiop.scheduling.models import Attendance, RosterEntry

    ids = list(records)
    episodes = list(scope.episodes_for("attendance", episodes_by_id))
    entries = RosterEntry.objects.filter(patient_id__in=ids, episode_id__in=episodes)
    marks = Attendance.objects.filter(patient_id__in=ids, episode_id__in=episodes)
    marks_by_key = {
        (m.session_id, m.patient_id): m
        for m in marks.select_related(*RELATED).order_by("date", "id")
    }
    booked = set()
    for entry in entries.select_related(*RELATED).order_by("session__starts_at", "id"):
        record = records[entry.patient_id]
        session = entry.session
        label = is_part2_program(session.program)
        mark = marks_by_key.get((entry.session_id, entry.patient_id))
        record.extra.setdefault("Appointment", []).append(
            appointment_resource(entry, session, record.patient, attendance=mark, part2=label)
        )
        if session.facilitator_id:
            record.users[session.facilitator_id] = session.facilitator
        booked.add((entry.session_id, entry.patient_id, entry))
    appointment_of = {(s, p): e for s, p, e in booked}
    for (session_id, patient_id), mark in marks_by_key.items():
        record = records[patient_id]
        session = mark.session
        resource = encounter_resource(
            mark,
            session,
            record.patient,
            episodes_by_id[mark.episode_id],
            appointment=appointment_of.get((session_id, patient_id)),
            part2=is_part2_program(session.program),
        )
        if resource is not None:
            record.extra.setdefault("Encounter", []).append(resource)
            if session.facilitator_id:
                record.users[session.facilitator_id] = session.facilitator


def find_patient(resource_type: str, uid, organization_ids) -> int | None:
    from openiop.scheduling.models import Attendance, RosterEntry

    model = RosterEntry if resource_type == "Appointment" else Attendance
    return (
        model.objects.filter(uuid=uid, organization_id__in=organization_ids)
        .values_list("patient_id", flat=True)
        .first()
    )


def register() -> None:
    extensions.register_loader(load_attendance, types=TYPES, finder=find_patient)
