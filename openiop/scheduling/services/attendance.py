"""Attendance from the roster, in one go: every mark is checked first, then all
are written (or none)."""

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from openiop.access.services import require
from openiop.audit.models import Action
from openiop.audit.services import audit_record
from openiop.billing.services.days import recheck_later
from openiop.core.errors import ApplicationError, Conflict
from openiop.scheduling.models import (
    ATTENDED,
    Attendance,
    AttendanceStatus,
    RosterStatus,
    Session,
    SessionStatus,
)


@dataclass(frozen=True)
class Mark:
    patient_id: int
    status: str
    minutes: int | None = None
    note: str = ""


def _field(patient, name: str) -> str:
    return f"{name}_{patient.uuid}"


def attendance_record(*, actor, session: Session, marks: list[Mark]) -> list[Attendance]:
    require(
        actor,
        "attendance.record",
        organization_id=session.organization_id,
        program_id=session.program_id,
        action=Action.UPDATE,
    )
    if session.status != SessionStatus.SCHEDULED:
        raise ApplicationError("This session was cancelled; there is no attendance to mark.")
    if session.starts_at > timezone.now():
        raise ApplicationError("This session has not started yet; mark attendance once it has.")
    if not marks:
        raise ApplicationError.for_field("marks", "Mark at least one patient.")
    roster = {
        r.patient_id: r
        for r in session.roster.filter(status=RosterStatus.ENROLLED).select_related("patient")
    }
    length = session.minutes
    seen: set[int] = set()
    rows = []
    for m in marks:
        entry = roster.get(m.patient_id)
        if entry is None:
            raise ApplicationError.for_field(
                "patient", "A patient who is not on this session's roster cannot be marked."
            )
        patient = entry.patient
        if m.patient_id in seen:
            raise ApplicationError.for_field(_field(patient, "status"), "Marked twice.")
        seen.add(m.patient_id)
        if m.status not in AttendanceStatus.values:
            raise ApplicationError.for_field(
                _field(patient, "status"), f"Choose how {patient.mrn} attended."
            )
        minutes = m.minutes
        if m.status in ATTENDED:
            if minutes is None:
                if m.status != AttendanceStatus.PRESENT:
                    raise ApplicationError.for_field(
                        _field(patient, "minutes"),
                        f"Enter the minutes {patient.mrn} attended (late or left early).",
                    )
                minutes = length
            if not isinstance(minutes, int) or minutes < 1:
                raise ApplicationError.for_field(
                    _field(patient, "minutes"), "Someone who attended attended at least a minute."
                )
            if minutes > length:
                raise ApplicationError.for_field(
                    _field(patient, "minutes"),
                    f"{minutes} minutes is more than the session's {length} minutes.",
                )
        else:
            if minutes:
                raise ApplicationError.for_field(
                    _field(patient, "minutes"),
                    "Someone absent or excused attended no minutes; leave it empty.",
                )
            minutes = 0
        if len(m.note) > 200:
            raise ApplicationError.for_field(_field(patient, "note"), "At most 200 characters.")
        rows.append((entry, m.status, minutes, m.note))
    out = []
    try:
        with transaction.atomic():
            _mark(actor, session, rows, out)
            recheck_later(entry.episode_id for entry, *_rest in rows)
    except IntegrityError:
        raise Conflict(
            "Someone marked this roster at the same moment; reload it to see their marks."
        ) from None
    return out


def _mark(actor, session: Session, rows, out: list) -> None:
    # the session row is the lock: marks of one roster are written one request
    # at a time, each reading the rows the one before it wrote
    Session.objects.select_for_update().filter(pk=session.pk).first()
    existing = {a.patient_id: a for a in session.attendance.all()}
    for entry, status, minutes, note in rows:
        row = existing.get(entry.patient_id)
        if row is None:
            row = Attendance(
                organization_id=session.organization_id,
                session=session,
                patient_id=entry.patient_id,
                episode_id=entry.episode_id,
                date=session.date,
                week=session.week,
                created_by=actor,
            )
        elif (row.status, row.minutes, row.note) == (status, minutes, note):
            out.append(row)
            continue
        row.status, row.minutes, row.note, row.recorded_by = status, minutes, note, actor
        row.save()
        out.append(row)
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        event="attendance.record",
        obj=session,
        patient_ids=[r[0].patient_id for r in rows],
        changed_fields=["status", "minutes"],
    )
