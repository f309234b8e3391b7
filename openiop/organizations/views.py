from django.contrib import messages
from django.db.models import Count, Prefetch, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from openiop.access.scope import can, grant
from openiop.accounts.models import Membership, StaffCredential, User
from openiop.accounts.two_factor import enrolment_code_issue
from openiop.audit.models import Action
from openiop.audit.services import audit_denied
from openiop.care.models import EpisodeStatus
from openiop.core.decorators import forbidden, requires
from openiop.core.errors import ApplicationError
from openiop.core.forms import apply_errors
from openiop.core.pagination import paginate
from openiop.organizations import services
from openiop.organizations.forms import OnCallForm, ProgramForm, TrackForm
from openiop.organizations.models import Organization, Program, Site, Track


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
    safety_net = bool(grant(request.user, "organization.manage").organization_ids)
    return render(
        request,
        "organizations/programs.html",
        {"page": page, "manageable": manageable, "sites": sites, "safety_net": safety_net},
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


def _email_stays_here() -> str:
    """Where messages go when the email backend does not deliver them to an
    inbox (console, files, memory), or "" for a real mail server."""
    from django.conf import settings

    stays = {
        "console": "the server's log",
        "filebased": "files on the server (EMAIL_FILE_PATH)",
        "locmem": "memory (tests)",
        "dummy": "nowhere",
    }
    kind = settings.EMAIL_BACKEND.rsplit(".", 2)[-2] if "." in settings.EMAIL_BACKEND else ""
    return stays.get(kind, "")


@requires("organization.manage")
def safety(request):
    """The safety net of the organization: the on-call contact (the last step of
    an alert's escalation), who a queue alert reaches now, and each program's
    escalation delays."""
    from openiop.measures.services.alerts import queue_now

    org_ids = grant(request.user, "organization.manage").organization_ids
    organizations = list(Organization.objects.filter(pk__in=org_ids).order_by("name"))
    wanted = request.GET.get("organization", "")
    organization = next((o for o in organizations if str(o.uuid) == wanted), None)
    if wanted and organization is None:  # never save into another organization
        raise Http404("No such organization that you manage.")
    organization = organization or (organizations[0] if organizations else None)
    if organization is None:  # a director of one program
        audit_denied(actor=request.user, event="organization.manage", action=Action.READ)
        return forbidden(
            request, "Only organization-wide administrators and directors set the safety net."
        )
    candidates = list(services.on_call_candidates(organization.pk))
    initial = {
        "on_call_user": str(organization.on_call_user.uuid) if organization.on_call_user else "",
        "on_call_email": organization.on_call_email,
    }
    form = OnCallForm(request.POST or None, initial=initial, candidates=candidates)
    if request.method == "POST" and form.is_valid():
        try:
            services.organization_set_on_call(
                actor=request.user,
                organization=organization,
                user=form.chosen_user(),
                email=form.cleaned_data["on_call_email"],
            )
        except ApplicationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "The on-call contact is saved.")
            return redirect(f"{request.path}?organization={organization.uuid}")
    return render(
        request,
        "organizations/safety.html",
        {
            "organization": organization,
            "organizations": organizations,
            "form": form,
            "on_call_lapsed": organization.on_call_user_id
            and organization.on_call_user_id not in {u.pk for u in candidates},
            "queue": queue_now(organization.pk),
            "email_stays": _email_stays_here(),
            "programs": Program.objects.filter(organization=organization, is_active=True)
            .select_related("site")
            .order_by("name"),
        },
    )
