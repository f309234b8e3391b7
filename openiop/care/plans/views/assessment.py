"""Intake assessment and diagnoses pages."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from openiop.access.scope import can
from openiop.audit.services import audit_read
from openiop.care.plans import asam, icd
from openiop.care.plans.forms import AssessmentForm, CompleteAssessmentForm, DiagnosisForm
from openiop.care.plans.models import Assessment, Diagnosis, DiagnosisStatus
from openiop.care.plans.services import assessment as services
from openiop.care.plans.views.common import episode_or_404
from openiop.core.decorators import requires
from openiop.core.errors import ApplicationError
from openiop.core.forms import apply_errors


@requires("assessment.change")
def assessment_new(request, episode_uuid):
    episode = episode_or_404(request, episode_uuid)
    return _assessment_form(request, episode, None)


@requires("assessment.change")
def assessment_edit(request, assessment_uuid):
    assessment = _assessment_or_404(request, assessment_uuid)
    return _assessment_form(request, assessment.episode, assessment)


def _assessment_form(request, episode, assessment):
    initial = AssessmentForm.initial_from(assessment) if assessment else None
    form = AssessmentForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.assessment_save(
                actor=request.user, episode=episode, assessment=assessment, **form.service_data()
            )
        except ApplicationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "Assessment saved. Review the level-of-care recommendation.")
            return redirect("plans:assessment", assessment_uuid=saved.uuid)
    elif assessment is not None:
        audit_read(
            actor=request.user,
            event="assessment.edit_form",
            obj=assessment,
            patient=episode.patient,
        )
    return render(
        request,
        "plans/assessment_form.html",
        {"form": form, "episode": episode, "patient": episode.patient, "assessment": assessment},
    )


def _assessment_or_404(request, assessment_uuid) -> Assessment:
    a = (
        Assessment.objects.visible_to(request.user, "view")
        .select_related("episode__patient", "episode__program__site", "completed_by", "created_by")
        .filter(uuid=assessment_uuid)
        .first()
    )
    if a is None:
        raise Http404("No such assessment, or not one you may see.")
    return a


@requires("assessment.view")
def assessment_detail(request, assessment_uuid):
    a = _assessment_or_404(request, assessment_uuid)
    episode = a.episode
    form = CompleteAssessmentForm(
        request.POST or None, initial={"chosen_level": a.recommended_level}
    )
    if request.method == "POST":
        if form.is_valid():
            try:
                services.assessment_complete(actor=request.user, assessment=a, **form.cleaned_data)
            except ApplicationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, "Assessment completed.")
                return redirect("plans:assessment", assessment_uuid=a.uuid)
    else:
        audit_read(actor=request.user, event="assessment.read", obj=a, patient=episode.patient)
    rules, source = services.rules_for(episode.program)
    dims = [
        {
            "code": code,
            "name": name,
            "rating": (a.dimensions.get(code) or {}).get("rating", 0),
            "note": (a.dimensions.get(code) or {}).get("note", ""),
        }
        for code, name, _ in asam.DIMENSIONS
    ]
    for i, d in enumerate(dims):  # geometry of the ratings chart (server-rendered SVG)
        d["short"] = asam.DIMENSION_SHORT[d["code"]]
        d["y"] = 6 + i * 32
        d["w"] = 6 + d["rating"] * 60  # bars start at x=196, grid at 202 + 60n
    return render(
        request,
        "plans/assessment_detail.html",
        {
            "a": a,
            "episode": episode,
            "patient": episode.patient,
            "dims": dims,
            "grid": [{"x": 202 + n * 60, "n": n} for n in range(5)],
            "form": form,
            "rules": [
                {
                    "n": i,
                    "level": asam.LEVELS[r["level"]],
                    "reason": r.get("reason", ""),
                    "conditions": [asam.describe_condition(c) for c in r["any"]],
                }
                for i, r in enumerate(rules, 1)
            ],
            "rules_label": source,
            "levels": asam.LEVELS,
            "can_complete": a.status == "draft" and can(request.user, "assessment.change"),
            "risk_alert": _risk_alert(request.user, a),
            "d3": next(d["rating"] for d in dims if d["code"] == "3"),
        },
    )


def _risk_alert(user, assessment):
    """The safety alert a "high" risk screening raised, if the user may see it."""
    from openiop.measures.models import AlertKind, SafetyAlert

    if assessment.risk_level != "high":
        return None
    return (
        SafetyAlert.objects.visible_to(user, "view")
        .filter(assessment=assessment, kind=AlertKind.INTAKE_HIGH_RISK)
        .prefetch_related("routing__user")
        .first()
    )


@requires("diagnosis.view")
def diagnoses(request, episode_uuid):
    episode = episode_or_404(request, episode_uuid)
    form = DiagnosisForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            d = services.diagnosis_add(actor=request.user, episode=episode, **form.cleaned_data)
        except ApplicationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"{d.code} {d.description} added.")
            return redirect("plans:diagnoses", episode_uuid=episode.uuid)
    rows = list(
        Diagnosis.objects.visible_to(request.user, "view")
        .filter(episode=episode)
        .order_by("status", "-is_primary", "code")
    )
    if request.method == "GET":
        audit_read(actor=request.user, event="diagnosis.list", obj=episode, patient=episode.patient)
    active = [d for d in rows if d.status == DiagnosisStatus.ACTIVE]
    cats = {d.category for d in active}
    return render(
        request,
        "plans/diagnoses.html",
        {
            "episode": episode,
            "patient": episode.patient,
            "rows": rows,
            "form": form,
            "co_occurring": {"substance_use", "mental_health"} <= cats,
            "can_change": can(request.user, "plan.change") and episode.is_open,
            "show_notes": can(request.user, "plan.view"),
        },
    )


@require_POST
@requires("plan.change")
def diagnosis_status(request, diagnosis_uuid):
    d = (
        Diagnosis.objects.visible_to(request.user, "view")
        .select_related("episode__patient")
        .filter(uuid=diagnosis_uuid)
        .first()
    )
    if d is None:
        raise Http404("No such diagnosis, or not one you may see.")
    try:
        services.diagnosis_set_status(
            actor=request.user, diagnosis=d, status=request.POST.get("status", "")
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{d.code} marked {d.get_status_display().lower()}.")
    return redirect("plans:diagnoses", episode_uuid=d.episode.uuid)


@requires("diagnosis.view")
def icd_search(request):
    """Matches for the diagnosis form (an htmx partial); the code set is not patient data."""
    query = request.GET.get("code") or request.GET.get("q") or ""
    return render(
        request,
        "plans/_icd_results.html",
        {"results": icd.search(query, limit=15), "q": query, "labels": icd.CATEGORY_LABELS},
    )
