"""The relapse prevention plan: the patient's own page to keep."""

from django.db import IntegrityError, transaction

from openiop.audit.models import Action
from openiop.audit.services import audit_record
from openiop.care.plans.plan_models import RelapsePreventionPlan
from openiop.care.plans.services.common import bump, require_on, require_open, text
from openiop.core.errors import ApplicationError

FIELDS = {
    "triggers": "List the people, places, feelings or situations that trigger use.",
    "warning_signs": "List the early warning signs that a relapse may be coming.",
    "coping_strategies": "List what the patient will do instead.",
    "people_to_call": "List at least one person to call, with a phone number.",
    "safe_places": None,
    "reasons": None,
}


def relapse_plan_save(*, actor, episode, revision=None, **data) -> RelapsePreventionPlan:
    """Create the episode's relapse prevention plan, or change it from `revision`."""
    existing = RelapsePreventionPlan.objects.filter(episode=episode).first()
    require_on(actor, episode, "plan.change", Action.UPDATE if existing else Action.CREATE)
    require_open(episode)
    clean = {f: text(data, f, required=msg, limit=3000) for f, msg in FIELDS.items()}
    if not any(ch.isdigit() for ch in clean["people_to_call"]):
        raise ApplicationError.for_field(
            "people_to_call", "Give a phone number for the people to call."
        )
    with transaction.atomic():
        if existing is None:
            try:
                with transaction.atomic():
                    rpp = RelapsePreventionPlan.objects.create(
                        organization_id=episode.organization_id,
                        episode=episode,
                        patient_id=episode.patient_id,
                        created_by=actor,
                        changed_by=actor,
                        **clean,
                    )
            except IntegrityError:
                raise ApplicationError(
                    "Someone else wrote this relapse prevention plan at the same time; reload."
                ) from None
            changed, action = list(clean), Action.CREATE
        else:
            bump(RelapsePreventionPlan, existing, revision, actor, what="relapse prevention plan")
            changed = [f for f, v in clean.items() if getattr(existing, f) != v]
            RelapsePreventionPlan.objects.filter(pk=existing.pk).update(**clean)
            for f, v in clean.items():
                setattr(existing, f, v)
            rpp, action = existing, Action.UPDATE
        audit_record(
            actor=actor,
            action=action,
            event="relapse_plan.create" if action == Action.CREATE else "relapse_plan.update",
            obj=rpp,
            patient=episode.patient,
            changed_fields=changed,
        )
    return rpp
