"""Treatment plan pages: start, view, edit the draft, sign, revise, compare, print."""

import uuid

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from openiop.access.scope import can
from openiop.audit.services import audit_read
from openiop.care.plans import diff as plan_diff
from openiop.care.plans import forms as f
from openiop.care.plans.hours import hours_check
from openiop.care.plans.models import Diagnosis, DiagnosisStatus, PlanTemplate
from openiop.care.plans.plan_models import SignatureRole, VersionStatus
from openiop.care.plans.selectors import (
    interventions_of,
    pending_version,
    reviews_of,
    version_content,
    versions_of,
)
from openiop.care.plans.services import plan as services
from openiop.care.plans.services.signing import needs_supervisor, plan_sign, required_roles
from openiop.care.plans.services.templates import (
    content_of_version,
    template_create,
    templates_ensure,
)
from openiop.care.plans.views.common import (
    delivery_of,
    episode_or_404,
    plan_or_404,
)
from openiop.core.decorators import requires
from openiop.core.errors import ApplicationError
from openiop.core.forms import apply_errors
from openiop.scheduling.localtime import today_in
from openiop.scheduling.staff import (
    lead_problems,
    licences_by_modality,
    program_staff,
    who_may_lead,
)

KIND_FORMS = {
    "problem": f.ProblemForm,
    "goal": f.GoalForm,
    "objective": f.ObjectiveForm,
    "intervention": f.InterventionForm,
}
FIELDS = {
    "problem": ("statement", "diagnoses", "asam_dimensions"),
    "goal": ("statement",),
    "objective": ("statement", "target_on", "status"),
    "intervention": (
        "modality",
        "topic",
        "description",
        "sessions",
        "period",
        "minutes",
        "responsible",
        "support_persons",
    ),
}


@requires("plan.change")
def plan_start(request, episode_uuid):
    episode = episode_or_404(request, episode_uuid)
    templates_ensure(episode.program.organization)
    templates = PlanTemplate.objects.filter(organization_id=episode.organization_id, is_active=True)
    form = f.StartPlanForm(request.POST or None, templates=templates)
    if request.method == "POST" and form.is_valid():
        try:
            plan = services.plan_start(
                actor=request.user, episode=episode, template=form.cleaned_data["template"]
            )
        except ApplicationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "Plan started. Make it this patient's own, then sign it.")
            return redirect("plans:plan", plan_uuid=plan.uuid)
    return render(
        request,
        "plans/plan_start.html",
        {"form": form, "episode": episode, "patient": episode.patient, "templates": templates},
    )


def _version(plan, request):
    versions = versions_of(plan)
    wanted = request.GET.get("version")
    if wanted and wanted.isdigit():
        chosen = next((v for v in versions if v.number == int(wanted)), None)
        if chosen is None:
            raise Http404("No such version.")
        return versions, chosen
    pending = next(
        (v for v in versions if v.status in (VersionStatus.DRAFT, VersionStatus.AWAITING)), None
    )
    return versions, pending or plan.current or versions[0]


def _flag_leads(content, program, version) -> int:
    """Mark each intervention whose responsible person may not lead it
    (`iv.lead_problem`), on drafts and signed versions alike; return how many."""
    if not content or version.status not in (
        VersionStatus.DRAFT,
        VersionStatus.AWAITING,
        VersionStatus.SIGNED,
    ):
        return 0
    interventions = interventions_of(content)
    problems = lead_problems(interventions, program, today_in(program.site.time_zone))
    for iv in interventions:
        iv.lead_problem = problems.get(iv.pk, "")
    return len(problems)


