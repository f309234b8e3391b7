"""Repair a published week after a change: a clinician off sick, a room closed,
a patient admitted or discharged. The solver's `repair` re-plans only the
patients the change touches; the director sees the few changes and applies
them (which records the leave or closure and rewrites only those sessions)."""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from openiop.access.services import require
from openiop.audit.models import Action
from openiop.audit.services import audit_record
from openiop.care.models import Episode, EpisodeStatus
from openiop.core.errors import ApplicationError, Conflict
from openiop.core.transitions import transition
from openiop.scheduling.instance import WeekData, build_week, pk_of
from openiop.scheduling.models import (
    LeaveKind,
    PublishedWeek,
    RoomClosure,
    RosterEntry,
    RosterStatus,
    RunKind,
    RunStatus,
    Session,
    SessionSeries,
    SessionSource,
    SessionStatus,
    SessionType,
    SolverRun,
    StaffLeave,
)
from openiop.scheduling.services.common import solver_error
from openiop.scheduling.services.runs import (
    appointment_session,
    check_week,
    enqueue,
    group_session,
    prepare,
    schedule_json,
    unmet_json,
)
from openiop.scheduling.solver import model as sm
from openiop.scheduling.solver.model import InstanceError
from openiop.scheduling.solver.repair import (
    ClinicianOff,
    PatientAdmitted,
    PatientDischarged,
    RoomClosed,
    apply_changes,
)
from openiop.scheduling.solver.repair import repair as solver_repair
from openiop.scheduling.staff import program_staff

KINDS = {
    "clinician_off": "A clinician is off",
    "room_closed": "A room is closed",
    "patient_admitted": "A patient joins this week",
    "patient_discharged": "A patient leaves the program",
}


def _days(week: dt.date, first: dt.date, last: dt.date) -> tuple[sm.Interval, ...]:
    return tuple(
        sm.Interval(d, 0, 24 * 60) for d in range(7) if first <= week + dt.timedelta(days=d) <= last
    )


def _check_dates(week, starts_on, ends_on) -> None:
    if not isinstance(starts_on, dt.date) or not isinstance(ends_on, dt.date):
        raise ApplicationError.for_field("starts_on", "Enter the first and last day.")
    if ends_on < starts_on:
        raise ApplicationError.for_field("ends_on", "The last day cannot be before the first.")
    last_day = week + dt.timedelta(days=6)
    if not (week <= starts_on <= last_day and week <= ends_on <= last_day):
        raise ApplicationError.for_field(
            "starts_on",
            f"A repair changes one week: choose days from {week:%a %b} {week.day} to "
            f"{last_day:%a %b} {last_day.day}, {last_day.year}.",
        )


def describe_change(
    *, program, week, kind, user=None, room=None, patient=None, starts_on=None, ends_on=None
) -> dict:
    """Check a change and keep it as ids (for the worker) and words (for the page)."""
    if kind not in KINDS:
        raise ApplicationError.for_field("kind", "Choose what changed.")
    if kind == "clinician_off":
        if user is None or user.pk not in {u.pk for u in program_staff(program)}:
            raise ApplicationError.for_field("user", "Choose a clinician of this program.")
        _check_dates(week, starts_on, ends_on)
        return {
            "kind": kind,
            "user": user.pk,
            "starts_on": starts_on.isoformat(),
            "ends_on": ends_on.isoformat(),
            "text": f"{user.get_display_name()} is off {starts_on:%a %b %d}"
            f"{'' if ends_on == starts_on else f' to {ends_on:%a %b %d}'}",
        }
    if kind == "room_closed":
        if room is None or room.site_id != program.site_id:
            raise ApplicationError.for_field("room", "Choose a room at the program's site.")
        _check_dates(week, starts_on, ends_on)
        return {
            "kind": kind,
            "room": room.pk,
            "starts_on": starts_on.isoformat(),
            "ends_on": ends_on.isoformat(),
            "text": f"{room.name} is closed {starts_on:%a %b %d}"
            f"{'' if ends_on == starts_on else f' to {ends_on:%a %b %d}'}",
        }
    if (
        patient is None
        or not Episode.objects.filter(
            patient=patient, program=program, status=EpisodeStatus.ACTIVE
        ).exists()
    ):
        raise ApplicationError.for_field("patient", "Choose a patient in treatment here.")
    verb = "joins" if kind == "patient_admitted" else "leaves"
    return {"kind": kind, "patient": patient.pk, "text": f"Patient {patient.mrn} {verb}"}


