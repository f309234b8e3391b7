"""/api/v1/scheduling/: session types, sessions and rosters, attendance,
availability, hours ledgers, notes and optimizer runs, scoped and audited as
the pages are."""

import datetime as dt
from typing import Annotated
from uuid import UUID

from django.http import Http404
from ninja import Router
from ninja.responses import Status
from pydantic import Field

from openiop.accounts.models import User
from openiop.audit.services import audit_read
from openiop.care.models import Episode, EpisodeStatus
from openiop.core.api import ErrorOut, PageNumber, PageSize, page_of, permission
from openiop.core.errors import ApplicationError
from openiop.organizations.models import Program, Room
from openiop.patients.models import Patient
from openiop.scheduling import selectors
from openiop.scheduling.ledger import hours_ledger
from openiop.scheduling.localtime import monday
from openiop.scheduling.models import (
    Note,
    PatientAvailability,
    RosterStatus,
    SessionType,
)
from openiop.scheduling.schemas import (
    AddendumIn,
    AttendanceIn,
    AvailabilityIn,
    AvailabilityOut,
    LedgerOut,
    NoteIn,
    NoteOut,
    RosterIn,
    RunIn,
    RunOut,
    SessionDetailOut,
    SessionIn,
    SessionPage,
    SessionTypeOut,
    SignIn,
)
from openiop.scheduling.services import attendance as attendance_services
from openiop.scheduling.services import availability as avail
from openiop.scheduling.services import notes as note_services
from openiop.scheduling.services import runs as run_services
from openiop.scheduling.services import sessions as session_services

