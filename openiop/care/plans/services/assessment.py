"""Intake assessment and the level-of-care recommendation; diagnoses."""

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone

from openiop.audit.models import Action
from openiop.audit.services import audit_record
from openiop.billing.services.days import recheck_later
from openiop.care.plans import asam, icd
from openiop.care.plans.models import (
    Assessment,
    AssessmentStatus,
    Diagnosis,
    DiagnosisStatus,
    PlanSettings,
    RiskLevel,
)
from openiop.care.plans.services.common import a_date, require_on, require_open, text
from openiop.core.errors import ApplicationError

TEXT_FIELDS = (
    "presenting_problems",
    "strengths",
    "substance_use_history",
    "mental_health_history",
    "risk_notes",
    "living_situation",
    "supports",
)
EARLIEST_BEFORE_ADMISSION = dt.timedelta(days=30)


def rules_for(program) -> tuple[list[dict], str]:
    """The program's level-of-care rules and a label saying whose they are."""
    settings_row = PlanSettings.objects.filter(program=program).first()
    if settings_row and settings_row.loc_rules:
        return settings_row.loc_rules, f"{program.name} rules"
    return asam.DEFAULT_RULES, "OpenIOP default rules"


def _dimensions(raw) -> dict[str, dict]:
    if not isinstance(raw, dict):
        raise ApplicationError.for_field("dimensions", "Rate the six ASAM dimensions.")
    out = {}
    for code, name, _ in asam.DIMENSIONS:
        entry = raw.get(code) or {}
        rating = entry.get("rating")
        field = f"dimension_{code}"
        if isinstance(rating, bool) or not isinstance(rating, int) or not 0 <= rating <= 4:
            raise ApplicationError.for_field(field, f"Rate dimension {code} ({name}) from 0 to 4.")
        note = (entry.get("note") or "").strip()[:2000]
        if rating >= 3 and not note:
            raise ApplicationError.for_field(
                f"{field}_note", f"Say what supports a rating of {rating} in dimension {code}."
            )
        out[code] = {"rating": rating, "note": note}
    unknown = set(raw) - set(asam.DIMENSION_CODES)
    if unknown:
        raise ApplicationError.for_field(
            "dimensions", f"Unknown ASAM dimension {sorted(unknown)[0]}."
        )
    return out


def assessment_save(*, actor, episode, assessment: Assessment | None = None, **data) -> Assessment:
    """Create or change a draft intake assessment; the recommendation is recomputed."""
    require_on(actor, episode, "assessment.change", Action.UPDATE if assessment else Action.CREATE)
    require_open(episode)
    if assessment is not None and assessment.status != AssessmentStatus.DRAFT:
        raise ApplicationError("A completed assessment cannot be changed; write a new one.")
    assessed_on = a_date(data.get("assessed_on"), "assessed_on", "Enter the assessment date.")
    if assessed_on > timezone.localdate():
        raise ApplicationError.for_field(
            "assessed_on", "The assessment date cannot be in the future."
        )
    if assessed_on < episode.admitted_on - EARLIEST_BEFORE_ADMISSION:
        raise ApplicationError.for_field(
            "assessed_on", "The assessment is more than 30 days before the admission."
        )
    if data.get("risk_level") not in RiskLevel.values:
        raise ApplicationError.for_field("risk_level", "Record the risk screening result.")
    fields = {f: text(data, f) for f in TEXT_FIELDS}
    if not fields["presenting_problems"]:
        raise ApplicationError.for_field(
            "presenting_problems", "Write the presenting problems, in the patient's own words."
        )
    if data["risk_level"] in (RiskLevel.MODERATE, RiskLevel.HIGH) and not fields["risk_notes"]:
        raise ApplicationError.for_field(
            "risk_notes", "Describe the risk and the safety response for a moderate or high risk."
        )
    dims = _dimensions(data.get("dimensions"))
    rules, source = rules_for(episode.program)
    rec = asam.recommend({c: d["rating"] for c, d in dims.items()}, rules)
    creating = assessment is None
    if creating:
        assessment = Assessment(
            organization_id=episode.organization_id,
            episode=episode,
            patient_id=episode.patient_id,
            created_by=actor,
        )
    changed = [f for f, v in fields.items() if getattr(assessment, f) != v]
    for f, v in fields.items():
        setattr(assessment, f, v)
    if assessment.dimensions != dims:
        changed.append("dimensions")
    assessment.assessed_on = assessed_on
    assessment.risk_level = data["risk_level"]
    assessment.dimensions = dims
    assessment.recommended_level = rec.level
    assessment.recommendation_reason = rec.reason
    assessment.rules_source = f"{source}, rule {rec.rule_number}"
    with transaction.atomic():
        assessment.save()
        audit_record(
            actor=actor,
            action=Action.CREATE if creating else Action.UPDATE,
            event="assessment.create" if creating else "assessment.update",
            obj=assessment,
            patient=episode.patient,
            changed_fields=changed + ["assessed_on", "risk_level"],
        )
        if assessment.risk_level == RiskLevel.HIGH:
            _high_risk_alert(actor, assessment, episode.patient)
    return assessment


