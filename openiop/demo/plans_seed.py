"""Treatment plans for every episode of a benchmark organization, fast.

Like `openiop seed`, it writes rows with `bulk_create` (not through the
services) and records one audit event for the run. Each episode gets one or
two diagnoses and a plan copied from a library template, signed by its
clinician and the patient; open episodes' reviews fall due over the past and
coming weeks (some overdue), discharged episodes' plans are ended.
"""

import datetime as dt
import random
import time

from django.db import connection, transaction
from django.utils import timezone

from openiop.audit.models import Action
from openiop.audit.services import audit_record
from openiop.care.models import Episode, EpisodeStatus
from openiop.care.plans import icd
from openiop.care.plans.hours import weekly_hours_of
from openiop.care.plans.models import Diagnosis, DiagnosisStatus, PlanTemplate
from openiop.care.plans.plan_models import (
    PlanGoal,
    PlanIntervention,
    PlanObjective,
    PlanProblem,
    PlanSignature,
    PlanStatus,
    PlanVersion,
    SignatureMethod,
    TreatmentPlan,
    VersionStatus,
)
from openiop.care.plans.services.signing import ATTESTATIONS
from openiop.care.plans.services.templates import templates_ensure
from openiop.core import context
from openiop.demo.plans import PRESENTATIONS

BATCH = 2000
ANALYZED = (
    TreatmentPlan,
    PlanVersion,
    PlanProblem,
    PlanGoal,
    PlanObjective,
    PlanIntervention,
    PlanSignature,
    Diagnosis,
)
CHUNK = 1000  # episodes per round of inserts


def organization_has_plans(organization) -> bool:
    return TreatmentPlan.objects.filter(organization=organization).exists()


def seed_plans(organization, *, seed: int = 1, log=None) -> dict[str, int]:
    """Give every episode of the organization a signed plan (if it has none)."""
    started = time.perf_counter()
    rng = random.Random(f"openiop-plans/{seed}")
    today = timezone.localdate()
    templates_ensure(organization)
    templates = {t.key: t for t in PlanTemplate.objects.filter(organization=organization)}
    for t in templates.values():
        t.weekly_hours = round(
            sum(
                weekly_hours_of(i["sessions"], i["period"], i["minutes"])
                for p in t.content["problems"]
                for g in p["goals"]
                for o in g["objectives"]
                for i in o["interventions"]
            ),
            2,
        )
    episodes = list(
        Episode.objects.filter(organization=organization)
        .exclude(plans__isnull=False)
        .select_related("program", "patient")
        .order_by("id")
    )
    counts = dict.fromkeys(
        ["plans", "diagnoses", "problems", "goals", "objectives", "interventions"], 0
    )
    with context.bind(via="cli", purpose="operations"), transaction.atomic():
        for start in range(0, len(episodes), CHUNK):
            _chunk(episodes[start : start + CHUNK], templates, rng, today, counts)
            if log:
                log(f"plans: {min(start + CHUNK, len(episodes)):,} of {len(episodes):,} episodes")
        audit_record(
            actor=None,
            action=Action.EXECUTE,
            event="seed.plans",
            organization_id=organization.pk,
            detail=counts,
            actor_name="openiop bench plans",
        )
    if connection.vendor == "postgresql":  # planner statistics, as autovacuum would make
        with connection.cursor() as cur:
            for model in ANALYZED:
                cur.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
    counts["seconds"] = round(time.perf_counter() - started, 1)
    return counts


