"""Optimizer runs: start one for a program's week (the request returns at once),
solve it in the background worker with progress on the run row, let a
director review it, publish it into the calendar.

Bad requests are refused before anything is written: the instance is built
and checked by the solver's own validation first (a week with no staff, a
patient with overlapping windows...). A run that cannot meet every need still
ends with its best week and a reason for each unmet need.
"""

import datetime as dt
import logging
import threading
import time

from django.conf import settings
from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone

from openiop.access.services import require
from openiop.audit.models import Action
from openiop.audit.services import audit_record
from openiop.core import context
from openiop.core.errors import ApplicationError, Conflict
from openiop.core.transitions import transition
from openiop.scheduling import localtime
from openiop.scheduling.instance import WeekData, build_week, pk_of
from openiop.scheduling.models import (
    PublishedWeek,
    RosterEntry,
    RunKind,
    RunStatus,
    Session,
    SessionSource,
    SolverRun,
)
from openiop.scheduling.services.common import solver_error
from openiop.scheduling.services.sessions import build_session, check_free
from openiop.scheduling.solver import model as sm
from openiop.scheduling.solver.model import InstanceError
from openiop.scheduling.solver.validate import validate

logger = logging.getLogger(__name__)
MAX_SECONDS = 120
PROGRESS_EVERY_S = 0.5


def telehealth_link(session_uuid) -> str:
    base = getattr(settings, "SCHEDULING_TELEHEALTH_BASE", "https://telehealth.example.test/room/")
    return f"{base}{session_uuid}"


def _require(actor, program, action) -> None:
    require(
        actor,
        "schedule.manage",
        organization_id=program.organization_id,
        program_id=program.pk,
        action=action,
    )


def check_week(week) -> dt.date:
    if not isinstance(week, dt.date):
        raise ApplicationError.for_field("week", "Enter the week's Monday (YYYY-MM-DD).")
    return localtime.monday(week)


def prepare(program, week: dt.date, *, from_published: bool = False) -> WeekData:
    """The week's instance, validated; refusals become field errors."""
    try:
        data = build_week(program, week, from_published=from_published)
        validate(data.instance)
    except InstanceError as exc:
        raise solver_error(exc) from None
    return data


def solver_run_start(*, actor, program, week: dt.date, time_limit_s: int = 10) -> SolverRun:
    _require(actor, program, Action.EXECUTE)
    week = check_week(week)
    if not isinstance(time_limit_s, int) or not 1 <= time_limit_s <= MAX_SECONDS:
        raise ApplicationError.for_field(
            "time_limit_s", f"Give the optimizer 1 to {MAX_SECONDS} seconds."
        )
    if PublishedWeek.objects.filter(program=program, week=week).exists():
        raise ApplicationError.for_field(
            "week", "This week is published already; use a repair to change it."
        )
    if SolverRun.objects.filter(
        program=program, week=week, status__in=[RunStatus.QUEUED, RunStatus.RUNNING]
    ).exists():
        raise ApplicationError.for_field(
            "week", "A run for this week is still going; wait for it to finish."
        )
    data = prepare(program, week)
    if not data.instance.patients:
        raise ApplicationError.for_field(
            "week",
            "No patient of this program has sessions to schedule that week "
            "(no open episodes, or no plan or track prescribing sessions).",
        )
    with transaction.atomic():
        run = SolverRun.objects.create(
            organization_id=program.organization_id,
            program=program,
            week=week,
            kind=RunKind.PLAN,
            time_limit_s=time_limit_s,
            patients=len(data.instance.patients),
            created_by=actor,
        )
        audit_record(
            actor=actor,
            action=Action.EXECUTE,
            event="solver.start",
            obj=run,
            detail={"week": week.isoformat(), "patients": run.patients},
        )
        transaction.on_commit(lambda: enqueue(run))
    return run


def enqueue(run: SolverRun) -> None:
    from openiop.scheduling.tasks import run_solver

    result = run_solver.enqueue(run_id=run.pk)
    SolverRun.objects.filter(pk=run.pk, task_id="").update(task_id=str(result.id)[:64])