@requires("plan.view")
def plan_detail(request, plan_uuid):
    plan = plan_or_404(request, plan_uuid)
    episode = plan.episode
    versions, version = _version(plan, request)
    content = version_content(version, with_progress=version.pk == plan.current_id)
    audit_read(
        actor=request.user,
        event="plan.read",
        obj=plan,
        patient=episode.patient,
        detail={"version": version.number},
    )
    signed_roles = {s.role: s for s in version.signatures.all()}
    roles = required_roles(episode.program)
    user = request.user
    editable = version.status == VersionStatus.DRAFT and plan.status == "open"
    ctx = {
        "plan": plan,
        "episode": episode,
        "patient": episode.patient,
        "version": version,
        "versions": versions,
        "content": content,
        "hours": hours_check(interventions_of(content), episode.program) if content else None,
        "lead_problems": _flag_leads(content, episode.program, version),
        "editable": editable and can(user, "plan.change"),
        "signatures": [signed_roles[r] for r in roles if r in signed_roles]
        + [s for r, s in signed_roles.items() if r not in roles],
        "missing_roles": [SignatureRole(r) for r in roles if r not in signed_roles],
        "needs_supervisor": needs_supervisor(episode.program),
        "can_sign": version.status in (VersionStatus.DRAFT, VersionStatus.AWAITING)
        and plan.status == "open"
        and (can(user, "plan.sign") or can(user, "plan.supervise")),
        "can_revise": plan.status == "open"
        and version.status in (VersionStatus.SIGNED, VersionStatus.AWAITING)
        and pending_version(plan) in (None, version)
        and version.status != VersionStatus.DRAFT
        and can(user, "plan.change"),
        "can_review": plan.status == "open" and plan.current_id and can(user, "plan.review"),
        "can_template": can(user, "plantemplate.manage"),
        "reviews": reviews_of(plan),
        "revise_form": f.ReviseForm(initial={"revision": plan.revision}),
        "sign_form": f.SignForm(initial={"revision": plan.revision}),
        "template_form": f.TemplateFromPlanForm(),
        "delivery": delivery_of(plan, version),
    }
    return render(request, "plans/plan_detail.html", ctx)


def _item(plan, kind, item_uuid):
    model = services.MODEL_OF.get(kind)
    if model is None:
        raise Http404("Unknown part of a plan.")
    lookups = {
        "problem": "version__plan",
        "goal": "problem__version__plan",
        "objective": "goal__problem__version__plan",
        "intervention": "objective__goal__problem__version__plan",
    }
    try:
        item_uuid = uuid.UUID(str(item_uuid))
    except ValueError:
        raise Http404("No such item in this plan.") from None
    item = model.objects.filter(**{lookups[kind]: plan, "uuid": item_uuid}).first()
    if item is None:
        raise Http404("No such item in this plan.")
    return item


def _kind_form(kind, plan, data=None, initial=None):
    episode = plan.episode
    kwargs = {}
    if kind == "problem":
        kwargs["diagnoses"] = Diagnosis.objects.filter(
            episode=episode, status=DiagnosisStatus.ACTIVE
        )
    if kind == "intervention":
        staff = program_staff(episode.program)
        kwargs["staff"] = staff
        kwargs["leads"] = who_may_lead(
            list(staff), episode.program, today_in(episode.program.site.time_zone)
        )
        kwargs["ruled"] = licences_by_modality(episode.organization_id)
        kwargs["support_persons"] = episode.patient.support_persons.filter(involvement_consent=True)
    return KIND_FORMS[kind](data, initial=initial, **kwargs)


@requires("plan.change")
def item_new(request, plan_uuid, kind):
    plan = plan_or_404(request, plan_uuid)
    if kind not in KIND_FORMS:
        raise Http404("Unknown part of a plan.")
    parent = None
    parent_kind = services.PARENT_OF.get(kind)
    if parent_kind:
        parent = _item(plan, parent_kind, request.GET.get("parent") or request.POST.get("parent"))
    initial = {"revision": plan.revision}
    if kind == "intervention":
        initial["responsible"] = plan.episode.primary_clinician_id or request.user.pk
    form = _kind_form(kind, plan, request.POST or None, initial)
    return _item_form(request, plan, kind, form, parent=parent)


@requires("plan.change")
def item_edit(request, plan_uuid, kind, item_uuid):
    plan = plan_or_404(request, plan_uuid)
    item = _item(plan, kind, item_uuid)
    if request.method == "POST" and "delete" in request.POST:
        try:
            services.plan_item_delete(
                actor=request.user,
                plan=plan,
                revision=request.POST.get("revision"),
                kind=kind,
                item=item,
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"The {kind} was removed from the draft.")
        return redirect("plans:plan", plan_uuid=plan.uuid)
    initial = {"revision": plan.revision}
    for field in FIELDS[kind]:
        value = getattr(item, field)
        initial[field] = list(value.all()) if hasattr(value, "all") else value
    form = _kind_form(kind, plan, request.POST or None, initial)
    return _item_form(request, plan, kind, form, item=item)


