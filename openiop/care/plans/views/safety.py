"""The safety plan pages: write and revise it with the patient, sign a version,
print the patient's page."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from openiop.access.scope import can
from openiop.audit.services import audit_read
from openiop.care.plans import forms as f
from openiop.care.plans.safety_models import SECTIONS, SafetyPlan
from openiop.care.plans.services.safety import safety_plan_save, safety_plan_sign
from openiop.care.plans.views.common import episode_or_404
from openiop.core.decorators import requires
from openiop.core.errors import ApplicationError
from openiop.core.forms import apply_errors

NAMES = [name for name, _label, _required in SECTIONS]


def _plan(request, episode) -> SafetyPlan | None:
    return (
        SafetyPlan.objects.visible_to(request.user, "view")
        .filter(episode=episode)
        .select_related("changed_by")
        .first()
    )


def _first_draft(episode) -> dict:
    """What every plan starts from: people who may be told, the program, 988."""
    people = [
        f"{s.name}, {s.get_relationship_display().lower()}, {s.phone}"
        for s in episode.patient.support_persons.filter(involvement_consent=True)
        if s.phone
    ]
    site = episode.program.site
    return {
        "help_contacts": "\n".join(people),
        "professionals": "\n".join(
            [
                f"{episode.program.name}, {site.phone}" if site.phone else episode.program.name,
                "988 Suicide and Crisis Lifeline: call or text 988, any hour",
                "Emergency: 911, or the nearest emergency department",
            ]
        ),
    }


@requires("plan.view")
def safety_plan(request, episode_uuid):
    episode = episode_or_404(request, episode_uuid)
    plan = _plan(request, episode)
    can_change = can(request.user, "plan.change") and episode.is_open
    initial = {n: getattr(plan, n) for n in NAMES} if plan else _first_draft(episode)
    if plan:
        initial["revision"] = plan.revision
    form = f.SafetyPlanForm(request.POST or None, initial=initial)
    if request.method == "POST" and can_change and form.is_valid():
        data = dict(form.cleaned_data)
        revision = data.pop("revision")
        try:
            safety_plan_save(actor=request.user, episode=episode, revision=revision, **data)
        except ApplicationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(
                request, "Safety plan saved as a new version: sign it with the patient."
            )
            return redirect("plans:safety_plan", episode_uuid=episode.uuid)
    elif request.method == "GET":
        audit_read(
            actor=request.user,
            event="safety_plan.read",
            obj=plan or episode,
            patient=episode.patient,
        )
    version = plan.versions.prefetch_related("signatures").first() if plan else None
    return render(
        request,
        "plans/safety_plan.html",
        {
            "form": form,
            "episode": episode,
            "patient": episode.patient,
            "plan": plan,
            "version": version,
            "signatures": list(version.signatures.all()) if version else [],
            "earlier": plan.versions.exclude(pk=version.pk)[:10] if version else [],
            "can_change": can_change,
            "sign_form": f.SafetyPlanSignForm(
                initial={"revision": plan.revision},
                signed={sig.role for sig in version.signatures.all()},
            )
            if plan
            else None,
        },
    )


@require_POST
@requires("plan.view")
def safety_plan_sign_view(request, episode_uuid):
    episode = episode_or_404(request, episode_uuid)
    plan = _plan(request, episode)
    if plan is None:
        raise Http404("There is no safety plan yet.")
    form = f.SafetyPlanSignForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose who signs.")
    else:
        try:
            safety_plan_sign(actor=request.user, plan=plan, **form.cleaned_data)
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "Signed.")
    return redirect("plans:safety_plan", episode_uuid=episode.uuid)


@requires("plan.view")
def safety_plan_print(request, episode_uuid):
    episode = episode_or_404(request, episode_uuid)
    plan = _plan(request, episode)
    if plan is None:
        raise Http404("There is no safety plan yet.")
    audit_read(actor=request.user, event="safety_plan.print", obj=plan, patient=episode.patient)
    version = plan.versions.prefetch_related("signatures").first()
    return render(
        request,
        "plans/safety_plan_print.html",
        {
            "plan": plan,
            "episode": episode,
            "patient": episode.patient,
            "signatures": list(version.signatures.all()),
        },
    )
