"""The safety plan: written with the patient, every saved change a version,
signed by the patient (their typed name, recorded by staff) and a clinician.
An edit from a stale version is refused like the treatment plan's."""

import unicodedata

from django.db import IntegrityError, transaction
from django.utils import timezone

from openiop.access.scope import can
from openiop.audit.models import Action
from openiop.audit.services import audit_record
from openiop.care.plans.safety_models import (
    SECTIONS,
    SafetyPlan,
    SafetyPlanSignature,
    SafetyPlanVersion,
)
from openiop.care.plans.services.common import bump, require_on, require_open, text
from openiop.core.errors import ApplicationError, Conflict, PermissionDenied

NAMES = [name for name, _label, _required in SECTIONS]
REQUIRED = {
    "warning_signs": "List the signs that a crisis may be starting, in the patient's words.",
    "coping": "List what the patient can do on their own.",
    "help_contacts": "List at least one person to ask for help, with a phone number.",
    "professionals": "List the professionals and crisis lines (988 at the least).",
    "safe_environment": "Write how the surroundings are made safe (means kept away).",
}


def safety_plan_save(*, actor, episode, revision=None, **data) -> SafetyPlan:
    """Create the episode's safety plan, or change it from `revision`; either way a
    new version (earlier signatures stay with the versions they signed)."""
    existing = SafetyPlan.objects.filter(episode=episode).first()
    require_on(actor, episode, "plan.change", Action.UPDATE if existing else Action.CREATE)
    require_open(episode)
    clean = {n: text(data, n, required=REQUIRED.get(n), limit=3000) for n in NAMES}
    if not any(ch.isdigit() for ch in clean["help_contacts"]):
        raise ApplicationError.for_field(
            "help_contacts", "Give a phone number for the people to ask for help."
        )
    if "988" not in clean["professionals"]:
        raise ApplicationError.for_field(
            "professionals", "Include the 988 Suicide and Crisis Lifeline (call or text 988)."
        )
    now = timezone.now()
    with transaction.atomic():
        if existing is None:
            try:
                with transaction.atomic():
                    plan = SafetyPlan.objects.create(
                        organization_id=episode.organization_id,
                        episode=episode,
                        patient_id=episode.patient_id,
                        created_by=actor,
                        changed_by=actor,
                        changed_at=now,
                        **clean,
                    )
            except IntegrityError:
                raise Conflict(
                    "Someone else wrote this safety plan at the same time; reload it."
                ) from None
            changed, action = NAMES, Action.CREATE
        else:
            bump(SafetyPlan, existing, revision, actor, what="safety plan")
            changed = [n for n, v in clean.items() if getattr(existing, n) != v]
            SafetyPlan.objects.filter(pk=existing.pk).update(**clean)
            existing.refresh_from_db()
            plan, action = existing, Action.UPDATE
        SafetyPlanVersion.objects.create(
            plan=plan, number=plan.revision, content=clean, saved_by=actor, saved_at=now
        )
        audit_record(
            actor=actor,
            action=action,
            event="safety_plan.create" if action == Action.CREATE else "safety_plan.update",
            obj=plan,
            patient=episode.patient,
            changed_fields=changed,
            detail={"version": plan.revision},
        )
    return plan


def _norm(s: str) -> str:
    s = unicodedata.normalize("NFKD", s or "").encode("ascii", "ignore").decode()
    return " ".join(s.lower().split())


def safety_plan_sign(*, actor, plan: SafetyPlan, revision, role: str, typed_name: str = ""):
    """Sign the version in effect (`revision` is the one the signer read)."""
    episode = plan.episode
    require_on(actor, episode, "plan.view", Action.UPDATE)
    if role not in SafetyPlanSignature.Role.values:
        raise ApplicationError.for_field("role", "Sign as the patient or as the clinician.")
    if role == SafetyPlanSignature.Role.CLINICIAN and not can(
        actor, "plan.sign", organization_id=episode.organization_id, program_id=episode.program_id
    ):
        raise PermissionDenied("A clinician of this program signs as the clinician.")
    try:
        if int(revision) != plan.revision:
            raise Conflict(
                f"The safety plan changed (now version {plan.revision}); read it again "
                "before signing."
            )
    except (TypeError, ValueError):
        raise ApplicationError.for_field("revision", "Say which version is signed.") from None
    patient = plan.patient
    if role == SafetyPlanSignature.Role.PATIENT:
        if _norm(typed_name) not in (_norm(patient.legal_name), _norm(patient.display_name)):
            raise ApplicationError.for_field(
                "typed_name", "The patient types their own name as it is on the chart."
            )
        name = typed_name.strip()
    else:
        name = actor.get_display_name()
    version = plan.versions.get(number=plan.revision)
    try:
        with transaction.atomic():
            signature = SafetyPlanSignature.objects.create(
                version=version,
                role=role,
                name=name[:150],
                recorded_by=actor,
                signed_at=timezone.now(),
            )
            audit_record(
                actor=actor,
                action=Action.UPDATE,
                event=f"safety_plan.sign.{role}",
                obj=plan,
                patient=patient,
                detail={"version": version.number},
            )
    except IntegrityError:
        raise Conflict(f"Version {version.number} already has the {role}'s signature.") from None
    return signature