def _chunk(episodes, templates, rng, today, counts) -> None:
    now = timezone.now()
    plans, versions, diagnoses, shapes = [], [], [], []
    for ep in episodes:
        key, codes = rng.choice(PRESENTATIONS[ep.program.focus])
        template = templates[key]
        open_ = ep.status == EpisodeStatus.ACTIVE
        effective = min(today, ep.admitted_on + dt.timedelta(days=3))
        due = effective + dt.timedelta(days=ep.program.plan_review_days)
        while open_ and due < today - dt.timedelta(days=rng.choice([0, 0, 0, 10])):
            due += dt.timedelta(days=ep.program.plan_review_days)  # reviewed on time, mostly
        plans.append(
            TreatmentPlan(
                organization_id=ep.organization_id,
                episode=ep,
                patient_id=ep.patient_id,
                status=PlanStatus.OPEN if open_ else PlanStatus.ENDED,
                revision=3,
                changed_by_id=ep.primary_clinician_id,
                changed_at=now,
                review_due_on=due if open_ else None,
                ended_on=None if open_ else ep.discharged_on,
                end_reason="" if open_ else "Discharged",
                created_by_id=ep.primary_clinician_id,
            )
        )
        for n, code in enumerate(codes):
            found = icd.lookup(code)
            diagnoses.append(
                Diagnosis(
                    organization_id=ep.organization_id,
                    patient_id=ep.patient_id,
                    episode=ep,
                    code=found.code,
                    description=found.description,
                    category=found.category,
                    is_primary=n == 0,
                    status=DiagnosisStatus.ACTIVE if open_ else DiagnosisStatus.RESOLVED,
                    diagnosed_on=ep.admitted_on,
                    created_by_id=ep.primary_clinician_id,
                )
            )
        shapes.append((ep, template, effective))
    TreatmentPlan.objects.bulk_create(plans, batch_size=BATCH)
    Diagnosis.objects.bulk_create(diagnoses, batch_size=BATCH)
    for plan, (ep, template, effective) in zip(plans, shapes, strict=True):
        versions.append(
            PlanVersion(
                plan=plan,
                number=1,
                status=VersionStatus.SIGNED,
                effective_on=effective,
                template=template,
                weekly_hours=template.weekly_hours,
                created_by_id=ep.primary_clinician_id,
            )
        )
    PlanVersion.objects.bulk_create(versions, batch_size=BATCH)
    for plan, version in zip(plans, versions, strict=True):
        plan.current = version
    TreatmentPlan.objects.bulk_update(plans, ["current"], batch_size=BATCH)
    _content(versions, shapes, rng, counts)
    signatures = []
    for version, (ep, _t, effective) in zip(versions, shapes, strict=True):
        at = dt.datetime.combine(effective, dt.time(17, 30), tzinfo=dt.UTC)
        signatures += [
            PlanSignature(
                version=version,
                role="clinician",
                method=SignatureMethod.ACCOUNT,
                recorded_by_id=ep.primary_clinician_id,
                signer_name="Clinician (synthetic)",
                attestation=ATTESTATIONS["clinician"],
                signed_at=at,
            ),
            PlanSignature(
                version=version,
                role="patient",
                method=SignatureMethod.TYPED,
                recorded_by_id=ep.primary_clinician_id,
                signer_name=ep.patient.legal_name,
                attestation=ATTESTATIONS["patient"],
                signed_at=at,
            ),
        ]
    PlanSignature.objects.bulk_create(signatures, batch_size=BATCH)
    counts["plans"] += len(plans)
    counts["diagnoses"] += len(diagnoses)


def _content(versions, shapes, rng, counts) -> None:
    """Problems -> goals -> objectives -> interventions of each version, level by level."""
    problems, goals, objectives, interventions = [], [], [], []
    p_rows, g_rows, o_rows = [], [], []
    for version, (ep, template, effective) in zip(versions, shapes, strict=True):
        for p_i, p in enumerate(template.content["problems"]):
            problems.append(
                PlanProblem(
                    version=version,
                    position=p_i,
                    statement=p["statement"],
                    asam_dimensions=p.get("asam_dimensions", []),
                )
            )
            p_rows.append((p, ep, effective))
    PlanProblem.objects.bulk_create(problems, batch_size=BATCH)
    for problem, (p, ep, effective) in zip(problems, p_rows, strict=True):
        for g_i, g in enumerate(p.get("goals", [])):
            goals.append(PlanGoal(problem=problem, position=g_i, statement=g["statement"]))
            g_rows.append((g, ep, effective))
    PlanGoal.objects.bulk_create(goals, batch_size=BATCH)
    for goal, (g, ep, effective) in zip(goals, g_rows, strict=True):
        for o_i, o in enumerate(g.get("objectives", [])):
            objectives.append(
                PlanObjective(
                    goal=goal,
                    position=o_i,
                    statement=o["statement"],
                    target_on=effective + dt.timedelta(days=o["target_days"]),
                    status=rng.choice(["not_started", "in_progress", "in_progress", "met"]),
                )
            )
            o_rows.append((o, ep))
    PlanObjective.objects.bulk_create(objectives, batch_size=BATCH)
    for objective, (o, ep) in zip(objectives, o_rows, strict=True):
        for i_i, i in enumerate(o.get("interventions", [])):
            interventions.append(
                PlanIntervention(
                    objective=objective,
                    position=i_i,
                    modality=i["modality"],
                    topic=i.get("topic", ""),
                    description=i.get("description", ""),
                    sessions=i["sessions"],
                    period=i["period"],
                    minutes=i["minutes"],
                    responsible_id=ep.primary_clinician_id,
                )
            )
    PlanIntervention.objects.bulk_create(interventions, batch_size=BATCH)
    counts["problems"] += len(problems)
    counts["goals"] += len(goals)
    counts["objectives"] += len(objectives)
    counts["interventions"] += len(interventions)
