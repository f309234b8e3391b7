"""Plan reviews: progress on each objective, then continue, revise or end."""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from openiop.audit.models import Action
from openiop.audit.services import audit_record
from openiop.billing.services.days import recheck_later
from openiop.care.plans.plan_models import (
    ObjectiveProgress,
    ObjectiveStatus,
    PlanObjective,
    PlanReview,
    PlanStatus,
    ReviewOutcome,
    TreatmentPlan,
)
from openiop.care.plans.services.common import a_date, bump, require_on, require_open
from openiop.core.errors import ApplicationError


def plan_review_record(
    *,
    actor,
    plan,
    revision,
    reviewed_on: dt.date,
    outcome: str,
    summary: str,
    progress: dict,
    patient_participated: bool = True,
    revise_reason: str = "",
) -> PlanReview:
    """Record a review of the version in effect.

    `progress` maps each objective's uuid (as text) to {"status", "note"}; every
    objective of the version must be there. "revise" starts a new draft
    carrying the new statuses; "end" ends the plan.
    """
    episode = plan.episode
    require_on(actor, episode, "plan.review", Action.CREATE)
    require_open(episode)
    if plan.status != PlanStatus.OPEN:
        raise ApplicationError("This plan has ended.")
    version = plan.current
    if version is None:
        raise ApplicationError("The plan has no signed version to review yet.")
    a_date(reviewed_on, "reviewed_on", "Enter the date of the review.")
    if reviewed_on > timezone.localdate():
        raise ApplicationError.for_field("reviewed_on", "The review date cannot be in the future.")
    if version.effective_on and reviewed_on < version.effective_on:
        raise ApplicationError.for_field(
            "reviewed_on", "The review date is before the version under review took effect."
        )
    if outcome not in ReviewOutcome.values:
        raise ApplicationError.for_field("outcome", "Choose: continue, revise or end the plan.")
    summary = (summary or "").strip()[:5000]
    if not summary:
        raise ApplicationError.for_field("summary", "Summarize the patient's progress.")
    if outcome == ReviewOutcome.REVISE and not (revise_reason or "").strip():
        raise ApplicationError.for_field("revise_reason", "Say what the revision will change.")
    objectives = list(PlanObjective.objects.filter(goal__problem__version=version))
    rows = []
    for o in objectives:
        entry = progress.get(str(o.uuid)) or {}
        status = entry.get("status")
        if status not in ObjectiveStatus.values:
            raise ApplicationError.for_field(
                f"objective_{o.uuid}", f"Record progress on “{o.statement[:60]}”."
            )
        rows.append((o, status, (entry.get("note") or "").strip()[:2000]))
    next_due = reviewed_on + dt.timedelta(days=episode.program.plan_review_days)
    with transaction.atomic():
        bump(TreatmentPlan, plan, revision, actor, status=PlanStatus.OPEN)
        review = PlanReview.objects.create(
            plan=plan,
            version=version,
            reviewed_on=reviewed_on,
            reviewer=actor,
            outcome=outcome,
            summary=summary,
            patient_participated=bool(patient_participated),
            next_review_on=None if outcome == ReviewOutcome.END else next_due,
            created_by=actor,
        )
        ObjectiveProgress.objects.bulk_create(
            ObjectiveProgress(
                review=review,
                objective=o,
                objective_key=o.key,
                status=status,
                note=note,
                created_by=actor,
            )
            for o, status, note in rows
        )
        changes = {"review_due_on": review.next_review_on}
        if outcome == ReviewOutcome.END:
            changes.update(
                status=PlanStatus.ENDED, ended_on=reviewed_on, end_reason="Ended at review"
            )
        TreatmentPlan.objects.filter(pk=plan.pk).update(**changes)
        recheck_later([plan.episode_id])
        for k, v in changes.items():
            setattr(plan, k, v)
        audit_record(
            actor=actor,
            action=Action.CREATE,
            event="plan.review",
            obj=plan,
            patient=episode.patient,
            changed_fields=sorted(changes),
            detail={"version": version.number, "outcome": outcome, "objectives": len(rows)},
        )
        if outcome == ReviewOutcome.REVISE:
            from openiop.care.plans.services.plan import plan_revise

            plan_revise(
                actor=actor,
                plan=plan,
                revision=plan.revision,
                reason=f"Review {reviewed_on:%Y-%m-%d}: {revise_reason.strip()}"[:300],
                objective_status={str(o.key): s for o, s, _ in rows},
            )
    return review
