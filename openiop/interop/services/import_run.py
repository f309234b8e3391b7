"""Carry out an import plan: all of it in one transaction, or nothing. What is
written is what `import_decide` decides (the same decision the preview shows)."""

import datetime as dt
from dataclasses import dataclass, field, replace

from django.db import transaction
from django.utils import timezone

from openiop.audit.models import Action
from openiop.audit.services import audit_record
from openiop.care.models import EpisodeStatus
from openiop.interop import import_extensions
from openiop.interop.services.import_decide import ImportDecision, import_decide
from openiop.interop.services.importer import ImportPlan

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
        decision = import_decide(actor=actor, organization=organization, plan=plan, **admission)
        patient, episode = decision.patient, decision.episode
        if patient is None:
            patient = patient_register(
                actor=actor, organization=organization, admission=admission, **plan.patient
            )
            episode = patient.episodes.get(program=program, status=EpisodeStatus.ACTIVE)
            created["patient"] = 1
        else:
            episode = episode or episode_admit(actor=actor, patient=patient, **admission)
            notes.append(f"Matched {patient.display_name} ({patient.mrn}), already registered.")
        for person in decision.support_persons:
            support_person_add(actor=actor, patient=patient, **person)
            created["support_persons"] += 1
        if decision.support_persons:
            notes.append(
                "Consent to involve support persons was not carried over: ask the patient."
            )
        notes += decision.notes
        diagnoses = _diagnoses(actor, episode, decision, created)
        if decision.goals:
            _goals(actor, episode, decision, diagnoses, created, notes)
        decided = replace(plan, extra=decision.extra)
        for runner in import_extensions.runners():
            notes += runner(actor, episode, decided, created)
        audit_record(
            actor=actor,
            action=Action.CREATE,
            event="fhir.import",
            obj=patient,
            patient=patient,
            detail={"created": created, "skipped": len(decision.skipped)},
        )
    return ImportResult(patient=patient, episode=episode, created=created, notes=notes)


def _diagnoses(actor, episode, decision: ImportDecision, created: dict) -> dict:
    """The diagnoses decided, by code, with the episode's active ones (a goal's
    problem names them)."""
    from openiop.care.plans.models import DiagnosisStatus
    from openiop.care.plans.services.assessment import diagnosis_add, diagnosis_set_status

    plan = decision.plan
    today = timezone.localdate()
    out = {d.code: d for d in episode.diagnoses.filter(status=DiagnosisStatus.ACTIVE)}
    primary_done = False
    for d in decision.diagnoses:
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


def _goals(actor, episode, decision: ImportDecision, diagnoses: dict, created, notes) -> None:
    from openiop.care.plans.services.plan import plan_item_save, plan_start

    tplan = plan_start(actor=actor, episode=episode)
    fallback = max(episode.admitted_on, timezone.localdate()) + dt.timedelta(days=OBJECTIVE_DAYS)
    problems: dict[str, object] = {}
    for g in decision.goals:
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
