"""Recurring track sessions, one-off sessions and their rosters."""

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from openiop.access.services import require
from openiop.audit.models import Action
from openiop.audit.services import audit_record
from openiop.care.models import Episode, EpisodeStatus
from openiop.core.errors import ApplicationError
from openiop.core.transitions import transition
from openiop.scheduling import localtime
from openiop.scheduling.models import (
    RosterEntry,
    RosterStatus,
    Session,
    SessionSeries,
    SessionStatus,
    SessionType,
)
from openiop.scheduling.staff import credentials_of, is_program_staff

DAY = 24 * 60


def _require_manage(actor, program, action=Action.CREATE) -> None:
    require(
        actor,
        "schedule.manage",
        organization_id=program.organization_id,
        program_id=program.pk,
        action=action,
    )


def check_type(program, session_type) -> SessionType:
    if (
        not isinstance(session_type, SessionType)
        or session_type.organization_id != program.organization_id
        or not session_type.is_active
    ):
        raise ApplicationError.for_field("session_type", "Choose a session type of this program.")
    return session_type


def check_span(start_time: dt.time, duration: int) -> dt.time:
    """A session ends on the day it starts, and lasts 5 minutes to one day."""
    if not isinstance(duration, int) or duration < 5:
        raise ApplicationError.for_field("duration_min", "A session lasts at least 5 minutes.")
    if duration > DAY:
        raise ApplicationError.for_field(
            "duration_min", "A session cannot last longer than a day (1440 minutes)."
        )
    end = localtime.minutes(start_time) + duration
    if end > DAY:
        raise ApplicationError.for_field(
            "start_time", "The session would run past midnight; it must end on the day it starts."
        )
    return localtime.time_of(end) if end < DAY else dt.time(23, 59)


def check_room(program, room) -> None:
    if room is not None and (room.site_id != program.site_id or not room.is_active):
        raise ApplicationError.for_field("room", "Choose an open room at the program's site.")


def check_facilitator(program, session_type, facilitator, on: dt.date) -> None:
    if facilitator is None:
        return
    if not is_program_staff(facilitator, program):
        raise ApplicationError.for_field(
            "facilitator", "The facilitator must be on the program's clinical staff."
        )
    if session_type.credentials:
        held = credentials_of([facilitator.pk], program.site, on)[facilitator.pk]
        if not held & set(session_type.credentials):
            wanted = ", ".join(sorted(session_type.credentials))
            raise ApplicationError.for_field(
                "facilitator",
                f"{facilitator.get_display_name()} holds no current licence that may lead "
                f"{session_type.name} (needs one of {wanted}).",
            )


def _busy_q(starts_at, ends_at) -> Q:
    return Q(starts_at__lt=ends_at, ends_at__gt=starts_at, status=SessionStatus.SCHEDULED)


def check_free(*, facilitator, room, starts_at, ends_at, exclude=None) -> None:
    clash = Session.objects.filter(_busy_q(starts_at, ends_at))
    if exclude is not None:
        clash = clash.exclude(pk=exclude.pk)
    if facilitator is not None and clash.filter(facilitator=facilitator).exists():
        raise ApplicationError.for_field(
            "facilitator", f"{facilitator.get_display_name()} already runs a session then."
        )
    if room is not None and clash.filter(room=room).exists():
        raise ApplicationError.for_field("room", f"{room.name} is already booked then.")