def _progress_writer(run_id: int, limit: float):
    """Progress onto the run row, from the thread that runs the solve only.

    CP-SAT calls back from its own worker threads; a database write there would
    open a connection per thread (never closed) and, under an outer
    transaction, wait on its locks. Those points are kept and written at the
    next call from the owning thread; the page shows the elapsed share of the
    time limit meanwhile (`SolverRun.live_percent`)."""
    owner = threading.get_ident()
    state = {"last": 0.0, "point": None}

    def on_progress(point: sm.Progress) -> None:
        if point.stage == "needs":
            state["point"] = point
        if threading.get_ident() != owner:
            return
        now = time.monotonic()
        if now - state["last"] < PROGRESS_EVERY_S:
            return
        state["last"] = now
        fields = {"percent": min(99, int(point.elapsed_s / limit * 100)), "stage": point.stage}
        best = state["point"]
        if best is not None:
            fields.update(objective=int(best.objective), bound=int(best.bound))
        try:
            SolverRun.objects.filter(pk=run_id).update(**fields)
        except DatabaseError:  # progress is a courtesy: never let it stop the solve
            logger.warning("Could not record the progress of solver run %s.", run_id)

    return on_progress


def solver_run_execute(run_id: int, *, resume: bool = False) -> dict:
    """Run a queued run (in the worker); the answer lands on the run row.
    `resume`: the job's earlier worker died, so a run it left running is
    taken over (it wrote nothing but progress)."""
    from openiop.scheduling.services.repair import repair_execute
    from openiop.scheduling.solver.optimize import SolveOptions, solve

    claimable = [RunStatus.QUEUED, RunStatus.RUNNING] if resume else [RunStatus.QUEUED]
    claimed = SolverRun.objects.filter(pk=run_id, status__in=claimable).update(
        status=RunStatus.RUNNING, started_at=timezone.now(), percent=0
    )
    if not claimed:
        return {"skipped": True}
    run = SolverRun.objects.select_related("program__site", "created_by").get(pk=run_id)
    with context.bind(via="job", purpose="operations"):
        try:
            if run.kind == RunKind.REPAIR:
                fields = repair_execute(run)
            else:
                data = build_week(run.program, run.week)
                options = SolveOptions(
                    time_limit_s=float(run.time_limit_s),
                    on_progress=_progress_writer(run.pk, float(run.time_limit_s)),
                )
                result = solve(data.instance, options)
                fields = result_fields(data, result)
        except InstanceError as exc:
            return _fail(run, exc.message)
        except Exception as exc:  # the run row says what happened; nothing is published
            _fail(run, f"The optimizer stopped: {type(exc).__name__}.")
            raise
        SolverRun.objects.filter(pk=run_id).update(
            status=RunStatus.DONE, percent=100, finished_at=timezone.now(), **fields
        )
        audit_record(
            actor=run.created_by,
            action=Action.EXECUTE,
            event="solver.done",
            obj=run,
            detail={"objective": fields.get("objective"), "bound": fields.get("bound")},
        )
    return {"objective": fields.get("objective"), "bound": fields.get("bound")}


def _fail(run: SolverRun, message: str) -> dict:
    SolverRun.objects.filter(pk=run.pk).update(
        status=RunStatus.FAILED, error=message[:300], finished_at=timezone.now()
    )
    return {"failed": message}


def _timeline(points) -> list[dict]:
    pts = [
        {"t": round(p.elapsed_s, 2), "objective": p.objective, "bound": p.bound}
        for p in points
        if p.stage == "needs"
    ]
    if len(pts) > 60:
        step = len(pts) / 60
        pts = [pts[int(i * step)] for i in range(60)] + [pts[-1]]
    return pts


def schedule_json(data: WeekData, schedule: sm.Schedule) -> dict:
    inst = data.instance
    groups = []
    for g in schedule.groups:
        offer = inst.offer[g.offer_id]
        iv = offer.interval
        groups.append(
            {
                "offer": g.offer_id,
                "type": offer.session_type,
                "day": iv.day,
                "start": iv.start,
                "end": iv.end,
                "topic": offer.topic,
                "track": pk_of(offer.track_id) if offer.track_id else None,
                "facilitator": pk_of(g.facilitator_id),
                "room": pk_of(g.room_id) if g.room_id else None,
                "patients": sorted(pk_of(p) for p in g.patient_ids),
            }
        )
    appointments = [
        {
            "patient": pk_of(a.patient_id),
            "type": a.session_type,
            "clinician": pk_of(a.clinician_id),
            "day": a.interval.day,
            "start": a.interval.start,
            "end": a.interval.end,
            "room": pk_of(a.room_id) if a.room_id else None,
        }
        for a in schedule.appointments
    ]
    return {"groups": groups, "appointments": appointments}


