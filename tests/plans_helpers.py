"""Helpers for the treatment-plan tests: a signed plan in a few calls."""

import datetime as dt

from django.utils import timezone

from openiop.care.plans.services.assessment import assessment_save, diagnosis_add
from openiop.care.plans.services.plan import plan_item_save, plan_start
from openiop.care.plans.services.signing import plan_sign

TODAY = timezone.localdate()
RATINGS = {"1": 1, "2": 0, "3": 2, "4": 2, "5": 3, "6": 2}


def dims(ratings=None, note="Synthetic note for the test."):
    return {c: {"rating": r, "note": note} for c, r in (ratings or RATINGS).items()}


def assess(actor, episode, ratings=None, **over):
    data = {
        "assessed_on": TODAY,
        "presenting_problems": "“I drink every night and can't stop.” (synthetic)",
        "risk_level": "low",
        "dimensions": dims(ratings),
        **over,
    }
    return assessment_save(actor=actor, episode=episode, **data)


def small_plan(actor, episode, *, diagnosis=True):
    """A draft with one problem -> goal -> objective -> group intervention."""
    if diagnosis:
        diagnosis_add(actor=actor, episode=episode, code="F10.20", is_primary=True)
    plan = plan_start(actor=actor, episode=episode)
    problem = plan_item_save(
        actor=actor,
        plan=plan,
        revision=plan.revision,
        kind="problem",
        statement="Drinking despite harm (synthetic).",
        asam_dimensions=["5"],
    )
    goal = plan_item_save(
        actor=actor,
        plan=plan,
        revision=plan.revision,
        kind="goal",
        parent=problem,
        statement="“I want to stay sober.”",
    )
    objective = plan_item_save(
        actor=actor,
        plan=plan,
        revision=plan.revision,
        kind="objective",
        parent=goal,
        statement="Attend 90% of groups for 4 weeks.",
        target_on=TODAY + dt.timedelta(days=28),
    )
    plan_item_save(
        actor=actor,
        plan=plan,
        revision=plan.revision,
        kind="intervention",
        parent=objective,
        modality="group",
        sessions=3,
        period="week",
        minutes=180,
        responsible=episode.primary_clinician or actor,
    )
    return plan


def sign_all(plan, clinician, *, patient_name=None):
    plan_sign(actor=clinician, plan=plan, revision=plan.revision, role="clinician")
    plan_sign(
        actor=clinician,
        plan=plan,
        revision=plan.revision,
        role="patient",
        method="typed",
        typed_name=patient_name or plan.episode.patient.legal_name,
    )
    plan.refresh_from_db()
    return plan