def series_create(
    *,
    actor,
    program,
    session_type,
    weekday: int,
    start_time: dt.time,
    starts_on: dt.date,
    track=None,
    room=None,
    facilitator=None,
    telehealth_url: str = "",
    ends_on: dt.date | None = None,
) -> SessionSeries:
    """A weekly group of a track, which the optimizer fills week by week."""
    _require_manage(actor, program)
    check_type(program, session_type)
    if not session_type.is_group:
        raise ApplicationError.for_field(
            "session_type", "Recurring track sessions are groups; book individual visits singly."
        )
    if weekday not in range(7):
        raise ApplicationError.for_field("weekday", "Choose a weekday.")
    check_span(start_time, session_type.duration_min)
    if track is not None and track.program_id != program.pk:
        raise ApplicationError.for_field("track", "Choose a track of this program.")
    check_room(program, room)
    check_facilitator(program, session_type, facilitator, starts_on)
    if ends_on is not None and ends_on < starts_on:
        raise ApplicationError.for_field("ends_on", "The series cannot end before it starts.")
    with transaction.atomic():
        series = SessionSeries.objects.create(
            organization_id=program.organization_id,
            program=program,
            track=track,
            session_type=session_type,
            weekday=weekday,
            start_time=start_time,
            room=room,
            facilitator=facilitator,
            telehealth_url=telehealth_url,
            starts_on=starts_on,
            ends_on=ends_on,
            created_by=actor,
        )
        audit_record(actor=actor, action=Action.CREATE, event="series.create", obj=series)
    return series


def series_runs_on(series: SessionSeries, date: dt.date) -> bool:
    return (
        series.is_active
        and date.weekday() == series.weekday
        and series.starts_on <= date
        and (series.ends_on is None or date <= series.ends_on)
    )


def build_session(
    *,
    program,
    session_type,
    date: dt.date,
    start_time: dt.time,
    duration: int,
    **fields,
) -> Session:
    """An unsaved session with its UTC instants computed from the local time."""
    end_time = check_span(start_time, duration)
    tz = program.site.time_zone
    starts_at = localtime.to_utc(date, start_time, tz)
    return Session(
        organization_id=program.organization_id,
        program=program,
        session_type=session_type,
        date=date,
        start_time=start_time,
        end_time=end_time,
        time_zone=tz,
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(minutes=duration),
        week=localtime.monday(date),
        **fields,
    )


def session_create(
    *,
    actor,
    program,
    session_type,
    date: dt.date,
    start_time: dt.time,
    duration_min: int | None = None,
    room=None,
    telehealth_url: str = "",
    facilitator=None,
    track=None,
    topic: str = "",
) -> Session:
    """A one-off session (a workshop, an extra group, a single visit)."""
    _require_manage(actor, program)
    check_type(program, session_type)
    if not isinstance(date, dt.date):
        raise ApplicationError.for_field("date", "Enter the date.")
    duration = session_type.duration_min if duration_min is None else duration_min
    check_room(program, room)
    if room is None and not telehealth_url:
        raise ApplicationError.for_field(
            "room", "Choose a room, or give a telehealth link for a session held online."
        )
    if room is not None and telehealth_url:
        raise ApplicationError.for_field(
            "telehealth_url", "A session is in a room or online, not both."
        )
    if track is not None and track.program_id != program.pk:
        raise ApplicationError.for_field("track", "Choose a track of this program.")
    if topic and topic not in session_type.curriculum and session_type.curriculum:
        raise ApplicationError.for_field("topic", "Choose a topic of the workshop's curriculum.")
    check_facilitator(program, session_type, facilitator, date)
    if isinstance(start_time, dt.time) and not localtime.exists(
        date, start_time, program.site.time_zone
    ):
        raise ApplicationError.for_field(
            "start_time",
            f"The clocks skip {start_time:%H:%M} on {date:%B %d, %Y} (daylight saving time "
            "begins): choose another time.",
        )
    session = build_session(
        program=program,
        session_type=session_type,
        date=date,
        start_time=start_time,
        duration=duration,
        room=room,
        telehealth_url=telehealth_url,
        facilitator=facilitator,
        track=track,
        topic=topic,
        created_by=actor,
    )
    check_free(
        facilitator=facilitator, room=room, starts_at=session.starts_at, ends_at=session.ends_at
    )
    with transaction.atomic():
        session.save()
        audit_record(actor=actor, action=Action.CREATE, event="session.create", obj=session)
    return session


