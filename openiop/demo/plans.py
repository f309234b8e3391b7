"""Demo history of the clinical record: most episodes get an intake
assessment, diagnoses, a plan from the library signed by clinician and
patient, a relapse prevention plan; older ones a review; discharged ones a
discharge summary with an aftercare plan. All synthetic.

Open episodes go through the services staff use (so the audit trail is
real), then their dates are moved back to the admission so that reviews fall
due on realistic days. Discharged episodes are closed already, and the
services refuse to write to a closed episode, so their history is written
directly, with one audit event for the lot.
"""

import datetime as dt

from django.utils import timezone

from openiop.accounts.models import Membership
from openiop.audit.models import Action
from openiop.audit.services import audit_record
from openiop.care.models import EpisodeStatus
from openiop.care.plans import asam, icd
from openiop.care.plans.discharge_models import AftercareItem, DischargeSummary
from openiop.care.plans.models import (
    Assessment,
    AssessmentStatus,
    Diagnosis,
    DiagnosisStatus,
    PlanSettings,
    PlanTemplate,
)
from openiop.care.plans.plan_models import (
    PlanObjective,
    PlanSignature,
    PlanStatus,
    PlanVersion,
    SignatureMethod,
    TreatmentPlan,
    VersionStatus,
)
from openiop.care.plans.services.assessment import (
    assessment_complete,
    assessment_save,
    diagnosis_add,
)
from openiop.care.plans.services.plan import _fill_from_template, plan_start
from openiop.care.plans.services.relapse import relapse_plan_save
from openiop.care.plans.services.review import plan_review_record
from openiop.care.plans.services.signing import ATTESTATIONS, needs_supervisor, plan_sign
from openiop.care.plans.services.templates import templates_ensure

# program focus -> [(template key, diagnoses)]
PRESENTATIONS = {
    "substance_use": [
        ("alcohol-use-disorder", ["F10.20"]),
        ("opioid-use-disorder-moud", ["F11.20"]),
        ("depression-with-alcohol-use", ["F10.20", "F33.1"]),
    ],
    "mental_health": [
        ("depression-with-alcohol-use", ["F33.1", "F10.10"]),
        ("anxiety", ["F41.1"]),
        ("trauma", ["F43.10", "F10.10"]),
    ],
    "co_occurring": [("adolescent-cannabis-use", ["F12.20", "F90.2"])],
}
PROBLEMS = [
    "“I can't get through an evening without using.” (synthetic)",
    "“My family stopped trusting me and I feel alone.” (synthetic)",
    "“I keep telling myself I'll stop on Monday.” (synthetic)",
]
TRIGGERS = "Payday\nDriving past the old bar\nArguments at home\nFeeling bored on weekends"
WARNING = "Skipping groups\nNot answering my sponsor\nSleeping badly\nThinking 'just one'"
COPING = "\n".join(
    [
        "Call my sponsor before deciding",
        "Leave the situation and walk 20 minutes",
        "Use the urge-surfing exercise",
        "Go to an evening meeting",
    ]
)
AFTERCARE = [
    (
        "appointment",
        "Outpatient counseling, Example Community Clinic (synthetic)",
        "in 7 days, 10:00",
    ),
    ("support_group", "SMART Recovery, Tuesday evenings (synthetic listing)", "weekly"),
    ("referral", "Peer recovery coach, Example Recovery Hub (synthetic)", ""),
]


def build_plans(*, org, rng, today=None) -> dict:
    """Add the clinical record to the demo organization's episodes."""
    today = today or timezone.localdate()
    templates_ensure(org)
    templates = {t.key: t for t in PlanTemplate.objects.filter(organization=org)}
    mh = org.programs.filter(focus="mental_health").first()
    if mh is not None:
        PlanSettings.objects.update_or_create(
            program=mh, defaults={"requires_supervisor_signature": True}
        )
    counts = {"plans": 0, "reviews": 0, "discharge_summaries": 0}
    episodes = org.episodes.select_related(
        "patient", "program__site", "program__organization", "primary_clinician"
    ).order_by("id")
    for i, ep in enumerate(episodes):
        if i % 10 == 9 and ep.is_open:  # one in ten open episodes: no plan yet
            continue
        key, codes = rng.choice(PRESENTATIONS[ep.program.focus])
        if ep.status == EpisodeStatus.ACTIVE:
            counts["reviews"] += _open_history(ep, templates[key], codes, rng, today)
            counts["plans"] += 1
        elif ep.status == EpisodeStatus.DISCHARGED:
            _closed_history(ep, templates[key], codes, rng)
            counts["plans"] += 1
            counts["discharge_summaries"] += 1
    audit_record(
        actor=None,
        action=Action.EXECUTE,
        event="demo.plans",
        organization_id=org.pk,
        detail=counts,
        actor_name="openiop demo",
    )
    return counts


