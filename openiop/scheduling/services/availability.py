"""Weekly windows: patients' availability, clinicians' working hours and leave,
rooms' opening hours and closures. Overlapping windows are refused (they are
almost always a typing mistake); the whole set is written or nothing."""

import datetime as dt
from dataclasses import dataclass

from django.db import transaction

from openiop.access.scope import can
from openiop.access.services import require
from openiop.audit.models import Action
from openiop.audit.services import audit_record
from openiop.core.errors import ApplicationError
from openiop.scheduling.models import (
    LeaveKind,
    PatientAvailability,
    RoomClosure,
    RoomHours,
    RoomKind,
    RoomProfile,
    SchedulingPreference,
    StaffHours,
    StaffLeave,
    TimeOfDay,
)

DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class Window:
    weekday: int
    start_time: dt.time
    end_time: dt.time
    note: str = ""

    def label(self) -> str:
        return f"{DAYS[self.weekday]} {self.start_time:%H:%M}-{self.end_time:%H:%M}"


def check_windows(windows: list[Window], field: str = "windows") -> list[Window]:
    for w in windows:
        if not isinstance(w.weekday, int) or w.weekday not in range(7):
            raise ApplicationError.for_field(field, "Each window needs a weekday (Monday-Sunday).")
        if not isinstance(w.start_time, dt.time) or not isinstance(w.end_time, dt.time):
            raise ApplicationError.for_field(field, "Each window needs a start and an end time.")
        if w.end_time <= w.start_time:
            raise ApplicationError.for_field(
                field, f"{w.label()}: a window must end after it starts, on the same day."
            )
        if len(w.note) > 120:
            raise ApplicationError.for_field(field, "A window's note is at most 120 characters.")
    ordered = sorted(windows, key=lambda w: (w.weekday, w.start_time))
    for a, b in zip(ordered, ordered[1:], strict=False):
        if a.weekday == b.weekday and b.start_time < a.end_time:
            raise ApplicationError.for_field(
                field, f"{a.label()} overlaps {b.label()}; merge them into one window."
            )
    return ordered


def availability_replace(*, actor, patient, windows: list[Window]) -> list[PatientAvailability]:
    require(
        actor,
        "availability.change",
        organization_id=patient.organization_id,
        program_id=_program_of(patient, actor),
        action=Action.UPDATE,
    )
    ordered = check_windows(windows)
    with transaction.atomic():
        PatientAvailability.objects.filter(patient=patient).delete()
        rows = PatientAvailability.objects.bulk_create(
            [
                PatientAvailability(
                    organization_id=patient.organization_id,
                    patient=patient,
                    weekday=w.weekday,
                    start_time=w.start_time,
                    end_time=w.end_time,
                    note=w.note,
                    created_by=actor,
                )
                for w in ordered
            ]
        )
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            event="availability.replace",
            obj=patient,
            patient=patient,
            changed_fields=["availability"],
            detail={"windows": len(rows)},
        )
    return rows


def _program_of(patient, actor) -> int | None:
    """A program of the patient's open episodes where the actor holds a role (or None)."""
    from openiop.access.scope import grant
    from openiop.care.models import Episode

    programs = grant(actor, "availability.change").program_ids
    return (
        Episode.objects.filter(patient=patient, program_id__in=programs)
        .values_list("program_id", flat=True)
        .first()
    )


def preference_set(
    *, actor, patient, time_of_day: str = "", telehealth_ok: bool = False
) -> SchedulingPreference:
    require(
        actor,
        "availability.change",
        organization_id=patient.organization_id,
        program_id=_program_of(patient, actor),
        action=Action.UPDATE,
    )
    if time_of_day and time_of_day not in TimeOfDay.values:
        raise ApplicationError.for_field("time_of_day", "Choose morning, afternoon or evening.")
    with transaction.atomic():
        pref, _ = SchedulingPreference.objects.update_or_create(
            patient=patient,
            defaults={
                "organization_id": patient.organization_id,
                "time_of_day": time_of_day,
                "telehealth_ok": bool(telehealth_ok),
            },
        )
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            event="availability.preference",
            obj=patient,
            patient=patient,
            changed_fields=["time_of_day", "telehealth_ok"],
        )
    return pref


def _require_staff_manage(actor, organization_id: int, program_id=None) -> None:
    require(
        actor,
        "schedule.manage",
        organization_id=organization_id,
        program_id=program_id,
        action=Action.UPDATE,
    )


