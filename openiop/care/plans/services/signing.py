"""Signatures: the clinician, the patient (typed attestation or drawn on a
tablet) and, where the program requires it, a clinical supervisor. The
version takes effect when the last required signature is in."""

import re

from django.db import IntegrityError, transaction
from django.utils import timezone

from openiop.access.scope import can
from openiop.accounts.models import StaffCredential
from openiop.audit.models import Action
from openiop.audit.services import audit_denied, audit_record
from openiop.billing.services.days import recheck_later
from openiop.care.plans.models import PlanSettings
from openiop.care.plans.plan_models import (
    PlanSignature,
    PlanStatus,
    PlanVersion,
    SignatureMethod,
    SignatureRole,
    TreatmentPlan,
    VersionStatus,
)
from openiop.care.plans.services.common import bump, require_on, require_open
from openiop.core.errors import ApplicationError, PermissionDenied
from openiop.scheduling.localtime import today_in

ATTESTATIONS = {
    SignatureRole.CLINICIAN: "I developed this treatment plan with the patient and attest that "
    "the services it prescribes are needed.",
    SignatureRole.PATIENT: "I took part in writing this treatment plan, it was explained to me, "
    "and I agree with it.",
    SignatureRole.SUPERVISOR: "I reviewed this treatment plan and approve it.",
}
_PATH = re.compile(r"^(?:[ML]\d{1,4}(?:\.\d{1,2})? \d{1,4}(?:\.\d{1,2})? ?){2,}$")
MAX_DRAWING = 30_000


def needs_supervisor(program) -> bool:
    row = PlanSettings.objects.filter(program=program).only("requires_supervisor_signature").first()
    if row is not None and row.requires_supervisor_signature is not None:
        return row.requires_supervisor_signature
    return program.organization.requires_supervisor_signature


def required_roles(program) -> list[str]:
    roles = [SignatureRole.CLINICIAN, SignatureRole.PATIENT]
    if needs_supervisor(program):
        roles.append(SignatureRole.SUPERVISOR)
    return [str(r) for r in roles]


def check_complete(version) -> None:
    """A plan is signed only when every problem leads to an intervention."""
    problems = list(
        version.problems.prefetch_related("goals__objectives__interventions__responsible")
    )
    if not problems:
        raise ApplicationError("Add at least one problem before signing.")
    for p in problems:
        goals = list(p.goals.all())
        if not goals:
            raise ApplicationError(f"Problem “{p.statement[:60]}” has no goal.")
        for g in goals:
            objectives = list(g.objectives.all())
            if not objectives:
                raise ApplicationError(f"Goal “{g.statement[:60]}” has no objective.")
            for o in objectives:
                if not list(o.interventions.all()):
                    raise ApplicationError(f"Objective “{o.statement[:60]}” has no intervention.")
    _check_leads(
        version,
        [
            i
            for p in problems
            for g in p.goals.all()
            for o in g.objectives.all()
            for i in o.interventions.all()
        ],
    )


def _check_leads(version, interventions) -> None:
    """Everyone responsible for an intervention may lead it today (licence rules
    as data, scheduling/staff.py): a plan the optimizer cannot staff is not signed."""
    from openiop.scheduling.staff import lead_problems

    program = version.plan.episode.program
    problems = lead_problems(interventions, program, today_in(program.site.time_zone))
    if problems:
        first = next(iter(problems.values()))
        raise ApplicationError(f"{first} Choose who is responsible before signing.")


def _names_match(typed: str, patient) -> bool:
    def norm(s):
        return " ".join(s.lower().split())

    options = {norm(patient.legal_name), norm(patient.display_name)}
    return norm(typed) in options