def unmet_json(data: WeekData, unmet) -> list[dict]:
    return [
        {
            "patient": pk_of(u.patient_id),
            "label": data.labels.get(u.patient_id, u.patient_id),
            "type": u.session_type,
            "missing": u.missing,
            "minutes": u.minutes,
            "reasons": [{"code": r.code, "message": r.message} for r in u.reasons],
        }
        for u in unmet
    ]


def result_fields(data: WeekData, result: sm.SolveResult) -> dict:
    return {
        "objective": result.objective,
        "bound": result.bound,
        "gap": result.gap,
        "unmet_minutes": result.unmet_minutes,
        "below_minimum_minutes": result.below_minimum_minutes,
        "first_feasible_s": result.first_feasible_s,
        "wall_s": result.wall_s,
        "solver_status": result.status[:20],
        "timeline": _timeline(result.timeline),
        "result": schedule_json(data, result.schedule),
        "unmet": unmet_json(data, result.unmet),
        "stage": "done",
        "patients": len(data.instance.patients),
    }


def solver_run_discard(*, actor, run: SolverRun) -> SolverRun:
    _require(actor, run.program, Action.UPDATE)
    if run.status not in (RunStatus.DONE, RunStatus.FAILED):
        raise ApplicationError("Only a finished run that is not published can be discarded.")
    with transaction.atomic():
        transition(
            run,
            to=RunStatus.DISCARDED,
            from_=[RunStatus.DONE, RunStatus.FAILED],
            message="This run was published or discarded a moment ago by someone else.",
        )
        audit_record(actor=actor, action=Action.UPDATE, event="solver.discard", obj=run)
    return run


def group_session(program, data_types, week, g: dict, series, actor, source) -> Session:
    st = data_types[g["type"]]
    date = week + dt.timedelta(days=g["day"])
    session = build_session(
        program=program,
        session_type=st,
        date=date,
        start_time=localtime.time_of(g["start"]),
        duration=g["end"] - g["start"],
        track_id=g.get("track"),
        series=series,
        facilitator_id=g["facilitator"],
        room_id=g["room"],
        topic=g.get("topic", ""),
        telehealth_url=series.telehealth_url if series is not None else "",
        source=source,
        created_by=actor,
    )
    if session.room_id is None and not session.telehealth_url:
        session.telehealth_url = telehealth_link(session.uuid)
    return session


def appointment_session(program, types, week, a: dict, actor, source) -> Session:
    session = build_session(
        program=program,
        session_type=types[a["type"]],
        date=week + dt.timedelta(days=a["day"]),
        start_time=localtime.time_of(a["start"]),
        duration=a["end"] - a["start"],
        facilitator_id=a["clinician"],
        room_id=a["room"],
        source=source,
        created_by=actor,
    )
    if session.room_id is None:
        session.telehealth_url = telehealth_link(session.uuid)
    return session


def _refuse_double_booking(program, sessions, rosters) -> None:
    """No patient is put in a session while booked in another program's then
    (the optimizer is given those bookings as blocked time; the calendar may
    have changed since)."""
    from openiop.patients.models import Patient
    from openiop.scheduling.models import RosterStatus, SessionStatus

    wanted = {pid for members in rosters for pid in members}
    if not sessions or not wanted:
        return
    start = min(s.starts_at for s in sessions)
    end = max(s.ends_at for s in sessions)
    elsewhere: dict[int, list] = {}
    for pid, starts, ends in (
        RosterEntry.objects.filter(
            patient_id__in=wanted,
            status=RosterStatus.ENROLLED,
            session__status=SessionStatus.SCHEDULED,
            session__starts_at__lt=end,
            session__ends_at__gt=start,
        )
        .exclude(session__program=program)
        .values_list("patient_id", "session__starts_at", "session__ends_at")
    ):
        elsewhere.setdefault(pid, []).append((starts, ends))
    for s, members in zip(sessions, rosters, strict=True):
        for pid in members:
            if any(a < s.ends_at and b > s.starts_at for a, b in elsewhere.get(pid, ())):
                mrn = Patient.objects.filter(pk=pid).values_list("mrn", flat=True).first()
                raise ApplicationError(
                    f"patient {mrn} is booked in another program at {s.date:%a %b %d} "
                    f"{s.start_time:%H:%M}"
                )