def _high_risk_alert(actor, assessment, patient) -> None:
    """ "High: same-day safety response" pages the team (once per assessment)."""
    from openiop.measures.models import AlertKind, SafetyAlert
    from openiop.measures.services.alerts import alert_raise

    if SafetyAlert.objects.filter(assessment=assessment, kind=AlertKind.INTAKE_HIGH_RISK).exists():
        return
    alert_raise(
        actor=actor,
        patient=patient,
        kind=AlertKind.INTAKE_HIGH_RISK,
        summary="Intake risk screening: high, same-day safety response",
        assessment=assessment,
    )


def assessment_complete(
    *, actor, assessment: Assessment, chosen_level: str, override_reason: str = ""
) -> Assessment:
    """Accept the recommended level of care, or choose another with a reason."""
    episode = assessment.episode
    require_on(actor, episode, "assessment.change")
    if assessment.status != AssessmentStatus.DRAFT:
        raise ApplicationError("This assessment is already completed.")
    if chosen_level not in asam.LEVELS:
        raise ApplicationError.for_field("chosen_level", "Choose a level of care.")
    override_reason = (override_reason or "").strip()[:2000]
    if chosen_level != assessment.recommended_level and not override_reason:
        raise ApplicationError.for_field(
            "override_reason",
            f"Say why you choose {asam.LEVELS[chosen_level]} over the recommended "
            f"{asam.LEVELS[assessment.recommended_level]}.",
        )
    with transaction.atomic():
        updated = Assessment.objects.filter(pk=assessment.pk, status=AssessmentStatus.DRAFT).update(
            status=AssessmentStatus.COMPLETED,
            chosen_level=chosen_level,
            override_reason=override_reason if chosen_level != assessment.recommended_level else "",
            completed_by=actor,
            completed_at=timezone.now(),
            updated_at=timezone.now(),
        )
        if updated != 1:
            raise ApplicationError("This assessment is already completed.")
        assessment.refresh_from_db()
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            event="assessment.complete",
            obj=assessment,
            patient=episode.patient,
            changed_fields=["status", "chosen_level"]
            + (["override_reason"] if assessment.is_override else []),
            detail={"override": assessment.is_override},
        )
    return assessment


PRIMARY_TAKEN = "Another diagnosis is already primary; it became secondary."


def diagnosis_add(
    *,
    actor,
    episode,
    code: str,
    is_primary: bool = False,
    diagnosed_on: dt.date | None = None,
    note: str = "",
) -> Diagnosis:
    require_on(actor, episode, "plan.change", Action.CREATE)
    require_open(episode)
    found = icd.lookup(code)
    if found is None:
        raise ApplicationError.for_field("code", icd.explain_invalid(code))
    diagnosed_on = diagnosed_on or timezone.localdate()
    a_date(diagnosed_on, "diagnosed_on", "Enter the date of the diagnosis.")
    if diagnosed_on > timezone.localdate():
        raise ApplicationError.for_field("diagnosed_on", "The date cannot be in the future.")
    active = Diagnosis.objects.filter(episode=episode, status=DiagnosisStatus.ACTIVE)
    if active.filter(code=found.code).exists():
        raise ApplicationError.for_field("code", f"{found.code} is already an active diagnosis.")
    try:
        with transaction.atomic():
            if is_primary:
                active.filter(is_primary=True).update(is_primary=False, updated_at=timezone.now())
            diagnosis = Diagnosis.objects.create(
                organization_id=episode.organization_id,
                patient_id=episode.patient_id,
                episode=episode,
                code=found.code,
                description=found.description[:300],
                category=found.category,
                is_primary=is_primary,
                diagnosed_on=diagnosed_on,
                note=(note or "").strip()[:300],
                created_by=actor,
            )
            audit_record(
                actor=actor,
                action=Action.CREATE,
                event="diagnosis.create",
                obj=diagnosis,
                patient=episode.patient,
                changed_fields=["code", "is_primary", "diagnosed_on"] + (["note"] if note else []),
            )
            recheck_later([episode.pk])
    except IntegrityError:
        raise ApplicationError.for_field(
            "code", "Someone recorded this diagnosis at the same time; reload the page."
        ) from None
    return diagnosis


def diagnosis_set_status(*, actor, diagnosis: Diagnosis, status: str) -> Diagnosis:
    """Resolve a diagnosis, or mark it entered in error (it stays in the record)."""
    episode = diagnosis.episode
    require_on(actor, episode, "plan.change")
    if status not in (DiagnosisStatus.RESOLVED, DiagnosisStatus.ENTERED_IN_ERROR):
        raise ApplicationError.for_field("status", "Choose resolved or entered in error.")
    if diagnosis.status != DiagnosisStatus.ACTIVE:
        raise ApplicationError("Only an active diagnosis can be changed.")
    with transaction.atomic():
        diagnosis.status = status
        diagnosis.resolved_on = timezone.localdate()
        diagnosis.is_primary = (
            False if status == DiagnosisStatus.ENTERED_IN_ERROR else diagnosis.is_primary
        )
        diagnosis.save()
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            event=f"diagnosis.{status}",
            obj=diagnosis,
            patient=episode.patient,
            changed_fields=["status", "resolved_on"],
        )
        recheck_later([episode.pk])
    return diagnosis