def solver_changes(data: WeekData, change: dict) -> list:
    week = data.week
    kind = change["kind"]
    if kind == "clinician_off":
        days = _days(
            week,
            dt.date.fromisoformat(change["starts_on"]),
            dt.date.fromisoformat(change["ends_on"]),
        )
        return [ClinicianOff(f"u{change['user']}", days)]
    if kind == "room_closed":
        days = _days(
            week,
            dt.date.fromisoformat(change["starts_on"]),
            dt.date.fromisoformat(change["ends_on"]),
        )
        return [RoomClosed(f"r{change['room']}", days)]
    pid = f"p{change['patient']}"
    if kind == "patient_discharged":
        if pid not in data.instance.patient:
            raise InstanceError(
                "This patient has no sessions in the published week.", field="patient"
            )
        return [PatientDischarged(pid)]
    if pid in data.instance.patient:
        raise InstanceError(
            "This patient already has sessions in the published week.", field="patient"
        )
    fresh = build_week(data.program, week)
    patient = fresh.instance.patient.get(pid)
    if patient is None:
        raise InstanceError(
            "The patient's plan or track prescribes no sessions this week.", field="patient"
        )
    data.labels[pid] = fresh.labels[pid]  # the newcomer is named by MRN, as everyone is
    return [PatientAdmitted(patient)]


def repair_start(*, actor, program, week: dt.date, **change) -> SolverRun:
    require(
        actor,
        "schedule.manage",
        organization_id=program.organization_id,
        program_id=program.pk,
        action=Action.EXECUTE,
    )
    week = check_week(week)
    if not PublishedWeek.objects.filter(program=program, week=week).exists():
        raise ApplicationError.for_field("week", "Only a published week can be repaired.")
    described = describe_change(program=program, week=week, **change)
    data = prepare(program, week, from_published=True)
    try:
        apply_changes(data.instance, solver_changes(data, described))
    except InstanceError as exc:
        raise solver_error(exc, "kind") from None
    with transaction.atomic():
        run = SolverRun.objects.create(
            organization_id=program.organization_id,
            program=program,
            week=week,
            kind=RunKind.REPAIR,
            change=described,
            time_limit_s=4,
            patients=len(data.instance.patients),
            created_by=actor,
        )
        audit_record(
            actor=actor,
            action=Action.EXECUTE,
            event="solver.repair_start",
            obj=run,
            detail={"week": week.isoformat(), "kind": described["kind"]},
        )
        transaction.on_commit(lambda: enqueue(run))
    return run


def _label_session(data: WeekData, types, g: dict | None = None, a: dict | None = None) -> str:
    item = g or a
    st = types[item["type"]]
    day = sm.WEEKDAY_NAMES[item["day"]]
    when = f"{day} {sm.hhmm(item['start'])}-{sm.hhmm(item['end'])}"
    who = data.labels.get(f"u{item['facilitator' if g else 'clinician']}", "")
    place = data.labels.get(f"r{item['room']}", "") if item["room"] else "telehealth"
    return f"{st.name} {when} with {who} ({place})"


def _per_patient(data, types, result: dict) -> dict[int, set[str]]:
    out: dict[int, set[str]] = {}
    for g in result["groups"]:
        for p in g["patients"]:
            out.setdefault(p, set()).add(_label_session(data, types, g=g))
    for a in result["appointments"]:
        out.setdefault(a["patient"], set()).add(_label_session(data, types, a=a))
    return out


def repair_execute(run: SolverRun) -> dict:
    from openiop.scheduling.services.runs import _progress_writer
    from openiop.scheduling.solver.optimize import SolveOptions

    data = build_week(run.program, run.week, from_published=True)
    changes = solver_changes(data, run.change)
    options = SolveOptions(
        time_limit_s=float(run.time_limit_s),
        on_progress=_progress_writer(run.pk, float(run.time_limit_s)),
    )
    result = solver_repair(data.instance, data.schedule, changes, options)
    before = schedule_json(data, data.schedule)
    repaired = WeekData(
        instance=result.instance,
        program=data.program,
        week=data.week,
        types=data.types,
        labels=data.labels,
    )
    after = schedule_json(repaired, result.schedule)
    types = data.types
    old, new = _per_patient(data, types, before), _per_patient(data, types, after)
    diffs = []
    for pid in sorted(set(old) | set(new)):
        if old.get(pid, set()) != new.get(pid, set()):
            diffs.append(
                {
                    "patient": pid,
                    "label": data.labels.get(f"p{pid}", str(pid)),
                    "removed": sorted(old.get(pid, set()) - new.get(pid, set())),
                    "added": sorted(new.get(pid, set()) - old.get(pid, set())),
                }
            )
    after["changes"] = diffs
    after["affected"] = [pk_of(p) for p in result.affected]
    solve = result.solve
    return {
        "result": after,
        "unmet": unmet_json(repaired, result.unmet),
        "wall_s": result.wall_s,
        "objective": solve.objective if solve else 0,
        "bound": solve.bound if solve else 0,
        "gap": solve.gap if solve else 0.0,
        "unmet_minutes": sum(u.minutes for u in result.unmet),
        "solver_status": (solve.status if solve else "NOTHING TO DO")[:20],
        "stage": "done",
    }


