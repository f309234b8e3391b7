"""The optimizer pages: start a run for a week, watch its progress (htmx polls
a partial), review the proposal (per patient, per clinician, unmet needs with
reasons, the gap), publish it; report a change and apply the repair."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from openiop.access.scope import can
from openiop.audit.services import audit_read
from openiop.care.models import Episode, EpisodeStatus
from openiop.core.decorators import forbidden, requires
from openiop.core.errors import ApplicationError
from openiop.core.forms import apply_errors
from openiop.core.pagination import paginate
from openiop.organizations.models import Room
from openiop.patients.models import Patient
from openiop.scheduling import selectors
from openiop.scheduling.forms import PlanWeekForm, RepairForm, week_from
from openiop.scheduling.localtime import monday, week_label
from openiop.scheduling.models import PublishedWeek, RunKind, RunStatus, SolverRun
from openiop.scheduling.services import repair as repair_services
from openiop.scheduling.services import runs as run_services
from openiop.scheduling.staff import program_staff


@requires("schedule.manage")
def plan(request):
    programs = selectors.programs_for(request.user, "schedule.manage")
    next_week = monday(timezone.localdate()) + timezone.timedelta(days=7)
    form = PlanWeekForm(
        request.POST or None,
        programs=programs,
        initial={"week": next_week, "time_limit_s": 10, "program": programs.first()},
    )
    if request.method == "POST" and form.is_valid():
        try:
            run = run_services.solver_run_start(
                actor=request.user,
                program=form.cleaned_data["program"],
                week=form.cleaned_data["week"],
                time_limit_s=form.cleaned_data["time_limit_s"],
            )
        except ApplicationError as exc:
            apply_errors(form, exc)
        else:
            return redirect("scheduling:run", run_uuid=run.uuid)
    runs = SolverRun.objects.visible_to(request.user, "view").select_related("program")
    published = (
        PublishedWeek.objects.visible_to(request.user, "view")
        .select_related("program", "published_by")
        .order_by("-week")[:12]
    )
    return render(
        request,
        "scheduling/plan.html",
        {"form": form, "page": paginate(request, runs), "published": published},
        status=400 if form.errors else 200,
    )


def _run_context(request, run) -> dict:
    ctx = {
        "run": run,
        "label": week_label(run.week),
        "can_manage": can(
            request.user,
            "schedule.manage",
            organization_id=run.organization_id,
            program_id=run.program_id,
        ),
    }
    if run.status in (RunStatus.DONE, RunStatus.PUBLISHED, RunStatus.APPLIED):
        review = selectors.run_review(run)
        ctx["review"] = review
        audit_read(
            actor=request.user, event="solver.review", obj=run, patient_ids=review["patient_ids"]
        )
    return ctx


@requires("schedule.view")
def run_detail(request, run_uuid):
    run = selectors.run_for(request.user, run_uuid)
    ctx = _run_context(request, run)
    if request.headers.get("HX-Request") and not run.is_finished:
        return render(request, "scheduling/_run_progress.html", ctx)
    if request.headers.get("HX-Request"):
        # finished: reload the whole page so the review appears
        response = render(request, "scheduling/_run_progress.html", ctx)
        response["HX-Refresh"] = "true"
        return response
    return render(request, "scheduling/run.html", ctx)


def _managed_run(request, run_uuid) -> SolverRun:
    run = selectors.run_for(request.user, run_uuid)
    if not can(
        request.user,
        "schedule.manage",
        organization_id=run.organization_id,
        program_id=run.program_id,
    ):
        raise DjangoPermissionDenied
    return run


@require_POST
@requires("schedule.manage")
def run_publish(request, run_uuid):
    try:
        run = _managed_run(request, run_uuid)
    except DjangoPermissionDenied:
        return forbidden(request)
    try:
        published = run_services.solver_run_publish(actor=request.user, run=run)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("scheduling:run", run_uuid=run.uuid)
    messages.success(
        request, f"Published the week of {week_label(published.week)} for {run.program.name}."
    )
    return redirect(f"/scheduling/?week={published.week}&program={run.program.uuid}")


@require_POST
@requires("schedule.manage")
def run_discard(request, run_uuid):
    try:
        run = _managed_run(request, run_uuid)
    except DjangoPermissionDenied:
        return forbidden(request)
    try:
        run_services.solver_run_discard(actor=request.user, run=run)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("scheduling:plan")


@require_POST
@requires("schedule.manage")
def run_apply(request, run_uuid):
    try:
        run = _managed_run(request, run_uuid)
    except DjangoPermissionDenied:
        return forbidden(request)
    try:
        changed = repair_services.repair_apply(actor=request.user, run=run)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("scheduling:run", run_uuid=run.uuid)
    messages.success(request, f"Repair applied: {changed} patients' weeks changed.")
    return redirect(f"/scheduling/?week={run.week}&program={run.program.uuid}")


@requires("schedule.manage")
def repair(request, program_uuid):
    program = (
        selectors.programs_for(request.user, "schedule.manage").filter(uuid=program_uuid).first()
    )
    if program is None:
        raise Http404("No such program, or not one you manage.")
    week = week_from(request.GET.get("week") or request.POST.get("week"), timezone.localdate())

    form = RepairForm(
        request.POST or None,
        staff=program_staff(program),
        rooms=Room.objects.filter(site_id=program.site_id, is_active=True),
        patients=Patient.objects.visible_to(request.user, "view")
        .filter(episodes__program=program, episodes__status=EpisodeStatus.ACTIVE)
        .distinct(),
        initial={"starts_on": week, "ends_on": week},
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            run = repair_services.repair_start(
                actor=request.user,
                program=program,
                week=week,
                kind=d["kind"],
                user=d["user"],
                room=d["room"],
                patient=d["patient"],
                starts_on=d["starts_on"],
                ends_on=d["ends_on"],
            )
        except ApplicationError as exc:
            apply_errors(form, exc)
        else:
            return redirect("scheduling:run", run_uuid=run.uuid)
    published = PublishedWeek.objects.filter(program=program, week=week).exists()
    return render(
        request,
        "scheduling/repair.html",
        {
            "form": form,
            "program": program,
            "week": week,
            "label": week_label(week),
            "published": published,
            "open_episodes": Episode.objects.filter(
                program=program, status=EpisodeStatus.ACTIVE
            ).count(),
            "kind": RunKind.REPAIR,
        },
        status=400 if form.errors else 200,
    )
