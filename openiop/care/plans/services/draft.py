"""Replace a draft's whole content in one request (the API's PUT): every item
is validated first, then the draft is rewritten in one transaction."""

import uuid

from django.db import transaction

from openiop.audit.models import Action
from openiop.audit.services import audit_record
from openiop.care.plans.plan_models import (
    PlanGoal,
    PlanIntervention,
    PlanObjective,
    PlanProblem,
    PlanStatus,
    TreatmentPlan,
)
from openiop.care.plans.services.common import bump, require_on, require_open
from openiop.care.plans.services.plan import _clean, _editable_draft, _store_hours, draft_of
from openiop.core.errors import ApplicationError

CHILDREN = {"problem": "goals", "goal": "objectives", "objective": "interventions"}
CHILD_KIND = {"problem": "goal", "goal": "objective", "objective": "intervention"}


def _validated(kind, items, plan, version, path) -> list:
    out = []
    for i, raw in enumerate(items or [], 1):
        where = f"{path}{kind}s[{i}]"
        try:
            clean, m2m = _clean(kind, dict(raw), plan, version)
        except ApplicationError as exc:
            fields = {f"{where}.{k}": v for k, v in exc.fields.items()}
            raise ApplicationError(f"{where}: {exc.message}", fields=fields) from None
        key = raw.get("key")
        if key:
            try:
                key = uuid.UUID(str(key))
            except ValueError:
                raise ApplicationError.for_field(
                    f"{where}.key", f"{where}: key is not a UUID."
                ) from None
        children = []
        if kind in CHILDREN:
            children = _validated(
                CHILD_KIND[kind], raw.get(CHILDREN[kind]), plan, version, f"{where}."
            )
        out.append((clean, m2m, key, children))
    return out


def plan_draft_replace(*, actor, plan, revision, problems: list[dict]):
    """Rewrite the draft version with `problems` (a nested list: problems ->
    goals -> objectives -> interventions). Items may carry the `key` of an
    item of an earlier version, so versions compare item by item."""
    require_on(actor, plan.episode, "plan.change")
    require_open(plan.episode)
    version = draft_of(plan)
    if version is None:
        raise ApplicationError(
            "This plan has no draft; start a new version (POST .../versions) first."
        )
    _editable_draft(plan, version)
    tree = _validated("problem", problems, plan, version, "")
    with transaction.atomic():
        bump(TreatmentPlan, plan, revision, actor, status=PlanStatus.OPEN)
        version.problems.all().delete()
        counts = {"problems": 0, "goals": 0, "objectives": 0, "interventions": 0}
        _write(tree, "problem", version, None, actor, counts)
        _store_hours(version)
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            event="plan.draft.replace",
            obj=plan,
            patient=plan.episode.patient,
            changed_fields=["content"],
            detail={"version": version.number, "revision": plan.revision, **counts},
        )
    return version


MODELS = {
    "problem": (PlanProblem, "version"),
    "goal": (PlanGoal, "problem"),
    "objective": (PlanObjective, "goal"),
    "intervention": (PlanIntervention, "objective"),
}


def _write(tree, kind, version, parent, actor, counts) -> None:
    model, parent_field = MODELS[kind]
    for position, (clean, m2m, key, children) in enumerate(tree):
        extra = {"key": key} if key else {}
        item = model(position=position, created_by=actor, **clean, **extra)
        setattr(item, parent_field, version if kind == "problem" else parent)
        item.save()
        for field, values in m2m.items():
            getattr(item, field).set(values)
        counts[f"{kind}s"] += 1
        if kind in CHILD_KIND:
            _write(children, CHILD_KIND[kind], version, item, actor, counts)