def _ratings(rng, focus):
    base = {"1": rng.choice([0, 1, 1]), "2": rng.choice([0, 0, 1]), "3": rng.choice([1, 2, 2])}
    base |= {"4": rng.choice([1, 2]), "5": rng.choice([2, 2, 3]), "6": rng.choice([1, 2, 2])}
    if focus == "mental_health":
        base["3"] = rng.choice([2, 2, 3])
    return base


def _dims(ratings):
    notes = {
        3: "Significant: see history (synthetic).",
        2: "Moderate (synthetic).",
    }
    return {c: {"rating": r, "note": notes.get(r, "")} for c, r in ratings.items()}


def _open_history(ep, template, codes, rng, today) -> int:
    clinician = ep.primary_clinician
    assessed = ep.admitted_on
    a = assessment_save(
        actor=clinician,
        episode=ep,
        assessed_on=assessed,
        presenting_problems=rng.choice(PROBLEMS),
        strengths="Works part-time; close to a sibling; wants to stay in school (synthetic).",
        substance_use_history="Daily use for about three years (synthetic history).",
        mental_health_history="Low mood in winter; no hospitalizations (synthetic).",
        risk_level=rng.choice(["none", "low", "low"]),
        living_situation="Lives with a partner in an apartment (synthetic).",
        supports="One supportive family member (synthetic).",
        dimensions=_dims(_ratings(rng, ep.program.focus)),
    )
    level = a.recommended_level
    reason = ""
    if level != ep.program.level_of_care and rng.random() < 0.8:
        level, reason = (
            ep.program.level_of_care,
            "Patient prefers to keep working; evening track fits (synthetic).",
        )
    elif level != ep.program.level_of_care:
        reason = ""
    assessment_complete(actor=clinician, assessment=a, chosen_level=level, override_reason=reason)
    for n, code in enumerate(codes):
        diagnosis_add(
            actor=clinician, episode=ep, code=code, is_primary=n == 0, diagnosed_on=assessed
        )
    plan = plan_start(actor=clinician, episode=ep, template=template)
    signer = clinician
    if needs_supervisor(ep.program):  # the supervisor must be someone else
        other = (
            Membership.objects.filter(program=ep.program, role="clinician", is_active=True)
            .exclude(user=clinician)
            .select_related("user")
            .first()
        )
        signer = other.user if other and _is_director(clinician, ep.program) else clinician
    plan_sign(actor=signer, plan=plan, revision=plan.revision, role="clinician")
    patient = ep.patient
    if rng.random() < 0.5:
        plan_sign(
            actor=clinician,
            plan=plan,
            revision=plan.revision,
            role="patient",
            method="typed",
            typed_name=patient.legal_name,
        )
    else:
        plan_sign(
            actor=clinician,
            plan=plan,
            revision=plan.revision,
            role="patient",
            method="drawn",
            drawing=_scribble(rng),
        )
    if needs_supervisor(ep.program):
        sup = (
            Membership.objects.filter(program=ep.program, role="program_director", is_active=True)
            .exclude(user=signer)
            .select_related("user")
            .first()
        )
        if sup:
            plan_sign(actor=sup.user, plan=plan, revision=plan.revision, role="supervisor")
    plan.refresh_from_db()
    if plan.current_id is None:
        return 0
    # move the history back to the admission
    effective = min(today, ep.admitted_on + dt.timedelta(days=3))
    days = ep.program.plan_review_days
    PlanVersion.objects.filter(pk=plan.current_id).update(effective_on=effective)
    signed_at = dt.datetime.combine(effective, dt.time(17, 30), tzinfo=dt.UTC)
    PlanSignature.objects.filter(version_id=plan.current_id).update(signed_at=signed_at)
    Assessment.objects.filter(pk=a.pk).update(completed_at=signed_at - dt.timedelta(days=3))
    TreatmentPlan.objects.filter(pk=plan.pk).update(
        review_due_on=effective + dt.timedelta(days=days)
    )
    PlanObjective.objects.filter(goal__problem__version_id=plan.current_id).update(
        target_on=effective + dt.timedelta(days=rng.choice([21, 28, 42]))
    )
    if ep.patient.pk % 3 != 0:
        relapse_plan_save(
            actor=clinician,
            episode=ep,
            triggers=TRIGGERS,
            warning_signs=WARNING,
            coping_strategies=COPING,
            people_to_call="\n".join(
                [
                    f"{s.name}, {s.get_relationship_display().lower()}, {s.phone}"
                    for s in patient.support_persons.all()
                    if s.phone
                ]
                + ["988 Suicide & Crisis Lifeline, call or text 988"]
            ),
            safe_places="The library on Example Street (synthetic)\nMy sister's kitchen",
            reasons="Being there for my kids (synthetic).",
        )
    review_on = effective + dt.timedelta(days=days)
    if review_on <= today and rng.random() < 0.5:  # the others are overdue
        plan.refresh_from_db()
        objectives = PlanObjective.objects.filter(goal__problem__version_id=plan.current_id)
        plan_review_record(
            actor=clinician,
            plan=plan,
            revision=plan.revision,
            reviewed_on=review_on,
            outcome="continue",
            summary="Attending groups; cravings less frequent (synthetic).",
            progress={
                str(o.uuid): {
                    "status": rng.choice(["in_progress", "met", "in_progress"]),
                    "note": "",
                }
                for o in objectives
            },
        )
        return 1
    return 0


