"""Staff calendar pages: the week, a day, a session's roster with bulk
attendance, the printable roster, one-off sessions."""

import datetime as dt

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from openiop.access.scope import can
from openiop.audit.services import audit_read
from openiop.core.decorators import requires
from openiop.core.errors import ApplicationError
from openiop.core.forms import apply_errors
from openiop.organizations.models import Room
from openiop.patients.models import Patient
from openiop.scheduling import selectors
from openiop.scheduling.forms import SessionForm, date_from_url, week_from
from openiop.scheduling.localtime import today_in, week_label
from openiop.scheduling.models import AttendanceStatus, RosterStatus, SessionType
from openiop.scheduling.services import attendance as attendance_services
from openiop.scheduling.services import sessions as session_services
from openiop.scheduling.staff import program_staff


def _program_choice(request, permission="schedule.view"):
    programs = list(selectors.programs_for(request.user, permission))
    chosen = request.GET.get("program")
    program = next((p for p in programs if str(p.uuid) == chosen), None)
    return programs, program


@requires("schedule.view")
def week(request):
    today = timezone.localdate()
    monday = week_from(request.GET.get("week"), today)
    programs, program = _program_choice(request)
    mine = request.GET.get("mine") == "1"
    sessions = list(
        selectors.week_sessions(
            request.user, monday, program=program, facilitator=request.user if mine else None
        )
    )
    grid = selectors.week_grid(sessions, monday)
    return render(
        request,
        "scheduling/week.html",
        {
            "week": monday,
            "label": week_label(monday),
            "prev": monday - dt.timedelta(days=7),
            "next": monday + dt.timedelta(days=7),
            "days": [monday + dt.timedelta(days=d) for d in range(7)],
            "programs": programs,
            "program": program,
            "mine": mine,
            "sessions": sessions,
            "grid": grid,
            "can_manage": can(request.user, "schedule.manage"),
        },
    )


@requires("schedule.view")
def day(request, date):
    programs, program = _program_choice(request)
    if date == "today":  # the tabs' link: today where the program meets
        shown = program or (programs[0] if programs else None)
        day_ = today_in(shown.site.time_zone) if shown else timezone.localdate()
    else:
        try:
            day_ = date_from_url(date)
        except ValueError:
            raise Http404("Not a date.") from None
    sessions = [
        s
        for s in selectors.week_sessions(
            request.user, day_ - dt.timedelta(days=day_.weekday()), program=program
        )
        if s.date == day_
    ]
    return render(
        request,
        "scheduling/day.html",
        {
            "day": day_,
            "prev": day_ - dt.timedelta(days=1),
            "next": day_ + dt.timedelta(days=1),
            "sessions": sessions,
            "programs": programs,
            "program": program,
        },
    )


def _marks_from_post(request, roster) -> list:
    marks = []
    for row in roster:
        p = row["patient"]
        status = request.POST.get(f"status_{p.uuid}", "")
        if not status:
            continue
        raw = (request.POST.get(f"minutes_{p.uuid}", "") or "").strip()
        try:
            minutes = int(raw) if raw else None
        except ValueError:
            raise ApplicationError.for_field(
                f"minutes_{p.uuid}", f"'{raw}' is not a number of minutes."
            ) from None
        marks.append(
            attendance_services.Mark(
                patient_id=p.pk,
                status=status,
                minutes=minutes,
                note=request.POST.get(f"note_{p.uuid}", ""),
            )
        )
    return marks