def require_staff_of(actor, user, organization_id: int) -> None:
    """Directors set the hours and leave of staff of their programs (anyone may set their own)."""
    from django.db.models import Q

    from openiop.access.scope import grant
    from openiop.accounts.models import Membership

    if actor.pk == user.pk:
        return
    g = grant(actor, "schedule.manage")
    if organization_id in g.organization_ids:
        return
    shared = Membership.objects.filter(user=user, organization_id=organization_id, is_active=True)
    shared = shared.filter(Q(program_id__in=g.program_ids) | Q(program__isnull=True))
    program_id = next(iter(g.program_ids), None) if shared.exists() else None
    _require_staff_manage(actor, organization_id, program_id)


def staff_hours_replace(
    *, actor, user, organization, windows: list[Window], site=None
) -> list[StaffHours]:
    """A clinician's working week. Directors set it; anyone may set their own."""
    require_staff_of(actor, user, organization.pk)
    ordered = check_windows(windows)
    with transaction.atomic():
        StaffHours.objects.filter(user=user, organization=organization).delete()
        rows = StaffHours.objects.bulk_create(
            [
                StaffHours(
                    organization=organization,
                    user=user,
                    site=site,
                    weekday=w.weekday,
                    start_time=w.start_time,
                    end_time=w.end_time,
                    created_by=actor,
                )
                for w in ordered
            ]
        )
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            event="staff_hours.replace",
            obj=user,
            organization_id=organization.pk,
            detail={"windows": len(rows)},
        )
    return rows


def staff_leave_add(
    *, actor, user, organization, starts_on: dt.date, ends_on: dt.date, kind: str
) -> StaffLeave:
    require_staff_of(actor, user, organization.pk)
    if kind not in LeaveKind.values:
        raise ApplicationError.for_field("kind", "Choose the kind of leave.")
    if not isinstance(starts_on, dt.date) or not isinstance(ends_on, dt.date):
        raise ApplicationError.for_field("starts_on", "Enter the first and last day of leave.")
    if ends_on < starts_on:
        raise ApplicationError.for_field("ends_on", "Leave cannot end before it starts.")
    if (ends_on - starts_on).days > 366:
        raise ApplicationError.for_field("ends_on", "Record leave of at most a year at a time.")
    with transaction.atomic():
        leave = StaffLeave.objects.create(
            organization=organization,
            user=user,
            starts_on=starts_on,
            ends_on=ends_on,
            kind=kind,
            created_by=actor,
        )
        audit_record(actor=actor, action=Action.CREATE, event="staff_leave.add", obj=leave)
    return leave


def room_kind(room) -> str:
    try:
        return room.scheduling.kind
    except RoomProfile.DoesNotExist:
        pass
    return RoomKind.GROUP if room.capacity >= 6 else RoomKind.OFFICE


def room_configure(*, actor, room, kind: str, windows: list[Window]) -> None:
    organization_id = room.site.organization_id
    if not can(actor, "schedule.manage", organization_id=organization_id):
        from openiop.organizations.models import Program

        program_id = (
            Program.objects.filter(site_id=room.site_id).values_list("id", flat=True).first()
        )
        _require_staff_manage(actor, organization_id, program_id)
    if kind not in RoomKind.values:
        raise ApplicationError.for_field("kind", "Choose a group room or an office.")
    ordered = check_windows(windows)
    with transaction.atomic():
        RoomProfile.objects.update_or_create(
            room=room, defaults={"organization_id": organization_id, "kind": kind}
        )
        RoomHours.objects.filter(room=room).delete()
        RoomHours.objects.bulk_create(
            [
                RoomHours(
                    organization_id=organization_id,
                    room=room,
                    weekday=w.weekday,
                    start_time=w.start_time,
                    end_time=w.end_time,
                    created_by=actor,
                )
                for w in ordered
            ]
        )
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            event="room.configure",
            obj=room,
            organization_id=organization_id,
            changed_fields=["kind", "hours"],
        )


def room_close(*, actor, room, starts_on: dt.date, ends_on: dt.date, reason: str) -> RoomClosure:
    organization_id = room.site.organization_id
    from openiop.organizations.models import Program

    program_id = Program.objects.filter(site_id=room.site_id).values_list("id", flat=True).first()
    if not can(actor, "schedule.manage", organization_id=organization_id):
        _require_staff_manage(actor, organization_id, program_id)
    if ends_on < starts_on:
        raise ApplicationError.for_field("ends_on", "A closure cannot end before it starts.")
    with transaction.atomic():
        closure = RoomClosure.objects.create(
            organization_id=organization_id,
            room=room,
            starts_on=starts_on,
            ends_on=ends_on,
            reason=reason[:200],
            created_by=actor,
        )
        audit_record(actor=actor, action=Action.CREATE, event="room.close", obj=closure)
    return closure