def solver_run_publish(*, actor, run: SolverRun) -> PublishedWeek:
    """Put a reviewed week into the calendar: sessions and rosters, all or nothing."""
    from openiop.care.models import Episode, EpisodeStatus
    from openiop.scheduling.models import SessionSeries, SessionType

    program = run.program
    _require(actor, program, Action.CREATE)
    if run.kind != RunKind.PLAN or run.status != RunStatus.DONE:
        raise ApplicationError("Only a finished, unpublished plan for a week can be published.")
    result = {"groups": [], "appointments": [], **(run.result or {})}
    types = {t.code: t for t in SessionType.objects.filter(organization_id=run.organization_id)}
    series = {
        s.pk: s
        for s in SessionSeries.objects.filter(
            program=program,
            pk__in=[int(g["offer"][1:]) for g in result["groups"] if g["offer"][0] == "S"],
        )
    }
    patient_ids = {p for g in result["groups"] for p in g["patients"]} | {
        a["patient"] for a in result["appointments"]
    }
    episodes = {
        e.patient_id: e
        for e in Episode.objects.filter(
            program=program, status=EpisodeStatus.ACTIVE, patient_id__in=patient_ids
        )
    }
    missing = patient_ids - set(episodes)
    if missing:
        raise Conflict(
            "A patient in this proposal has been discharged since it was made; run it again."
        )
    sessions, rosters = [], []
    for g in result["groups"]:
        kind, pk = g["offer"][0], int(g["offer"][1:])
        if kind == "S":
            s = group_session(
                program, types, run.week, g, series.get(pk), actor, SessionSource.SOLVER
            )
        else:
            s = Session.objects.get(pk=pk, program=program)
            s.facilitator_id, s.room_id = g["facilitator"], g["room"]
            s.source = SessionSource.SOLVER
        sessions.append(s)
        rosters.append(g["patients"])
    for a in result["appointments"]:
        sessions.append(
            appointment_session(program, types, run.week, a, actor, SessionSource.SOLVER)
        )
        rosters.append([a["patient"]])
    try:
        with transaction.atomic():
            transition(
                run,
                to=RunStatus.PUBLISHED,
                from_=RunStatus.DONE,
                message="This proposal was published or discarded a moment ago by someone else.",
            )
            published = PublishedWeek.objects.create(
                organization_id=run.organization_id,
                program=program,
                week=run.week,
                run=run,
                published_by=actor,
                published_at=timezone.now(),
                created_by=actor,
            )
            for s in sessions:
                check_free(
                    facilitator=s.facilitator,
                    room=s.room,
                    starts_at=s.starts_at,
                    ends_at=s.ends_at,
                    exclude=s if s.pk else None,
                )
                s.published_week = published
                s.save()
            _refuse_double_booking(program, sessions, rosters)
            RosterEntry.objects.bulk_create(
                [
                    RosterEntry(
                        organization_id=run.organization_id,
                        session=s,
                        patient_id=pid,
                        episode=episodes[pid],
                        created_by=actor,
                    )
                    for s, members in zip(sessions, rosters, strict=True)
                    for pid in members
                ]
            )
            audit_record(
                actor=actor,
                action=Action.CREATE,
                event="solver.publish",
                obj=run,
                patient_ids=sorted(patient_ids),
                detail={"sessions": len(sessions), "week": run.week.isoformat()},
            )
    except IntegrityError:
        raise Conflict("This week has just been published by someone else.") from None
    except Conflict:
        raise
    except ApplicationError as exc:
        raise Conflict(
            f"The calendar changed since this proposal was made ({exc.message}); run it again."
        ) from None
    return published