@requires("schedule.view")
def session_detail(request, session_uuid):
    session = selectors.session_for(request.user, session_uuid)
    roster = selectors.roster_of(session)
    errors: dict = {}
    error = ""
    can_mark = can(
        request.user,
        "attendance.record",
        organization_id=session.organization_id,
        program_id=session.program_id,
    )
    if request.method == "POST":
        if not can_mark:
            from openiop.core.decorators import forbidden

            return forbidden(request)
        try:
            marks = _marks_from_post(request, roster)
            attendance_services.attendance_record(actor=request.user, session=session, marks=marks)
        except ApplicationError as exc:
            errors, error = exc.fields, exc.message
        else:
            messages.success(request, "Attendance saved.")
            return redirect("scheduling:session", session_uuid=session.uuid)
    taken_off = list(
        session.roster.filter(status=RosterStatus.REMOVED)
        .select_related("patient")
        .order_by("removed_at", "pk")
    )
    audit_read(
        actor=request.user,
        event="session.roster",
        obj=session,
        patient_ids=[r["patient"].pk for r in roster] + [e.patient_id for e in taken_off],
    )
    posted = request.POST if request.method == "POST" else None
    for row in roster:
        key = row["patient"].uuid
        mark = row["mark"]
        row["status"] = posted.get(f"status_{key}", "") if posted else (mark.status if mark else "")
        row["minutes"] = (
            posted.get(f"minutes_{key}", "") if posted else (mark.minutes if mark else "")
        )
        row["note"] = posted.get(f"note_{key}", "") if posted else (mark.note if mark else "")
        row["errors"] = [m for f, ms in errors.items() if str(key) in f for m in ms]
    note = session.notes.first()
    can_manage = can(
        request.user,
        "schedule.manage",
        organization_id=session.organization_id,
        program_id=session.program_id,
    )
    candidates = []
    if can_manage:
        candidates = (
            Patient.objects.visible_to(request.user, "view")
            .filter(episodes__program_id=session.program_id, episodes__status="active")
            .exclude(pk__in=[r["patient"].pk for r in roster])
            .distinct()[:200]
        )
    return render(
        request,
        "scheduling/session.html",
        {
            "session": session,
            "roster": roster,
            "statuses": AttendanceStatus.choices,
            "can_mark": can_mark and session.status == "scheduled",
            "started": session.starts_at <= timezone.now(),
            "error": error,
            "note": note,
            "can_note": can(
                request.user,
                "note.write",
                organization_id=session.organization_id,
                program_id=session.program_id,
            ),
            "can_manage": can_manage,
            "candidates": candidates,
            "status_counts": _counts(roster),
            "taken_off": taken_off,
        },
        status=400 if error else 200,
    )


def _counts(roster) -> list[tuple[str, int]]:
    out = {}
    for r in roster:
        if r["mark"]:
            label = r["mark"].get_status_display()
            out[label] = out.get(label, 0) + 1
    return sorted(out.items())


@requires("schedule.view")
def session_print(request, session_uuid):
    session = selectors.session_for(request.user, session_uuid)
    roster = selectors.roster_of(session)
    audit_read(
        actor=request.user,
        event="session.roster_print",
        obj=session,
        patient_ids=[r["patient"].pk for r in roster],
    )
    return render(request, "scheduling/roster_print.html", {"session": session, "roster": roster})


@requires("schedule.manage")
def session_new(request):
    programs, program = _program_choice(request, "schedule.manage")
    if not programs:
        raise Http404("You manage no program.")
    program = program or programs[0]
    org_id = program.organization_id
    form = SessionForm(
        request.POST or None,
        initial={"program": program, "date": timezone.localdate()},
        programs=selectors.programs_for(request.user, "schedule.manage"),
        types=SessionType.objects.filter(organization_id=org_id, is_active=True),
        rooms=Room.objects.filter(site__organization_id=org_id, is_active=True).select_related(
            "site"
        ),
        staff=_staff_qs(program),
    )
    if request.method == "POST" and form.is_valid():
        try:
            session = session_services.session_create(actor=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "Session added.")
            return redirect("scheduling:session", session_uuid=session.uuid)
    return render(
        request,
        "scheduling/form.html",
        {
            "form": form,
            "title": "Add a one-off session",
            "button": "Add the session",
            "back": "/scheduling/",
        },
    )


def _staff_qs(program):

    return program_staff(program)


@require_POST
@requires("schedule.manage")
def roster_add(request, session_uuid):
    session = selectors.session_for(request.user, session_uuid)
    patient = _posted_patient(request)
    try:
        if patient is None:
            raise ApplicationError.for_field("patient", "Choose a patient.")
        session_services.roster_add(actor=request.user, session=session, patient=patient)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{patient.display_name} added to the roster.")
    return redirect("scheduling:session", session_uuid=session.uuid)


@require_POST
@requires("schedule.manage")
def roster_remove(request, session_uuid):
    session = selectors.session_for(request.user, session_uuid)
    patient = _posted_patient(request)
    try:
        if patient is None:
            raise ApplicationError.for_field("patient", "Choose a patient on this roster.")
        session_services.roster_remove(
            actor=request.user,
            session=session,
            patient=patient,
            reason=request.POST.get("reason", ""),
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{patient.display_name} is off this session's roster.")
    return redirect("scheduling:session", session_uuid=session.uuid)


def _posted_patient(request):
    """The patient the form names, if the user may see them."""
    value = request.POST.get("patient")
    if not _is_uuid(value):
        return None
    return Patient.objects.visible_to(request.user, "view").filter(uuid=value).first()


def _is_uuid(value) -> bool:
    import uuid

    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


@require_POST
@requires("schedule.manage")
def session_cancel(request, session_uuid):
    session = selectors.session_for(request.user, session_uuid)
    try:
        session_services.session_cancel(actor=request.user, session=session)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Session cancelled.")
    return redirect("scheduling:session", session_uuid=session.uuid)
