"""The discharge page: summary and aftercare plan with the discharge itself;
the summary, and the patient's own copy, print cleanly."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render

from openiop.audit.services import audit_read
from openiop.care.plans.discharge_models import DischargeSummary
from openiop.care.plans.forms import DischargeSummaryForm
from openiop.care.plans.hours import frequency_label
from openiop.care.plans.models import Diagnosis, DiagnosisStatus
from openiop.care.plans.plan_models import PlanStatus, RelapsePreventionPlan, TreatmentPlan
from openiop.care.plans.selectors import interventions_of, version_content
from openiop.care.plans.services.discharge import discharge_with_summary
from openiop.care.plans.views.common import episode_or_404
from openiop.core.decorators import requires
from openiop.core.errors import ApplicationError
from openiop.core.forms import apply_errors


def _services_text(content) -> str:
    seen, lines = set(), []
    for iv in interventions_of(content):
        label = iv.get_modality_display() + (f" ({iv.topic})" if iv.topic else "")
        if label not in seen:
            seen.add(label)
            lines.append(f"{label}: {frequency_label(iv)}")
    return "\n".join(lines)


@requires("episode.discharge")
def discharge(request, episode_uuid):
    episode = episode_or_404(request, episode_uuid)
    if not episode.is_open:
        summary = DischargeSummary.objects.filter(episode=episode).first()
        if summary:
            return redirect("plans:discharge_summary", summary_uuid=summary.uuid)
        messages.error(request, "This episode is already closed.")
        return redirect("patients:chart", patient_uuid=episode.patient.uuid)
    plan = (
        TreatmentPlan.objects.filter(episode=episode, status=PlanStatus.OPEN)
        .select_related("current")
        .first()
    )
    content = version_content(plan.current) if plan and plan.current_id else []
    goals = [g for p in content for g in p.goals.all()]
    diagnoses = Diagnosis.objects.filter(episode=episode, status=DiagnosisStatus.ACTIVE)
    initial = {
        "services_received": _services_text(content),
        "diagnoses": list(diagnoses),
    }
    form = DischargeSummaryForm(
        request.POST or None, diagnoses=diagnoses, goals=goals, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        try:
            summary = discharge_with_summary(
                actor=request.user, episode=episode, **form.service_data()
            )
        except ApplicationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(
                request, f"Discharged, with the summary and aftercare plan. {summary.released}"
            )
            return redirect("plans:discharge_summary", summary_uuid=summary.uuid)
    elif request.method == "GET":
        audit_read(actor=request.user, event="discharge.form", obj=episode, patient=episode.patient)
    return render(
        request,
        "plans/discharge_form.html",
        {"form": form, "episode": episode, "patient": episode.patient, "plan": plan},
    )


def _summary_or_404(request, summary_uuid) -> DischargeSummary:
    s = (
        DischargeSummary.objects.visible_to(request.user, "view")
        .select_related("episode__program__site", "patient", "signed_by")
        .prefetch_related("aftercare_items")
        .filter(uuid=summary_uuid)
        .first()
    )
    if s is None:
        raise Http404("No such discharge summary, or not one you may see.")
    return s


@requires("plan.view")
def discharge_summary(request, summary_uuid):
    s = _summary_or_404(request, summary_uuid)
    audit_read(actor=request.user, event="discharge.read", obj=s, patient=s.patient)
    from openiop.care.models import DischargeReason
    from openiop.care.plans.discharge_models import GoalOutcome

    outcomes = dict(GoalOutcome.choices)
    return render(
        request,
        "plans/discharge_summary.html",
        {
            "s": s,
            "episode": s.episode,
            "patient": s.patient,
            "reason": dict(DischargeReason.choices).get(s.reason, s.reason),
            "goals": [
                {**g, "outcome_label": outcomes.get(g["outcome"], "")} for g in s.goal_progress
            ],
            "items": list(s.aftercare_items.all()),
        },
    )


@requires("plan.view")
def discharge_patient_copy(request, summary_uuid):
    s = _summary_or_404(request, summary_uuid)
    audit_read(actor=request.user, event="discharge.patient_copy", obj=s, patient=s.patient)
    items = list(s.aftercare_items.all())
    rpp = RelapsePreventionPlan.objects.filter(episode=s.episode).first()
    return render(
        request,
        "plans/discharge_patient_copy.html",
        {
            "s": s,
            "patient": s.patient,
            "episode": s.episode,
            "appointments": [i for i in items if i.kind == "appointment"],
            "referrals": [i for i in items if i.kind == "referral"],
            "groups": [i for i in items if i.kind == "support_group"],
            "medications": [i for i in items if i.kind == "medication"],
            "rpp": rpp,
            "coping": [x for x in (rpp.coping_strategies.splitlines() if rpp else []) if x.strip()],
            "people": [x for x in (rpp.people_to_call.splitlines() if rpp else []) if x.strip()],
        },
    )