def _item_form(request, plan, kind, form, *, parent=None, item=None):
    if request.method == "POST" and form.is_valid():
        data = {k: form.cleaned_data[k] for k in FIELDS[kind]}
        for m2m in ("diagnoses", "support_persons"):
            if m2m in data:
                data[m2m] = list(data[m2m])
        try:
            services.plan_item_save(
                actor=request.user,
                plan=plan,
                revision=form.cleaned_data["revision"],
                kind=kind,
                item=item,
                parent=parent,
                **data,
            )
        except ApplicationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"The {kind} is saved in the draft.")
            return redirect("plans:plan", plan_uuid=plan.uuid)
    return render(
        request,
        "plans/item_form.html",
        {
            "form": form,
            "plan": plan,
            "patient": plan.episode.patient,
            "kind": kind,
            "item": item,
            "parent": parent,
        },
    )


@require_POST
@requires("plan.view")
def plan_sign_view(request, plan_uuid):
    plan = plan_or_404(request, plan_uuid)
    form = f.SignForm(request.POST)
    if not form.is_valid():
        messages.error(request, "The signature form was incomplete; try again.")
        return redirect("plans:plan", plan_uuid=plan.uuid)
    try:
        plan_sign(actor=request.user, plan=plan, **form.cleaned_data)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        plan.refresh_from_db()
        if plan.current_id and pending_version(plan) is None:
            messages.success(request, f"Signed. Version {plan.current.number} is in effect.")
        else:
            messages.success(request, "Signed. The plan takes effect when every signature is in.")
    return redirect("plans:plan", plan_uuid=plan.uuid)


@require_POST
@requires("plan.change")
def plan_revise(request, plan_uuid):
    plan = plan_or_404(request, plan_uuid)
    form = f.ReviseForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say what changes and why.")
        return redirect("plans:plan", plan_uuid=plan.uuid)
    try:
        version = services.plan_revise(actor=request.user, plan=plan, **form.cleaned_data)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, f"Version {version.number} is a draft: make the changes, then sign."
        )
    return redirect("plans:plan", plan_uuid=plan.uuid)


@requires("plan.view")
def plan_compare(request, plan_uuid):
    plan = plan_or_404(request, plan_uuid)
    versions = versions_of(plan)
    if len(versions) < 2:
        messages.info(request, "There is only one version.")
        return redirect("plans:plan", plan_uuid=plan.uuid)
    by_number = {v.number: v for v in versions}

    def pick(name, default):
        raw = request.GET.get(name, "")
        return by_number.get(int(raw)) if raw.isdigit() and int(raw) in by_number else default

    new = pick("b", versions[0])
    old = pick("a", by_number.get(new.number - 1) or versions[-1])
    rows = plan_diff.compare(old, new)
    counts = plan_diff.counts(rows)
    only_changes = request.GET.get("only") == "changes"
    if only_changes:
        rows = [r for r in rows if r.state != "same"]
    audit_read(
        actor=request.user,
        event="plan.compare",
        obj=plan,
        patient=plan.episode.patient,
        detail={"a": old.number, "b": new.number},
    )
    return render(
        request,
        "plans/compare.html",
        {
            "plan": plan,
            "patient": plan.episode.patient,
            "old": old,
            "new": new,
            "rows": rows,
            "counts": counts,
            "only_changes": only_changes,
            "versions": versions,
        },
    )


@requires("plan.view")
def plan_print(request, plan_uuid):
    plan = plan_or_404(request, plan_uuid)
    versions, version = _version(plan, request)
    content = version_content(version)
    audit_read(
        actor=request.user,
        event="plan.print",
        obj=plan,
        patient=plan.episode.patient,
        detail={"version": version.number},
    )
    return render(
        request,
        "plans/plan_print.html",
        {
            "plan": plan,
            "episode": plan.episode,
            "patient": plan.episode.patient,
            "version": version,
            "content": content,
            "hours": hours_check(interventions_of(content), plan.episode.program)
            if content
            else None,
            "signatures": list(version.signatures.all()),
            "diagnoses": Diagnosis.objects.filter(
                episode=plan.episode, status=DiagnosisStatus.ACTIVE
            ),
        },
    )


@require_POST
@requires("plantemplate.manage")
def plan_save_as_template(request, plan_uuid):
    plan = plan_or_404(request, plan_uuid)
    form = f.TemplateFromPlanForm(request.POST)
    version = plan.current or plan.versions.order_by("-number").first()
    if not form.is_valid():
        messages.error(request, "Name the template and say who it is for.")
        return redirect("plans:plan", plan_uuid=plan.uuid)
    try:
        template = template_create(
            actor=request.user,
            organization=plan.episode.program.organization,
            content=content_of_version(version),
            **form.cleaned_data,
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("plans:plan", plan_uuid=plan.uuid)
    messages.success(request, f"Template “{template.name}” added to the library.")
    return redirect("plans:template", template_uuid=template.uuid)
