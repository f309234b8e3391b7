"""CarePlan <- care.TreatmentPlan: the version in effect (or the draft, before
the first is signed), its problems' diagnoses, goals, and interventions as
activities with their frequency and who delivers them."""

from openiop.interop.fhir.common import (
    CS,
    EXT,
    day,
    drop_empty,
    instant,
    period,
    ref,
    uuid_identifier,
    with_meta,
)

MODALITY = f"{CS}/modality"
EPISODE_EXT = f"{EXT}/episode-of-care"
VERSION_EXT = f"{EXT}/plan-version"
PERIOD_UNIT = {"week": (1, "wk"), "fortnight": (2, "wk"), "month": (1, "mo")}
ACTIVITY_STATUS = {
    "not_started": "not-started",
    "in_progress": "in-progress",
    "met": "completed",
    "revised": "stopped",
    "discontinued": "cancelled",
}


def plan_status(plan, version) -> str:
    if plan.status == "ended":
        return "completed"
    return "active" if version.status == "signed" else "draft"


def _activity(intervention, objective, goal) -> dict:
    count, unit = PERIOD_UNIT[intervention.period]
    performers = [
        ref(
            "Practitioner",
            intervention.responsible.uuid,
            intervention.responsible.get_display_name(),
        )
    ]
    performers += [ref("RelatedPerson", s.uuid, s.name) for s in intervention.support_persons.all()]
    title = intervention.get_modality_display()
    return {
        "detail": {
            "kind": "ServiceRequest",
            "code": {
                "coding": [{"system": MODALITY, "code": intervention.modality, "display": title}],
                "text": f"{title}: {intervention.topic}" if intervention.topic else title,
            },
            "goal": [ref("Goal", goal.key)],
            "status": ACTIVITY_STATUS.get(objective.status, "not-started"),
            "scheduledTiming": {
                "repeat": {
                    "frequency": intervention.sessions,
                    "period": count,
                    "periodUnit": unit,
                    "duration": intervention.minutes,
                    "durationUnit": "min",
                }
            },
            "performer": performers,
            "description": intervention.description or intervention.frequency_label,
        }
    }


def careplan_resource(
    plan, version, problems, patient, *, part2: bool = False, conditions_shown: bool = True
) -> dict:
    """`problems` are the version's problems with goals, objectives and
    interventions prefetched (care.plans.selectors.version_content)."""
    conditions, goals, activities = {}, [], []
    for problem in problems:
        for d in problem.diagnoses.all() if conditions_shown else ():
            conditions[d.uuid] = ref("Condition", d.uuid, d.code)
        for goal in problem.goals.all():
            goals.append(ref("Goal", goal.key))
            for objective in goal.objectives.all():
                for intervention in objective.interventions.all():
                    activities.append(_activity(intervention, objective, goal))
    resource = {
        "resourceType": "CarePlan",
        "id": str(plan.uuid),
        "extension": [
            {"url": EPISODE_EXT, "valueReference": ref("EpisodeOfCare", plan.episode.uuid)},
            {"url": VERSION_EXT, "valueInteger": version.number},
        ],
        "identifier": [uuid_identifier(plan.uuid)],
        "status": plan_status(plan, version),
        "intent": "plan",
        "category": [{"text": "Individualized treatment plan"}],
        "title": f"Treatment plan, version {version.number}",
        "description": version.change_reason,
        "subject": ref("Patient", patient.uuid),
        "period": period(version.effective_on, plan.ended_on),
        "created": instant(plan.created_at),  # a dateTime: the moment, with its offset
        "addresses": list(conditions.values()),
        "goal": goals,
        "activity": activities,
        "note": [{"text": f"Review due {day(plan.review_due_on)}"}] if plan.review_due_on else None,
    }
    return with_meta(drop_empty(resource), part2=part2, updated=plan.updated_at)
