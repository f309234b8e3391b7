"""A patient's record as FHIR resources (pure: the selectors loaded everything)."""

from openiop.interop.fhir.careplan import careplan_resource
from openiop.interop.fhir.common import is_part2_program
from openiop.interop.fhir.condition import condition_resource, diagnosis_is_part2
from openiop.interop.fhir.consent import consent_resource
from openiop.interop.fhir.episode_of_care import episode_resource
from openiop.interop.fhir.goal import goal_resource
from openiop.interop.fhir.healthcare_service import (
    program_service_resource,
    track_service_resource,
)
from openiop.interop.fhir.location import location_resource
from openiop.interop.fhir.organization import organization_resource
from openiop.interop.fhir.patient import patient_resource
from openiop.interop.fhir.practitioner import practitioner_resource
from openiop.interop.fhir.related_person import related_person_resource

# the order resources appear in a Bundle and in the bulk export
TYPES = (
    "Patient",
    "RelatedPerson",
    "EpisodeOfCare",
    "Condition",
    "CarePlan",
    "Goal",
    "QuestionnaireResponse",
    "Observation",
    "Appointment",
    "Encounter",
    "Consent",
)
DIRECTORY_TYPES = ("Organization", "Location", "HealthcareService", "Practitioner")
# which kind of information each patient resource type is (the consent's categories)
CATEGORY_OF = {
    "Patient": "demographics",
    "RelatedPerson": "demographics",
    "EpisodeOfCare": "demographics",
    "Condition": "diagnoses",
    "CarePlan": "plan",
    "Goal": "plan",
    "QuestionnaireResponse": "scores",
    "Observation": "scores",
    "Appointment": "attendance",
    "Encounter": "attendance",
}


def patient_resources(record, *, today) -> dict[str, list[dict]]:
    """Resource type -> resources of one patient's record, within `record.scope`."""
    p = record.patient
    scope = record.scope
    part2 = record.part2
    out: dict[str, list[dict]] = {t: [] for t in TYPES}
    out["Patient"].append(patient_resource(p, part2=part2))
    out["RelatedPerson"] = [
        related_person_resource(s, p, part2=part2) for s in record.support_persons
    ]
    out["EpisodeOfCare"] = [
        episode_resource(ep, p, part2=is_part2_program(ep.program)) for ep in record.episodes
    ]
    if scope.has("diagnoses"):
        for d in record.diagnoses:
            ep = record.episode(d.episode_id)
            out["Condition"].append(
                condition_resource(
                    d,
                    p,
                    ep,
                    part2=diagnosis_is_part2(d, ep.program),
                    note=scope.has("plan"),
                )
            )
    if scope.has("plan"):
        shown = scope.has("diagnoses")  # no reference to a Condition that is not there
        for plan, version, problems in record.plans:
            label = is_part2_program(plan.episode.program)
            out["CarePlan"].append(
                careplan_resource(plan, version, problems, p, part2=label, conditions_shown=shown)
            )
            for problem in problems:
                for goal in problem.goals.all():
                    out["Goal"].append(
                        goal_resource(
                            goal,
                            problem,
                            p,
                            plan_active=plan.status == "open" and version.status == "signed",
                            part2=label,
                            conditions_shown=shown,
                        )
                    )
    for rtype, resources in record.extra.items():
        out.setdefault(rtype, []).extend(resources)
    if scope.consents:
        out["Consent"] = [
            consent_resource(c, p, c.organization, today=today) for c in record.consents
        ]
    return out


def directory_resources(organization, sites=(), programs=(), tracks=(), practitioners=()):
    """Organization, Location, HealthcareService and Practitioner resources."""
    tracks_by_program: dict[int, list] = {}
    for t in tracks:
        tracks_by_program.setdefault(t.program_id, []).append(t)
    out = {t: [] for t in DIRECTORY_TYPES}
    out["Organization"].append(organization_resource(organization))
    out["Location"] = [location_resource(s, organization) for s in sites]
    for program in programs:
        out["HealthcareService"].append(
            program_service_resource(program, organization, tracks_by_program.get(program.pk, []))
        )
        for t in tracks_by_program.get(program.pk, []):
            out["HealthcareService"].append(track_service_resource(t, program, organization))
    out["Practitioner"] = [practitioner_resource(u, creds) for u, creds in practitioners]
    return out
