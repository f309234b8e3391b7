"""Discharge: the summary and aftercare plan, written with the episode's
discharge (`care.services.episode_discharge`) in one transaction."""

from django.db import transaction
from django.utils import timezone

from openiop.audit.models import Action
from openiop.audit.services import audit_record
from openiop.care.models import DischargeReason
from openiop.care.plans.discharge_models import (
    AftercareItem,
    AftercareKind,
    DischargeSummary,
    GoalOutcome,
    StepDown,
)
from openiop.care.plans.models import Diagnosis, DiagnosisStatus
from openiop.care.plans.plan_models import PlanStatus, TreatmentPlan
from openiop.care.plans.services.common import a_date, require_on, require_open, text
from openiop.core.errors import ApplicationError


def discharge_with_summary(
    *,
    actor,
    episode,
    discharged_on,
    reason: str,
    services_received: str,
    clinical_summary: str,
    goal_progress: list[dict],
    diagnoses: list,
    step_down: str,
    medication_continuity: str = "",
    patient_instructions: str = "",
    aftercare: list[dict] = (),
) -> DischargeSummary:
    """Close the episode with its discharge summary and aftercare plan; end its plan."""
    from openiop.care.services import episode_discharge

    require_on(actor, episode, "episode.discharge")
    require_open(episode)
    a_date(discharged_on, "discharged_on", "Enter the discharge date.")
    if reason not in DischargeReason.values:
        raise ApplicationError.for_field("discharge_reason", "Choose a discharge reason.")
    if step_down not in StepDown.values:
        raise ApplicationError.for_field("step_down", "Choose the step-down level of care.")
    services_received = text(
        data := {"services_received": services_received, "clinical_summary": clinical_summary},
        "services_received",
        required="List the services the patient received.",
    )
    clinical_summary = text(data, "clinical_summary", required="Write the clinical summary.")
    progress = []
    for i, row in enumerate(goal_progress):
        if row.get("outcome") not in GoalOutcome.values:
            raise ApplicationError.for_field(
                f"goal_{i}", f"Record the outcome of the goal “{str(row.get('goal', ''))[:60]}”."
            )
        progress.append(
            {
                "goal": str(row.get("goal", ""))[:2000],
                "outcome": row["outcome"],
                "note": str(row.get("note", "")).strip()[:2000],
            }
        )
    for d in diagnoses:
        if d.episode_id != episode.pk or d.status != DiagnosisStatus.ACTIVE:
            raise ApplicationError.for_field(
                "diagnoses", "Choose active diagnoses of this episode."
            )
    items = []
    for i, row in enumerate(aftercare):
        name = (row.get("name") or "").strip()
        if not name:
            continue
        if row.get("kind") not in AftercareKind.values:
            raise ApplicationError.for_field(f"aftercare_{i}", "Choose the kind of aftercare item.")
        items.append(
            {
                "kind": row["kind"],
                "name": name[:200],
                "when": (row.get("when") or "").strip()[:120],
                "contact": (row.get("contact") or "").strip()[:200],
                "note": (row.get("note") or "").strip()[:300],
            }
        )
    if step_down not in (StepDown.NONE,) and not items:
        raise ApplicationError.for_field(
            "aftercare", "Add at least one referral, appointment or support group for aftercare."
        )
    with transaction.atomic():
        closed = episode_discharge(
            actor=actor, episode=episode, discharged_on=discharged_on, reason=reason
        )
        summary = DischargeSummary.objects.create(
            organization_id=episode.organization_id,
            episode=episode,
            patient_id=episode.patient_id,
            discharged_on=discharged_on,
            reason=reason,
            services_received=services_received,
            goal_progress=progress,
            diagnoses_at_discharge=[
                {
                    "code": d.code,
                    "description": d.description,
                    "category": d.category,
                    "is_primary": d.is_primary,
                }
                for d in sorted(diagnoses, key=lambda d: (not d.is_primary, d.code))
            ],
            clinical_summary=clinical_summary,
            step_down=step_down,
            medication_continuity=(medication_continuity or "").strip()[:3000],
            patient_instructions=(patient_instructions or "").strip()[:3000],
            signed_by=actor,
            signed_at=timezone.now(),
            created_by=actor,
        )
        AftercareItem.objects.bulk_create(
            AftercareItem(summary=summary, created_by=actor, **row) for row in items
        )
        ended = TreatmentPlan.objects.filter(episode=episode, status=PlanStatus.OPEN).update(
            status=PlanStatus.ENDED,
            ended_on=discharged_on,
            end_reason="Discharged",
            review_due_on=None,
            updated_at=timezone.now(),
        )
        Diagnosis.objects.filter(episode=episode, status=DiagnosisStatus.ACTIVE).exclude(
            pk__in=[d.pk for d in diagnoses]
        ).update(status=DiagnosisStatus.RESOLVED, resolved_on=discharged_on)
        audit_record(
            actor=actor,
            action=Action.CREATE,
            event="discharge.summary",
            obj=summary,
            patient=episode.patient,
            changed_fields=[
                "services_received",
                "goal_progress",
                "diagnoses_at_discharge",
                "clinical_summary",
                "step_down",
                "aftercare",
            ],
            detail={"aftercare_items": len(items), "plans_ended": ended},
        )
    summary.released = closed.released
    return summary