router = Router(tags=["scheduling"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


def _one(qs, uuid, field: str):
    if uuid is None:
        return None
    obj = qs.filter(uuid=uuid).first()
    if obj is None:
        raise ApplicationError.for_field(field, f"No {field} with that id that you may use.")
    return obj


@router.get("/session-types", response={200: list[SessionTypeOut], **ERRORS})
@permission("sessiontype.view")
def list_session_types(request):
    return list(SessionType.objects.visible_to(request.auth, "view").order_by("name"))


@router.get("/sessions", response={200: SessionPage, **ERRORS})
@permission("schedule.view")
def list_sessions(
    request,
    week: dt.date,
    program: UUID | None = None,
    page: PageNumber = 1,
    page_size: PageSize = 50,
):
    qs = selectors.week_sessions(request.auth, monday(week))
    if program:
        qs = qs.filter(program__uuid=program)
    items, meta = page_of(qs, page, page_size)
    return {**meta, "results": items}


def _roster(session) -> list[dict]:
    return [
        {
            "patient": r["patient"].uuid,
            "mrn": r["patient"].mrn,
            "name": r["patient"].display_name,
            "status": r["mark"].status if r["mark"] else None,
            "minutes": r["mark"].minutes if r["mark"] else None,
        }
        for r in selectors.roster_of(session)
    ]


def _session_out(request, session) -> dict:
    roster = _roster(session)
    audit_read(
        actor=request.auth,
        event="session.roster",
        obj=session,
        patient_ids=list(
            session.roster.filter(status=RosterStatus.ENROLLED).values_list("patient_id", flat=True)
        ),
    )
    session.enrolled = len(roster)
    session.roster_rows = roster
    return session


@router.get("/sessions/{session_uuid}", response={200: SessionDetailOut, **ERRORS})
@permission("schedule.view")
def get_session(request, session_uuid: UUID):
    return _session_out(request, selectors.session_for(request.auth, session_uuid))


@router.post("/sessions", response={201: SessionDetailOut, **ERRORS})
@permission("schedule.manage")
def create_session(request, payload: SessionIn):
    data = payload.dict()
    program = _one(Program.objects.visible_to(request.auth, "view"), data["program"], "program")
    st = SessionType.objects.filter(
        organization_id=program.organization_id, code=data["session_type"]
    ).first()
    if st is None:
        raise ApplicationError.for_field("session_type", "No session type with that code.")
    session = session_services.session_create(
        actor=request.auth,
        program=program,
        session_type=st,
        date=data["date"],
        start_time=data["start_time"],
        duration_min=data["duration_min"],
        room=_one(Room.objects.filter(site_id=program.site_id), data["room"], "room"),
        telehealth_url=data["telehealth_url"],
        facilitator=_one(User.objects.all(), data["facilitator"], "facilitator"),
        topic=data["topic"],
    )
    return Status(201, _session_out(request, session))


@router.post("/sessions/{session_uuid}/roster", response={201: SessionDetailOut, **ERRORS})
@permission("schedule.manage")
def add_to_roster(request, session_uuid: UUID, payload: RosterIn):
    session = selectors.session_for(request.auth, session_uuid)
    patient = _one(Patient.objects.visible_to(request.auth, "view"), payload.patient, "patient")
    session_services.roster_add(actor=request.auth, session=session, patient=patient)
    return Status(201, _session_out(request, session))


@router.put("/sessions/{session_uuid}/attendance", response={200: SessionDetailOut, **ERRORS})
@permission("attendance.record")
def record_attendance(request, session_uuid: UUID, payload: AttendanceIn):
    session = selectors.session_for(request.auth, session_uuid)
    uuids = [m.patient for m in payload.marks]
    ids = dict(Patient.objects.filter(uuid__in=uuids).values_list("uuid", "pk"))
    marks = [
        attendance_services.Mark(
            patient_id=ids.get(m.patient, 0), status=m.status, minutes=m.minutes, note=m.note
        )
        for m in payload.marks
    ]
    attendance_services.attendance_record(actor=request.auth, session=session, marks=marks)
    return _session_out(request, session)


def _patient(request, patient_uuid, action="view") -> Patient:
    patient = Patient.objects.visible_to(request.auth, action).filter(uuid=patient_uuid).first()
    if patient is None:
        raise Http404
    return patient


def _availability(patient) -> dict:
    return {
        "patient": patient.uuid,
        "windows": [
            {
                "weekday": a.weekday,
                "start_time": a.start_time,
                "end_time": a.end_time,
                "note": a.note,
            }
            for a in PatientAvailability.objects.filter(patient=patient)
        ],
    }


@router.get("/patients/{patient_uuid}/availability", response={200: AvailabilityOut, **ERRORS})
@permission("availability.view")
def get_availability(request, patient_uuid: UUID):
    patient = _patient(request, patient_uuid)
    audit_read(actor=request.auth, event="availability.read", obj=patient, patient=patient)
    return _availability(patient)


@router.put("/patients/{patient_uuid}/availability", response={200: AvailabilityOut, **ERRORS})
@permission("availability.change")
def put_availability(request, patient_uuid: UUID, payload: AvailabilityIn):
    patient = _patient(request, patient_uuid)
    windows = [avail.Window(w.weekday, w.start_time, w.end_time, w.note) for w in payload.windows]
    avail.availability_replace(actor=request.auth, patient=patient, windows=windows)
    return _availability(patient)


@router.get("/patients/{patient_uuid}/hours", response={200: list[LedgerOut], **ERRORS})
@permission("attendance.view")
def get_hours(
    request,
    patient_uuid: UUID,
    weeks: Annotated[int, Field(ge=1, le=52, description="1 to 52 weeks.")] = 8,
):
    patient = _patient(request, patient_uuid)
    episodes = (
        Episode.objects.visible_to(request.auth, "view")
        .filter(patient=patient, status=EpisodeStatus.ACTIVE)
        .select_related("program")
    )
    out = []
    for ep in episodes:
        ledger = hours_ledger(ep, weeks=weeks)
        out.append(
            {
                "episode": ep.uuid,
                "program": ep.program.uuid,
                "minimum_hours": float(ledger.minimum),
                "maximum_hours": float(ledger.maximum) if ledger.maximum is not None else None,
                "prescribed_hours": float(ledger.prescribed) if ledger.prescribed else None,
                "weeks": [
                    {
                        "week": w.week,
                        "attended_minutes": w.attended,
                        "scheduled_minutes": w.scheduled,
                        "sessions": w.sessions,
                        "missed": w.missed,
                        "status": ledger.status(w),
                    }
                    for w in ledger.weeks
                ],
            }
        )
    audit_read(actor=request.auth, event="hours.read", obj=patient, patient=patient)
    return out


def _note(request, note_uuid, action="view") -> Note:
    note = (
        Note.objects.visible_to(request.auth, action)
        .select_related("session", "signed_by")
        .filter(uuid=note_uuid)
        .first()
    )
    if note is None:
        raise Http404
    return note


def _note_out(request, note) -> dict:
    entries = list(note.entries.select_related("patient").prefetch_related("objectives"))
    audit_read(
        actor=request.auth, event="note.view", obj=note, patient_ids=[e.patient_id for e in entries]
    )
    return {
        **{
            f: getattr(note, f)
            for f in (
                "uuid",
                "kind",
                "status",
                "revision",
                "topic",
                "interventions",
                "group_part",
                "participants",
                "data",
                "assessment",
                "plan",
                "signed_at",
            )
        },
        "session": note.session.uuid,
        "signed_by": note.signed_by.uuid if note.signed_by_id else None,
        "entries": [
            {
                "patient": e.patient.uuid,
                "text": e.text,
                "objectives": [o.uuid for o in e.objectives.all()],
            }
            for e in entries
        ],
        "addenda": [a.text for a in note.addenda.all()],
    }


@router.post("/sessions/{session_uuid}/note", response={201: NoteOut, **ERRORS})
@permission("note.write")
def start_note(request, session_uuid: UUID):
    session = selectors.session_for(request.auth, session_uuid)
    note = note_services.note_start(actor=request.auth, session=session)
    return Status(201, _note_out(request, note))


@router.get("/notes/{note_uuid}", response={200: NoteOut, **ERRORS})
@permission("note.view")
def get_note(request, note_uuid: UUID):
    return _note_out(request, _note(request, note_uuid))


@router.put("/notes/{note_uuid}", response={200: NoteOut, **ERRORS})
@permission("note.write")
def save_note(request, note_uuid: UUID, payload: NoteIn):
    from openiop.care.plans.plan_models import PlanObjective

    note = _note(request, note_uuid, "write")
    data = payload.dict()
    uuids = [e["patient"] for e in data["entries"]]
    patients = dict(Patient.objects.filter(uuid__in=uuids).values_list("uuid", "pk"))
    objective_uuids = [o for e in data["entries"] for o in e["objectives"]]
    objectives = dict(
        PlanObjective.objects.filter(uuid__in=objective_uuids).values_list("uuid", "pk")
    )
    entries = {}
    for e in data["entries"]:
        if e["patient"] not in patients:
            raise ApplicationError.for_field("entries", "An individual part names a non-attendee.")
        entries[patients[e["patient"]]] = (
            e["text"],
            [objectives.get(o, 0) for o in e["objectives"]],
        )
    note = note_services.note_save(
        actor=request.auth,
        note=note,
        revision=data["revision"],
        entries=entries,
        **{
            f: data[f]
            for f in ("topic", "interventions", "group_part", "data", "assessment", "plan")
        },
    )
    return _note_out(request, note)


@router.post("/notes/{note_uuid}/sign", response={200: NoteOut, **ERRORS})
@permission("note.write")
def sign_note(request, note_uuid: UUID, payload: SignIn):
    note = _note(request, note_uuid, "write")
    note_services.note_sign(actor=request.auth, note=note, confirm_similar=payload.confirm_similar)
    return _note_out(request, note)


@router.post("/notes/{note_uuid}/addenda", response={201: NoteOut, **ERRORS})
@permission("note.write")
def add_addendum(request, note_uuid: UUID, payload: AddendumIn):
    note = _note(request, note_uuid, "write")
    note_services.note_addendum(actor=request.auth, note=note, text=payload.text)
    return Status(201, _note_out(request, note))


def _run_out(request, run) -> dict:
    result = run.result or {}
    pks = [u["patient"] for u in run.unmet]
    uuids = dict(Patient.objects.filter(pk__in=pks).values_list("pk", "uuid"))
    if pks:
        audit_read(actor=request.auth, event="solver.review", obj=run, patient_ids=pks)
    return {
        **{
            f: getattr(run, f)
            for f in (
                "uuid",
                "week",
                "kind",
                "status",
                "percent",
                "objective",
                "bound",
                "gap",
                "unmet_minutes",
                "below_minimum_minutes",
                "first_feasible_s",
                "wall_s",
                "error",
            )
        },
        "program": run.program.uuid,
        "groups": len(result.get("groups", [])),
        "appointments": len(result.get("appointments", [])),
        "unmet": [{**u, "patient": uuids.get(u["patient"])} for u in run.unmet],
    }


@router.post("/solver-runs", response={202: RunOut, **ERRORS})
@permission("schedule.manage")
def start_run(request, payload: RunIn):
    program = _one(Program.objects.visible_to(request.auth, "view"), payload.program, "program")
    run = run_services.solver_run_start(
        actor=request.auth, program=program, week=payload.week, time_limit_s=payload.time_limit_s
    )
    run.refresh_from_db()
    return Status(202, _run_out(request, run))


@router.get("/solver-runs/{run_uuid}", response={200: RunOut, **ERRORS})
@permission("schedule.view")
def get_run(request, run_uuid: UUID):
    return _run_out(request, selectors.run_for(request.auth, run_uuid))


@router.post("/solver-runs/{run_uuid}/publish", response={200: RunOut, **ERRORS})
@permission("schedule.manage")
def publish_run(request, run_uuid: UUID):
    run = selectors.run_for(request.auth, run_uuid)
    run_services.solver_run_publish(actor=request.auth, run=run)
    run.refresh_from_db()
    return _run_out(request, run)