def plan_sign(
    *,
    actor,
    plan,
    revision,
    role: str,
    method: str = "",
    typed_name: str = "",
    drawing: str = "",
) -> PlanSignature:
    episode = plan.episode
    require_on(actor, episode, "plan.view", Action.UPDATE)
    require_open(episode)
    if role not in SignatureRole.values:
        raise ApplicationError.for_field("role", "Sign as clinician, patient or supervisor.")
    if role == SignatureRole.SUPERVISOR:
        permission, who = "plan.supervise", "a clinical supervisor (program director)"
    else:
        permission, who = "plan.sign", "a clinician, prescriber or program director"
    if not can(
        actor, permission, organization_id=episode.organization_id, program_id=episode.program_id
    ):
        audit_denied(actor=actor, event=f"plan.sign.{role}", action=Action.UPDATE)
        message = (
            f"{actor.get_display_name()} cannot sign as {SignatureRole(role).label.lower()}: "
            f"that takes {who} of this program."
            if role != SignatureRole.PATIENT
            else f"A patient's signature is recorded by {who} of this program."
        )
        raise PermissionDenied(message, fields={"role": [message]})
    if plan.status != PlanStatus.OPEN:
        raise ApplicationError("This plan has ended; it can no longer be signed.")
    version = plan.versions.filter(status__in=[VersionStatus.DRAFT, VersionStatus.AWAITING]).first()
    if version is None:
        raise ApplicationError("There is no version waiting for signatures.")
    signatures = {s.role: s for s in version.signatures.all()}
    if role in signatures:
        raise ApplicationError.for_field(
            "role", f"Version {version.number} already has the {role}'s signature."
        )
    signature = _signature(actor, plan, version, role, method, typed_name, drawing, signatures)
    check_complete(version)
    with transaction.atomic():
        bump(TreatmentPlan, plan, revision, actor, status=PlanStatus.OPEN)
        try:
            with transaction.atomic():
                signature.save()
        except IntegrityError:
            raise ApplicationError.for_field(
                "role", f"Version {version.number} already has the {role}'s signature."
            ) from None
        signatures[role] = signature
        done = all(r in signatures for r in required_roles(episode.program))
        _after_signature(plan, version, done, actor)
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            event=f"plan.sign.{role}",
            obj=plan,
            patient=episode.patient,
            changed_fields=["signatures"]
            + (["status", "current", "review_due_on"] if done else []),
            detail={"version": version.number, "method": signature.method, "in_effect": done},
        )
    return signature


def _signature(actor, plan, version, role, method, typed_name, drawing, signatures):
    episode = plan.episode
    sig = PlanSignature(
        version=version,
        role=role,
        recorded_by=actor,
        attestation=ATTESTATIONS[role],
        signed_at=timezone.now(),
        created_by=actor,
    )
    if role == SignatureRole.PATIENT:
        if method not in (SignatureMethod.TYPED, SignatureMethod.DRAWN):
            raise ApplicationError.for_field(
                "method", "The patient signs by typing their name or drawing on the tablet."
            )
        patient = episode.patient
        if method == SignatureMethod.TYPED:
            if not _names_match(typed_name or "", patient):
                raise ApplicationError.for_field(
                    "typed_name",
                    "The typed name must be the patient's name as on the chart "
                    f"({patient.legal_name}).",
                )
            sig.signer_name = " ".join(typed_name.split())
        else:
            drawing = (drawing or "").strip()
            if not drawing:
                raise ApplicationError.for_field(
                    "drawing", "The patient has not drawn a signature."
                )
            if len(drawing) > MAX_DRAWING or not _PATH.match(drawing):
                raise ApplicationError.for_field(
                    "drawing", "The drawn signature could not be read; draw it again."
                )
            sig.signer_name = patient.legal_name
            sig.drawing = drawing
        sig.method = method
        return sig
    sig.method = SignatureMethod.ACCOUNT
    sig.signer_name = actor.get_display_name()
    site = episode.program.site
    creds = (
        StaffCredential.objects.valid_at(site, today_in(site.time_zone))
        .filter(user=actor)
        .values_list("license_type", flat=True)
    )
    sig.credentials = ", ".join(sorted(set(creds)))[:60]
    if role == SignatureRole.SUPERVISOR:
        clinician = signatures.get(SignatureRole.CLINICIAN)
        if clinician is not None and clinician.recorded_by_id == actor.pk:
            raise ApplicationError.for_field(
                "role", "The supervisor must be someone other than the clinician who signed."
            )
    return sig


def _after_signature(plan, version, done, actor) -> None:
    import datetime as dt

    if not done:
        if version.status == VersionStatus.DRAFT:
            PlanVersion.objects.filter(pk=version.pk).update(status=VersionStatus.AWAITING)
            version.status = VersionStatus.AWAITING
        return
    today = timezone.localdate()
    if plan.current_id:
        PlanVersion.objects.filter(pk=plan.current_id).update(status=VersionStatus.SUPERSEDED)
    PlanVersion.objects.filter(pk=version.pk).update(
        status=VersionStatus.SIGNED, effective_on=today
    )
    version.status, version.effective_on = VersionStatus.SIGNED, today
    due = today + dt.timedelta(days=plan.episode.program.plan_review_days)
    TreatmentPlan.objects.filter(pk=plan.pk).update(current=version, review_due_on=due)
    plan.current, plan.review_due_on = version, due
    recheck_later([plan.episode_id])