def _record_change(actor, run) -> None:
    ch = run.change
    if ch["kind"] == "clinician_off":
        StaffLeave.objects.create(
            organization_id=run.organization_id,
            user_id=ch["user"],
            kind=LeaveKind.SICK,
            starts_on=dt.date.fromisoformat(ch["starts_on"]),
            ends_on=dt.date.fromisoformat(ch["ends_on"]),
            created_by=actor,
        )
    elif ch["kind"] == "room_closed":
        RoomClosure.objects.create(
            organization_id=run.organization_id,
            room_id=ch["room"],
            starts_on=dt.date.fromisoformat(ch["starts_on"]),
            ends_on=dt.date.fromisoformat(ch["ends_on"]),
            reason="Closed (repair)",
            created_by=actor,
        )


def repair_apply(*, actor, run: SolverRun) -> int:
    """Write the repaired week: only sessions whose people, room or roster changed.
    Returns the number of patients whose week changed."""
    program = run.program
    require(
        actor,
        "schedule.manage",
        organization_id=program.organization_id,
        program_id=program.pk,
        action=Action.UPDATE,
    )
    if run.kind != RunKind.REPAIR or run.status != RunStatus.DONE:
        raise ApplicationError("Only a finished repair can be applied.")
    published = PublishedWeek.objects.get(program=program, week=run.week)
    stale = SolverRun.objects.filter(
        program=program, week=run.week, status=RunStatus.APPLIED, finished_at__gt=run.created_at
    ).exists()
    if stale:
        raise Conflict("The week changed since this repair was made; start it again.")
    types = {t.code: t for t in SessionType.objects.filter(organization_id=run.organization_id)}
    existing = list(
        Session.objects.filter(
            program=program, week=run.week, status=SessionStatus.SCHEDULED
        ).select_related("session_type")
    )
    by_pk = {s.pk: s for s in existing}
    episodes = {
        e.patient_id: e
        for e in Episode.objects.filter(program=program, status=EpisodeStatus.ACTIVE)
    }
    result = run.result
    touched: set[int] = {c["patient"] for c in result["changes"]}
    with transaction.atomic():
        transition(
            run,
            to=RunStatus.APPLIED,
            from_=RunStatus.DONE,
            message="This repair was applied or discarded a moment ago by someone else.",
            finished_at=timezone.now(),
        )
        _record_change(actor, run)
        kept_groups = set()
        for g in result["groups"]:
            kind, pk = g["offer"][0], int(g["offer"][1:])
            if kind == "O" and pk in by_pk:
                s = by_pk[pk]
                kept_groups.add(pk)
                if (s.facilitator_id, s.room_id) != (g["facilitator"], g["room"]):
                    s.facilitator_id, s.room_id = g["facilitator"], g["room"]
                    s.source = SessionSource.REPAIR
                    s.save(update_fields=["facilitator", "room", "source", "updated_at"])
            else:
                series = SessionSeries.objects.filter(pk=pk, program=program).first()
                s = group_session(program, types, run.week, g, series, actor, SessionSource.REPAIR)
                s.published_week = published
                s.save()
            _sync_roster(actor, s, set(g["patients"]), episodes)
        old_appts = {
            (
                r.patient_id,
                s.session_type.code,
                s.facilitator_id,
                s.date.weekday(),
                s.start_time,
                s.room_id,
            ): s
            for s in existing
            if not s.session_type.is_group
            for r in s.roster.filter(status=RosterStatus.ENROLLED)
        }
        wanted = set()
        from openiop.scheduling import localtime

        for a in result["appointments"]:
            key = (
                a["patient"],
                a["type"],
                a["clinician"],
                a["day"],
                localtime.time_of(a["start"]),
                a["room"],
            )
            wanted.add(key)
            if key in old_appts:
                continue
            s = appointment_session(program, types, run.week, a, actor, SessionSource.REPAIR)
            s.published_week = published
            s.save()
            _sync_roster(actor, s, {a["patient"]}, episodes)
        for key, s in old_appts.items():
            if key not in wanted and not s.attendance.exists():
                s.status = SessionStatus.CANCELLED
                s.save(update_fields=["status", "updated_at"])
        for s in existing:
            if s.session_type.is_group and s.pk not in kept_groups and not s.attendance.exists():
                s.status = SessionStatus.CANCELLED
                s.save(update_fields=["status", "updated_at"])
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            event="solver.repair_apply",
            obj=run,
            patient_ids=sorted(touched),
            detail={"kind": run.change["kind"]},
        )
    return len(touched)


def _sync_roster(actor, session: Session, members: set[int], episodes) -> None:
    current = {r.patient_id: r for r in session.roster.all()}
    for pid, entry in current.items():
        enrolled = entry.status == RosterStatus.ENROLLED
        if (
            pid not in members
            and enrolled
            and not session.attendance.filter(patient_id=pid).exists()
        ):
            entry.status = RosterStatus.REMOVED
            entry.save(update_fields=["status", "updated_at"])
        elif pid in members and not enrolled:
            entry.status = RosterStatus.ENROLLED
            entry.save(update_fields=["status", "updated_at"])
    for pid in members - set(current):
        if pid in episodes:
            RosterEntry.objects.create(
                organization_id=session.organization_id,
                session=session,
                patient_id=pid,
                episode=episodes[pid],
                created_by=actor,
            )
