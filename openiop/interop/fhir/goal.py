"""Goal <- care.PlanGoal, with its objectives as targets.

The id is the goal's `key`, which stays the same across plan versions, so a
goal keeps its identity when the plan is revised.

Each objective is a target with a `measure` (FHIR's gol-1: a target's detail
needs one). An objective that names an instrument OpenIOP scores ("Lower the
PHQ-9 score ...") is measured by that instrument's total score, LOINC coded as
the score's Observation is, and the objective's words are the `detailString`.
Any other objective is its own measure, in words (`measure.text`), without a
detail.
"""

import functools
import re

from openiop.interop.fhir.common import EXT, day, drop_empty, ref, with_meta
from openiop.interop.fhir.observation import total_score_concept
from openiop.interop.fhir.us_core import GOAL, declared, patient_conforms

PROBLEM_EXT = f"{EXT}/plan-problem"
ACHIEVEMENT = "http://terminology.hl7.org/CodeSystem/goal-achievement"
OBJECTIVE_STATUS_EXT = f"{EXT}/objective-status"


@functools.cache
def _instrument_patterns() -> tuple[tuple[re.Pattern, dict], ...]:
    """The shipped instruments by the short name an objective would use, the
    longest first (AUDIT-C before AUDIT); a hyphen or space may be left out."""
    from openiop.measures.instruments import shipped_definitions

    out = []
    for definition in shipped_definitions().values():
        short = definition.get("short_name") or ""
        if not short:
            continue
        parts = [re.escape(p) for p in re.split(r"[-\s]+", short) if p]
        pattern = re.compile(r"(?<![\w-])" + r"[-\s]?".join(parts) + r"(?![\w-])", re.IGNORECASE)
        out.append((len(short), pattern, total_score_concept(definition)))
    out.sort(key=lambda item: -item[0])
    return tuple((pattern, concept) for _, pattern, concept in out)


def objective_measure(statement: str) -> dict | None:
    """The total score of the instrument an objective names, or None."""
    for pattern, concept in _instrument_patterns():
        if pattern.search(statement or ""):
            return {"coding": [dict(c) for c in concept["coding"]], "text": concept["text"]}
    return None


def _target(objective) -> dict:
    measure = objective_measure(objective.statement)
    target = {
        "extension": [{"url": OBJECTIVE_STATUS_EXT, "valueCode": objective.status}],
        "dueDate": day(objective.target_on),
    }
    if measure is not None:
        target["measure"] = measure
        target["detailString"] = objective.statement
    else:
        target["measure"] = {"text": objective.statement}
    return target


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
        "target": [_target(o) for o in objectives],
        "addresses": [ref("Condition", d.uuid, d.code) for d in problem.diagnoses.all()]
        if conditions_shown
        else None,
    }
    return with_meta(
        drop_empty(resource),
        part2=part2,
        updated=goal.updated_at,
        profiles=declared(GOAL, bool(goal.statement.strip()) and patient_conforms(patient)),
    )
