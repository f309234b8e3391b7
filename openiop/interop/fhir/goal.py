"""Goal <- care.PlanGoal, with its objectives as targets.

The id is the goal's `key`, which stays the same across plan versions, so a
goal keeps its identity when the plan is revised.
"""

from openiop.interop.fhir.common import EXT, day, drop_empty, ref, with_meta

PROBLEM_EXT = f"{EXT}/plan-problem"
ACHIEVEMENT = "http://terminology.hl7.org/CodeSystem/goal-achievement"
OBJECTIVE_STATUS_EXT = f"{EXT}/objective-status"


def _achievement(objectives) -> tuple[str, str] | None:
    statuses = [o.status for o in objectives if o.status not in ("revised", "discontinued")]
    if not statuses:
        return None
    if all(s == "met" for s in statuses):
        return "achieved", "Achieved"
    if any(s in ("met", "in_progress") for s in statuses):
        return "in-progress", "In Progress"
    return None


def goal_resource(
    goal, problem, patient, *, plan_active: bool, part2: bool = False, conditions_shown: bool = True
) -> dict:
    objectives = list(goal.objectives.all())
    achievement = _achievement(objectives)
    if achievement and achievement[0] == "achieved":
        lifecycle = "completed"
    else:
        lifecycle = "active" if plan_active else "proposed"
    resource = {
        "resourceType": "Goal",
        "id": str(goal.key),
        "extension": [{"url": PROBLEM_EXT, "valueString": problem.statement}],
        "lifecycleStatus": lifecycle,
        "achievementStatus": {
            "coding": [{"system": ACHIEVEMENT, "code": achievement[0], "display": achievement[1]}]
        }
        if achievement
        else None,
        "description": {"text": goal.statement},
        "subject": ref("Patient", patient.uuid),
        "target": [
            {
                "extension": [{"url": OBJECTIVE_STATUS_EXT, "valueCode": o.status}],
                "detailString": o.statement,
                "dueDate": day(o.target_on),
            }
            for o in objectives
        ],
        "addresses": [ref("Condition", d.uuid, d.code) for d in problem.diagnoses.all()]
        if conditions_shown
        else None,
    }
    return with_meta(drop_empty(resource), part2=part2, updated=goal.updated_at)