def session_cancel(*, actor, session: Session) -> Session:
    _require_manage(actor, session.program, Action.UPDATE)
    if session.status == SessionStatus.CANCELLED:
        raise ApplicationError("This session is already cancelled.")
    if session.attendance.exists():
        raise ApplicationError("Attendance is recorded for this session; it took place.")
    with transaction.atomic():
        transition(
            session,
            to=SessionStatus.CANCELLED,
            from_=SessionStatus.SCHEDULED,
            message="This session was cancelled a moment ago.",
        )
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            event="session.cancel",
            obj=session,
            changed_fields=["status"],
            patient_ids=list(session.roster.values_list("patient_id", flat=True)),
        )
    return session


def seats(session: Session) -> int:
    return session.session_type.max_size if session.session_type.is_group else 1


def patient_busy(patient_id: int, starts_at, ends_at, exclude=None) -> bool:
    q = RosterEntry.objects.filter(
        patient_id=patient_id,
        status=RosterStatus.ENROLLED,
        session__starts_at__lt=ends_at,
        session__ends_at__gt=starts_at,
        session__status=SessionStatus.SCHEDULED,
    )
    if exclude is not None:
        q = q.exclude(session=exclude)
    return q.exists()


def roster_add(*, actor, session: Session, patient) -> RosterEntry:
    _require_manage(actor, session.program, Action.UPDATE)
    if session.status != SessionStatus.SCHEDULED:
        raise ApplicationError("This session is cancelled.")
    episode = Episode.objects.filter(
        patient=patient, program_id=session.program_id, status=EpisodeStatus.ACTIVE
    ).first()
    if episode is None:
        raise ApplicationError.for_field(
            "patient", "The patient has no open episode in this program."
        )
    enrolled = session.roster.filter(status=RosterStatus.ENROLLED)
    if enrolled.filter(patient=patient).exists():
        raise ApplicationError.for_field("patient", "The patient is already on this roster.")
    if enrolled.count() >= seats(session):
        raise ApplicationError.for_field(
            "patient", f"The session is full ({seats(session)} seats)."
        )
    if patient_busy(patient.pk, session.starts_at, session.ends_at, exclude=session):
        raise ApplicationError.for_field("patient", "The patient has another session then.")
    try:
        with transaction.atomic():
            entry, _ = RosterEntry.objects.update_or_create(
                session=session,
                patient=patient,
                defaults={
                    "organization_id": session.organization_id,
                    "episode": episode,
                    "status": RosterStatus.ENROLLED,
                    "created_by": actor,
                    # back on: the last removal's reason no longer applies
                    "removed_reason": "",
                    "removed_at": None,
                },
            )
            audit_record(
                actor=actor, action=Action.CREATE, event="roster.add", obj=session, patient=patient
            )
    except IntegrityError:
        raise ApplicationError.for_field(
            "patient", "The patient is already on this roster."
        ) from None
    return entry


def roster_remove(*, actor, session: Session, patient, reason: str) -> None:
    """Take a patient off a session's roster, with the reason (kept)."""
    _require_manage(actor, session.program, Action.UPDATE)
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError.for_field("reason", "Give the reason for taking them off.")
    if len(reason) > 200:
        raise ApplicationError.for_field("reason", "Keep the reason under 200 characters.")
    entry = session.roster.filter(patient=patient, status=RosterStatus.ENROLLED).first()
    if entry is None:
        raise ApplicationError.for_field("patient", "The patient is not on this roster.")
    if session.attendance.filter(patient=patient).exists():
        raise ApplicationError.for_field(
            "patient", "Attendance is recorded for this patient; the roster entry stays."
        )
    with transaction.atomic():
        transition(
            entry,
            to=RosterStatus.REMOVED,
            from_=RosterStatus.ENROLLED,
            message="The patient was taken off this roster a moment ago.",
            removed_reason=reason,
            removed_at=timezone.now(),
        )
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            event="roster.remove",
            obj=session,
            patient=patient,
            detail={"reason": reason},
        )
