"""Carry out an import plan: all of it in one transaction, or nothing."""

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from openiop.access.scope import can
from openiop.access.services import require
from openiop.audit.models import Action
from openiop.audit.services import audit_record
from openiop.care.models import Episode, EpisodeStatus
from openiop.core.errors import ApplicationError
from openiop.interop import import_extensions
from openiop.interop.services.importer import ImportPlan
from openiop.patients.models import Patient

OBJECTIVE_DAYS = 30


@dataclass
class ImportResult:
    patient: object
    episode: object
    created: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def import_run(
    *,
    actor,
    organization,
    plan: ImportPlan,
    program,
    admitted_on: dt.date,
    admission_type: str = "step_down",
    referral_source: str = "inpatient",
    track=None,
    primary_clinician=None,
) -> ImportResult:
    from openiop.care.services import episode_admit
    from openiop.patients.services import patient_register, support_person_add

    require(
        actor,
        "fhir.import",
        organization_id=organization.pk,
        program_id=program.pk,
        action=Action.CREATE,
    )
    if program.organization_id != organization.pk:
        raise ApplicationError.for_field("program", "Choose a program of this organization.")
    admission = {
        "program": program,
        "track": track,
        "primary_clinician": primary_clinician,
        "admitted_on": admitted_on,
        "admission_type": admission_type,
        "referral_source": referral_source,
    }
    created = {"patient": 0, "support_persons": 0, "diagnoses": 0, "goals": 0, "objectives": 0}
    notes: list[str] = []
    with transaction.atomic():
        if plan.match is not None:
            patient = plan.match
            if not Patient.objects.visible_to(actor, "view").filter(pk=patient.pk).exists():
                raise ApplicationError(
                    "A patient with this name and birth date is already registered in a program "
                    "you do not work in; ask its staff to admit them."
                )
            episode = Episode.objects.filter(
                patient=patient, program=program, status=EpisodeStatus.ACTIVE
            ).first() or episode_admit(actor=actor, patient=patient, **admission)
            known = set(patient.support_persons.values_list("name", flat=True))
            notes.append(f"Matched {patient.display_name} ({patient.mrn}), already registered.")
        else:
            patient = patient_register(
                actor=actor, organization=organization, admission=admission, **plan.patient
            )
            episode = patient.episodes.get(program=program, status=EpisodeStatus.ACTIVE)
            created["patient"] = 1
            known = set()
        for person in plan.support_persons:
            if person["name"] in known:
                continue
            support_person_add(actor=actor, patient=patient, **person)
            created["support_persons"] += 1
        if plan.support_persons:
            notes.append(
                "Consent to involve support persons was not carried over: ask the patient."
            )
        writes_plan = can(
            actor, "plan.change", organization_id=organization.pk, program_id=program.pk
        )
        if (plan.diagnoses or plan.goals) and not writes_plan:
            notes.append(
                f"{len(plan.diagnoses)} diagnosis(es) and {len(plan.goals)} goal(s) were not "
                "imported: your role does not write the clinical record; a clinician can add them."
            )
        diagnoses = _diagnoses(actor, episode, plan, created) if writes_plan else {}
        if writes_plan and plan.goals:
            _goals(actor, episode, plan, diagnoses, created, notes)
        for runner in import_extensions.runners():
            notes += runner(actor, episode, plan, created)
        audit_record(
            actor=actor,
            action=Action.CREATE,
            event="fhir.import",
            obj=patient,
            patient=patient,
            detail={"created": created, "skipped": len(plan.skipped)},
        )
    return ImportResult(patient=patient, episode=episode, created=created, notes=notes)


def _diagnoses(actor, episode, plan: ImportPlan, created: dict) -> dict:
    from openiop.care.plans.models import DiagnosisStatus
    from openiop.care.plans.services.assessment import diagnosis_add, diagnosis_set_status

    today = timezone.localdate()
    out = {}
    primary_done = False
    for d in plan.diagnoses:
        if episode.diagnoses.filter(code=d["code"], status=DiagnosisStatus.ACTIVE).exists():
            continue
        when = d["diagnosed_on"] if d["diagnosed_on"] and d["diagnosed_on"] <= today else today
        diagnosis = diagnosis_add(
            actor=actor,
            episode=episode,
            code=d["code"],
            is_primary=d["is_primary"] and not primary_done and not d["resolved"],
            diagnosed_on=when,
            note=f"Imported from {plan.source}"[:300],
        )
        primary_done = primary_done or diagnosis.is_primary
        if d["resolved"]:
            diagnosis = diagnosis_set_status(actor=actor, diagnosis=diagnosis, status="resolved")
        out[d["code"]] = diagnosis
        created["diagnoses"] += 1
    return out


def _goals(actor, episode, plan: ImportPlan, diagnoses: dict, created: dict, notes: list) -> None:
    from openiop.care.plans.plan_models import PlanStatus, TreatmentPlan
    from openiop.care.plans.services.plan import plan_item_save, plan_start

    if TreatmentPlan.objects.filter(episode=episode, status=PlanStatus.OPEN).exists():
        notes.append("The episode already has a treatment plan: the goals were not added to it.")
        return
    tplan = plan_start(actor=actor, episode=episode)
    fallback = max(episode.admitted_on, timezone.localdate()) + dt.timedelta(days=OBJECTIVE_DAYS)
    problems: dict[str, object] = {}
    for g in plan.goals:
        problem = problems.get(g["problem"])
        if problem is None:
            linked = [diagnoses[c] for c in g.get("codes", []) if c in diagnoses]
            linked = [d for d in linked if d.status == "active"]
            problem = plan_item_save(
                actor=actor,
                plan=tplan,
                revision=tplan.revision,
                kind="problem",
                statement=g["problem"],
                diagnoses=linked,
            )
            problems[g["problem"]] = problem
        goal = plan_item_save(
            actor=actor,
            plan=tplan,
            revision=tplan.revision,
            kind="goal",
            parent=problem,
            statement=g["statement"],
        )
        created["goals"] += 1
        for o in g["objectives"]:
            target = o["target_on"]
            if target is None or target < episode.admitted_on:
                target = fallback
                notes.append(f"“{o['statement'][:60]}”: new target date {target:%Y-%m-%d}.")
            plan_item_save(
                actor=actor,
                plan=tplan,
                revision=tplan.revision,
                kind="objective",
                parent=goal,
                statement=o["statement"],
                target_on=target,
            )
            created["objectives"] += 1
    notes.append("The goals form a draft treatment plan: review it with the patient and sign it.")
