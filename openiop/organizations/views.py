from django.contrib import messages
from django.db.models import Count, Prefetch, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from openiop.access.scope import can
from openiop.accounts.models import Membership, StaffCredential, User
from openiop.accounts.two_factor import enrolment_code_issue
from openiop.care.models import EpisodeStatus
from openiop.core.decorators import requires
from openiop.core.errors import ApplicationError
from openiop.core.forms import apply_errors
from openiop.core.pagination import paginate
from openiop.organizations import services
from openiop.organizations.forms import ProgramForm, TrackForm
from openiop.organizations.models import Program, Site, Track


@requires("program.view")
def programs(request):
    qs = (
        Program.objects.visible_to(request.user, "view")
        .select_related("site")
        .prefetch_related(Prefetch("tracks", queryset=Track.objects.order_by("start_time")))
        .annotate(active=Count("episodes", filter=Q(episodes__status=EpisodeStatus.ACTIVE)))
        .order_by("name")
    )
    page = paginate(request, qs)
    manageable = {
        p.pk
        for p in page.object_list
        if can(request.user, "program.manage", organization_id=p.organization_id, program_id=p.pk)
    }
    sites = Site.objects.visible_to(request.user, "view")
    return render(
        request,
        "organizations/programs.html",
        {"page": page, "manageable": manageable, "sites": sites},
    )


def _manageable_program(request, program_uuid) -> Program:
    program = Program.objects.visible_to(request.user, "manage").filter(uuid=program_uuid).first()
    if program is None:
        raise Http404("No such program, or not one you may change.")
    return program


@requires("program.manage")
def program_edit(request, program_uuid):
    program = _manageable_program(request, program_uuid)
    initial = {f: getattr(program, f) for f in services.PROGRAM_FIELDS}
    form = ProgramForm(request.POST or None, initial=initial, organization=program.organization)
    if request.method == "POST" and form.is_valid():
        try:
            services.program_update(actor=request.user, program=program, **form.cleaned_data)
        except ApplicationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "Program settings saved.")
            return redirect("organizations:programs")
    return render(
        request,
        "organizations/form.html",
        {"form": form, "title": f"Program settings - {program.name}"},
    )


@requires("program.manage")
def track_new(request, program_uuid):
    program = _manageable_program(request, program_uuid)
    form = TrackForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.track_create(actor=request.user, program=program, **form.cleaned_data)
        except ApplicationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "Track added.")
            return redirect("organizations:programs")
    return render(
        request, "organizations/form.html", {"form": form, "title": f"New track - {program.name}"}
    )


@requires("program.manage")
def track_edit(request, track_uuid):
    track = Track.objects.visible_to(request.user, "manage").filter(uuid=track_uuid).first()
    if track is None:
        raise Http404("No such track, or not one you may change.")
    initial = {f: getattr(track, f) for f in services.TRACK_FIELDS}
    form = TrackForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.track_update(actor=request.user, track=track, **form.cleaned_data)
        except ApplicationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "Track saved.")
            return redirect("organizations:programs")
    return render(request, "organizations/form.html", {"form": form, "title": f"Track - {track}"})


@requires("staff.view")
def staff(request):
    qs = (
        User.objects.visible_to(request.user, "view")
        .prefetch_related(
            Prefetch("memberships", queryset=Membership.objects.select_related("program")),
            Prefetch("credentials", queryset=StaffCredential.objects.order_by("expires_on")),
        )
        .order_by("display_name", "username")
    )
    return render(
        request,
        "organizations/staff.html",
        {"page": paginate(request, qs), "can_manage": can(request.user, "staff.manage")},
    )


@require_POST
@requires("staff.manage")
def staff_enrolment_code(request, user_uuid):
    """Issue a one-time code with which the person sets up (or replaces) their
    authenticator; shown once, here."""
    user = User.objects.visible_to(request.user, "view").filter(uuid=user_uuid).first()
    if user is None:
        raise Http404
    code, raw = enrolment_code_issue(actor=request.user, user=user)
    return render(
        request,
        "organizations/enrolment_code.html",
        {"person": user, "raw_code": raw, "expires_at": code.expires_at},
    )
