"""CarePlan <- care.TreatmentPlan: the version in effect (or the draft, before
the first is signed), its problems' diagnoses, goals, and interventions as
activities with their frequency and who delivers them.

US Core CarePlan asks for a narrative (`text`, status "generated") and the
category "assess-plan": the narrative is made from the same goals and
interventions as the structured elements, nothing more (no diagnoses: they
travel only where the consent covers them)."""

import html

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
from openiop.interop.fhir.us_core import CAREPLAN, CAREPLAN_CATEGORY, declared, patient_conforms

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


STATUS_WORDS = {"active": "in effect", "draft": "draft, not yet signed", "completed": "ended"}


def _narrative(title: str, status: str, start, end, goals: list[str], activities: list[str]):
    """XHTML for `CarePlan.text`: escaped text only (FHIR's narrative rules)."""
    e = html.escape
    when = f" from {day(start)}" if start else ""
    when += f" to {day(end)}" if end else ""
    parts = [f"<p>{e(title)} ({e(STATUS_WORDS.get(status, status))}){e(when)}.</p>"]
    if goals:
        parts.append("<p>Goals:</p><ul>" + "".join(f"<li>{e(g)}</li>" for g in goals) + "</ul>")
    if activities:
        parts.append(
            "<p>Interventions:</p><ul>" + "".join(f"<li>{e(a)}</li>" for a in activities) + "</ul>"
        )
    return {
        "status": "generated",
        "div": '<div xmlns="http://www.w3.org/1999/xhtml">' + "".join(parts) + "</div>",
    }


def _activity_line(intervention) -> str:
    title = intervention.get_modality_display()
    what = f"{title}: {intervention.topic}" if intervention.topic else title
    return f"{what}, {intervention.frequency_label}" if intervention.frequency_label else what


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
    goal_lines, activity_lines = [], []
    for problem in problems:
        for d in problem.diagnoses.all() if conditions_shown else ():
            conditions[d.uuid] = ref("Condition", d.uuid, d.code)
        for goal in problem.goals.all():
            goals.append(ref("Goal", goal.key))
            goal_lines.append(goal.statement)
            for objective in goal.objectives.all():
                for intervention in objective.interventions.all():
                    activities.append(_activity(intervention, objective, goal))
                    activity_lines.append(_activity_line(intervention))
    status = plan_status(plan, version)
    title = f"Treatment plan, version {version.number}"
    resource = {
        "resourceType": "CarePlan",
        "id": str(plan.uuid),
        "extension": [
            {"url": EPISODE_EXT, "valueReference": ref("EpisodeOfCare", plan.episode.uuid)},
            {"url": VERSION_EXT, "valueInteger": version.number},
        ],
        "text": _narrative(
            title, status, version.effective_on, plan.ended_on, goal_lines, activity_lines
        ),
        "identifier": [uuid_identifier(plan.uuid)],
        "status": status,
        "intent": "plan",
        "category": [
            {
                "coding": [
                    {
                        "system": CAREPLAN_CATEGORY,
                        "code": "assess-plan",
                        "display": "Assessment and Plan of Treatment",
                    }
                ],
            },
            {"text": "Individualized treatment plan"},
        ],
        "title": title,
        "description": version.change_reason,
        "subject": ref("Patient", patient.uuid),
        "period": period(version.effective_on, plan.ended_on),
        "created": instant(plan.created_at),  # a dateTime: the moment, with its offset
        "addresses": list(conditions.values()),
        "goal": goals,
        "activity": activities,
        "note": [{"text": f"Review due {day(plan.review_due_on)}"}] if plan.review_due_on else None,
    }
    return with_meta(
        drop_empty(resource),
        part2=part2,
        updated=plan.updated_at,
        profiles=declared(CAREPLAN, patient_conforms(patient)),
    )