def _is_director(user, program) -> bool:
    return Membership.objects.filter(user=user, program=program, role="program_director").exists()


def _scribble(rng) -> str:
    x, y = 30, 120
    parts = [f"M{x} {y}"]
    for _ in range(24):
        x += rng.randint(8, 20)
        y = max(30, min(160, y + rng.randint(-45, 45)))
        parts.append(f"L{x} {y}")
    return " ".join(parts)


def _closed_history(ep, template, codes, rng) -> None:
    clinician = ep.primary_clinician
    start = ep.admitted_on
    ratings = _ratings(rng, ep.program.focus)
    rec = asam.recommend(ratings)
    Assessment.objects.create(
        organization_id=ep.organization_id,
        episode=ep,
        patient_id=ep.patient_id,
        assessed_on=start,
        presenting_problems=rng.choice(PROBLEMS),
        risk_level="low",
        dimensions=_dims(ratings),
        status=AssessmentStatus.COMPLETED,
        recommended_level=rec.level,
        recommendation_reason=rec.reason,
        rules_source=f"OpenIOP default rules, rule {rec.rule_number}",
        chosen_level=ep.program.level_of_care,
        override_reason="" if rec.level == ep.program.level_of_care else "Program fit (synthetic).",
        completed_by=clinician,
        completed_at=timezone.now(),
        created_by=clinician,
    )
    diagnoses = []
    for n, code in enumerate(codes):
        found = icd.lookup(code)
        diagnoses.append(
            Diagnosis.objects.create(
                organization_id=ep.organization_id,
                patient_id=ep.patient_id,
                episode=ep,
                code=found.code,
                description=found.description,
                category=found.category,
                is_primary=n == 0,
                status=DiagnosisStatus.RESOLVED,
                diagnosed_on=start,
                resolved_on=ep.discharged_on,
                created_by=clinician,
            )
        )
    plan = TreatmentPlan.objects.create(
        organization_id=ep.organization_id,
        episode=ep,
        patient_id=ep.patient_id,
        status=PlanStatus.ENDED,
        ended_on=ep.discharged_on,
        end_reason="Discharged",
        created_by=clinician,
        changed_by=clinician,
        changed_at=timezone.now(),
    )
    version = PlanVersion.objects.create(
        plan=plan,
        number=1,
        status=VersionStatus.SIGNED,
        effective_on=start,
        template=template,
        created_by=clinician,
    )
    _fill_from_template(version, template, ep, clinician)
    TreatmentPlan.objects.filter(pk=plan.pk).update(current=version)
    now = timezone.now()
    PlanSignature.objects.bulk_create(
        [
            PlanSignature(
                version=version,
                role="clinician",
                method=SignatureMethod.ACCOUNT,
                recorded_by=clinician,
                signer_name=clinician.get_display_name(),
                attestation=ATTESTATIONS["clinician"],
                signed_at=now,
                created_by=clinician,
            ),
            PlanSignature(
                version=version,
                role="patient",
                method=SignatureMethod.TYPED,
                recorded_by=clinician,
                signer_name=ep.patient.legal_name,
                attestation=ATTESTATIONS["patient"],
                signed_at=now,
                created_by=clinician,
            ),
        ]
    )
    goals = [g.statement for p in version.problems.all() for g in p.goals.all()]
    completed = ep.discharge_reason == "completed"
    summary = DischargeSummary.objects.create(
        organization_id=ep.organization_id,
        episode=ep,
        patient_id=ep.patient_id,
        discharged_on=ep.discharged_on,
        reason=ep.discharge_reason,
        services_received="\n".join(
            [
                "Group therapy, 3 a week",
                "Individual therapy, weekly",
                "Relapse prevention workshops",
                "Drug testing, weekly",
            ]
        ),
        goal_progress=[
            {
                "goal": g,
                "outcome": rng.choice(["achieved", "partial"]) if completed else "not_achieved",
                "note": "",
            }
            for g in goals
        ],
        diagnoses_at_discharge=[
            {
                "code": d.code,
                "description": d.description,
                "category": d.category,
                "is_primary": d.is_primary,
            }
            for d in diagnoses
        ],
        clinical_summary="Engaged in groups; negative tests in the last four weeks (synthetic)."
        if completed
        else "Left before completing the program (synthetic).",
        step_down="outpatient" if completed else "none",
        medication_continuity="Primary care continues prescriptions; 30-day supply (synthetic).",
        patient_instructions="Keep your Tuesday group. Call us if you want to come back.",
        signed_by=clinician,
        signed_at=now,
        created_by=clinician,
    )
    if completed:
        AftercareItem.objects.bulk_create(
            AftercareItem(summary=summary, kind=k, name=n, when=w, created_by=clinician)
            for k, n, w in AFTERCARE
        )
