"""Configuration pages: session types, a program's recurring sessions, staff
working hours and leave, rooms (kind, opening hours, closures)."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone

from openiop.access.scope import can
from openiop.core.decorators import requires
from openiop.core.errors import ApplicationError
from openiop.core.forms import apply_errors
from openiop.organizations.models import Room
from openiop.scheduling import selectors
from openiop.scheduling.forms import (
    ClosureForm,
    LeaveForm,
    RoomForm,
    SeriesForm,
    SessionTypeForm,
    grid_rows,
    windows_from_post,
)
from openiop.scheduling.models import (
    RoomClosure,
    RoomHours,
    SessionSeries,
    SessionType,
    StaffHours,
    StaffLeave,
)
from openiop.scheduling.services import availability as avail
from openiop.scheduling.services.sessions import series_create
from openiop.scheduling.services.types import session_type_update, session_types_ensure
from openiop.scheduling.staff import program_staff


def _org_ids(user) -> set[int]:
    from openiop.access.scope import scope_for

    return scope_for(user).organization_ids


@requires("sessiontype.view")
def types(request):
    for org_id in _org_ids(request.user):
        from openiop.organizations.models import Organization

        session_types_ensure(Organization(pk=org_id))
    rows = SessionType.objects.visible_to(request.user, "view").order_by("modality", "name")
    return render(
        request,
        "scheduling/types.html",
        {"types": rows, "can_manage": can(request.user, "sessiontype.manage")},
    )


@requires("sessiontype.manage")
def type_edit(request, type_uuid):
    st = SessionType.objects.visible_to(request.user, "manage").filter(uuid=type_uuid).first()
    if st is None:
        raise Http404("No such session type.")
    initial = {
        "name": st.name,
        "duration_min": st.duration_min,
        "min_size": st.min_size,
        "max_size": st.max_size,
        "credentials": ", ".join(st.credentials),
        "telehealth_ok": st.telehealth_ok,
        "curriculum": "\n".join(st.curriculum),
        "is_active": st.is_active,
    }
    form = SessionTypeForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            session_type_update(actor=request.user, session_type=st, **form.data_for_service())
        except ApplicationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"{st.name} saved.")
            return redirect("scheduling:types")
    return render(
        request,
        "scheduling/form.html",
        {
            "form": form,
            "title": f"{st.name} ({st.get_modality_display()})",
            "button": "Save",
            "back": "/scheduling/types/",
        },
        status=400 if form.errors else 200,
    )


def _managed_program(request, program_uuid):
    program = (
        selectors.programs_for(request.user, "schedule.manage").filter(uuid=program_uuid).first()
    )
    if program is None:
        raise Http404("No such program, or not one you manage.")
    return program


@requires("schedule.manage")
def series(request, program_uuid):
    program = _managed_program(request, program_uuid)
    staff = program_staff(program)
    form = SeriesForm(
        request.POST or None,
        initial={"starts_on": timezone.localdate()},
        types=SessionType.objects.filter(
            organization_id=program.organization_id, is_active=True, modality="group"
        ),
        tracks=program.tracks.filter(is_active=True),
        rooms=Room.objects.filter(site_id=program.site_id, is_active=True),
        staff=staff,
    )
    if request.method == "POST" and form.is_valid():
        try:
            series_create(actor=request.user, program=program, **form.cleaned_data)
        except ApplicationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "Recurring session added.")
            return redirect("scheduling:series", program_uuid=program.uuid)
    rows = SessionSeries.objects.filter(program=program, is_active=True).select_related(
        "session_type", "track", "room", "facilitator"
    )
    return render(
        request,
        "scheduling/series.html",
        {"program": program, "rows": rows, "form": form},
        status=400 if form.errors else 200,
    )


@requires("schedule.manage")
def staff(request, program_uuid):
    program = _managed_program(request, program_uuid)
    people = program_staff(program)
    hours: dict[int, list] = {u.pk: [] for u in people}
    for h in StaffHours.objects.filter(user__in=people, organization_id=program.organization_id):
        hours[h.user_id].append(h)
    today = timezone.localdate()
    leave: dict[int, list] = {u.pk: [] for u in people}
    for lv in StaffLeave.objects.filter(
        user__in=people, organization_id=program.organization_id, ends_on__gte=today
    ):
        leave[lv.user_id].append(lv)
    rows = [
        {
            "user": u,
            "hours": sum(
                (
                    h.end_time.hour * 60
                    + h.end_time.minute
                    - h.start_time.hour * 60
                    - h.start_time.minute
                )
                for h in hours[u.pk]
            )
            / 60,
            "days": sorted(
                {h.get_weekday_display()[:3] for h in hours[u.pk]},
                key=["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"].index,
            ),
            "leave": leave[u.pk],
        }
        for u in people
    ]
    return render(request, "scheduling/staff.html", {"program": program, "rows": rows})


@requires("schedule.manage")
def staff_edit(request, program_uuid, user_uuid):
    program = _managed_program(request, program_uuid)
    user = next((u for u in program_staff(program) if str(u.uuid) == str(user_uuid)), None)
    if user is None:
        raise Http404("Not on this program's staff.")
    org = program.organization
    error = ""
    leave_form = LeaveForm(request.POST if request.POST.get("form") == "leave" else None)
    data = None
    if request.method == "POST":
        try:
            if request.POST.get("form") == "leave":
                if leave_form.is_valid():
                    avail.staff_leave_add(
                        actor=request.user, user=user, organization=org, **leave_form.cleaned_data
                    )
                    messages.success(request, "Leave recorded.")
                    return redirect(
                        "scheduling:staff_edit", program_uuid=program.uuid, user_uuid=user.uuid
                    )
            else:
                data = request.POST
                avail.staff_hours_replace(
                    actor=request.user,
                    user=user,
                    organization=org,
                    windows=windows_from_post(request.POST),
                )
                messages.success(request, "Working hours saved.")
                return redirect("scheduling:staff", program_uuid=program.uuid)
        except ApplicationError as exc:
            if request.POST.get("form") == "leave":
                apply_errors(leave_form, exc)
            else:
                error = exc.message
    rows = StaffHours.objects.filter(user=user, organization=org)
    return render(
        request,
        "scheduling/staff_edit.html",
        {
            "program": program,
            "person": user,
            "grid": grid_rows(rows, data=data),
            "error": error,
            "leave_form": leave_form,
            "leave": StaffLeave.objects.filter(user=user, organization=org)[:20],
        },
        status=400 if error or leave_form.errors else 200,
    )


@requires("schedule.manage")
def rooms(request, program_uuid):
    program = _managed_program(request, program_uuid)
    rows = Room.objects.filter(site_id=program.site_id).select_related("scheduling")
    closures = RoomClosure.objects.filter(
        room__site_id=program.site_id, ends_on__gte=timezone.localdate()
    ).select_related("room")
    return render(
        request,
        "scheduling/rooms.html",
        {
            "program": program,
            "rooms": [{"room": r, "kind": avail.room_kind(r)} for r in rows],
            "closures": closures,
        },
    )


@requires("schedule.manage")
def room_edit(request, program_uuid, room_uuid):
    program = _managed_program(request, program_uuid)
    room = Room.objects.filter(site_id=program.site_id, uuid=room_uuid).first()
    if room is None:
        raise Http404("No such room at this program's site.")
    which = request.POST.get("form")
    form = RoomForm(
        request.POST if which == "room" else None, initial={"kind": avail.room_kind(room)}
    )
    closure = ClosureForm(request.POST if which == "closure" else None)
    error, data = "", None
    if request.method == "POST":
        try:
            if which == "closure":
                if closure.is_valid():
                    avail.room_close(actor=request.user, room=room, **closure.cleaned_data)
                    messages.success(request, "Closure recorded.")
                    return redirect("scheduling:rooms", program_uuid=program.uuid)
            elif form.is_valid():
                data = request.POST
                avail.room_configure(
                    actor=request.user,
                    room=room,
                    kind=form.cleaned_data["kind"],
                    windows=windows_from_post(request.POST),
                )
                messages.success(request, f"{room.name} saved.")
                return redirect("scheduling:rooms", program_uuid=program.uuid)
        except ApplicationError as exc:
            if which == "closure":
                apply_errors(closure, exc)
            else:
                error = exc.message
    return render(
        request,
        "scheduling/room_edit.html",
        {
            "program": program,
            "room": room,
            "form": form,
            "closure": closure,
            "grid": grid_rows(RoomHours.objects.filter(room=room), data=data),
            "error": error,
        },
        status=400 if error or form.errors or closure.errors else 200,
    )
