"""Writes of consents and disclosures, and the disclosure check.

Every disclosure to a party outside the program goes through
`disclosure_check` (is there an active consent from this patient covering this
recipient and this information?) and, when it passes, `disclosure_record`
(one accounting entry and one `disclose` audit event, in one transaction).
"""

import datetime as dt
import unicodedata
import uuid

from django.db import transaction
from django.utils import timezone

from openiop.access.services import require, require_on_patient
from openiop.audit.models import Action, Outcome
from openiop.audit.services import audit_record
from openiop.consent.gate import DisclosureRefused, disclosure_check  # noqa: F401 - re-exported
from openiop.consent.models import (
    ConsentStatus,
    Disclosure,
    ExternalRecipient,
    Information,
    Part2Consent,
    Purpose,
    RecipientScope,
    SignerRole,
)
from openiop.core import context
from openiop.core.errors import ApplicationError

NOTES = Information.COUNSELING_NOTES


def _norm(s: str) -> str:
    s = unicodedata.normalize("NFKD", s or "").encode("ascii", "ignore").decode()
    return " ".join(s.lower().split())


def _clean_categories(raw) -> list[str]:
    categories = [c for c in (raw or []) if c]
    unknown = [c for c in categories if c not in Information.values]
    if unknown:
        raise ApplicationError.for_field(
            "categories", f"{unknown[0]} is not a kind of information."
        )
    if not categories:
        raise ApplicationError.for_field(
            "categories", "Choose the information the patient agrees to disclose."
        )
    if NOTES in categories and len(set(categories)) > 1:
        raise ApplicationError.for_field(
            "categories",
            "SUD counseling notes need a consent of their own: record them on a separate "
            "consent, not together with other information.",
        )
    if NOTES not in categories:
        # whose records they are travels with every disclosure
        categories.append(Information.DEMOGRAPHICS)
    order = Information.values
    return sorted(set(categories), key=order.index)


def consent_record(
    *,
    actor,
    patient,
    categories,
    description: str,
    recipient_scope: str,
    purpose: str,
    signer_name: str,
    signer_role: str,
    signed_on: dt.date,
    attestation: bool | str,
    recipient: ExternalRecipient | None = None,
    program=None,
    purpose_detail: str = "",
    expires_on: dt.date | None = None,
    expiry_event: str = "",
    expires_at_discharge: bool = False,
) -> Part2Consent:
    """Record a signed Part 2 consent; every element the rule requires, or a refusal."""
    _require_for_patient(actor, patient)
    if program is not None:
        require(
            actor,
            "consent.manage",
            organization_id=patient.organization_id,
            program_id=program.pk,
            action=Action.CREATE,
        )
    today = timezone.localdate()
    categories = _clean_categories(categories)
    description = (description or "").strip()
    if not description:
        raise ApplicationError.for_field(
            "description",
            "Describe the information specifically, as the patient agreed to it "
            "(e.g. diagnoses and PHQ-9 scores from this admission).",
        )
    if recipient_scope not in RecipientScope.values:
        raise ApplicationError.for_field("recipient_scope", "Choose who may receive the records.")
    if recipient_scope == RecipientScope.NAMED:
        if recipient is None:
            raise ApplicationError.for_field("recipient", "Name the recipient.")
        if recipient.organization_id != patient.organization_id or not recipient.is_active:
            raise ApplicationError.for_field("recipient", "Choose an active recipient of yours.")
    else:
        if NOTES in categories:
            raise ApplicationError.for_field(
                "recipient_scope",
                "SUD counseling notes cannot go to the whole treatment, payment and operations "
                "class: name the recipient.",
            )
        recipient = None
    if program is not None and program.organization_id != patient.organization_id:
        raise ApplicationError.for_field("program", "Choose a program of this organization.")
    if purpose not in Purpose.values:
        raise ApplicationError.for_field("purpose", "Choose the purpose of the disclosure.")
    purpose_detail = (purpose_detail or "").strip()
    if purpose == Purpose.OTHER and not purpose_detail:
        raise ApplicationError.for_field("purpose_detail", "Describe the purpose.")
    if recipient_scope == RecipientScope.TPO and purpose not in (
        Purpose.TPO,
        Purpose.TREATMENT,
        Purpose.PAYMENT,
        Purpose.OPERATIONS,
    ):
        raise ApplicationError.for_field(
            "purpose",
            "A consent to the treatment, payment and operations class is for those purposes.",
        )
    expiry_event = (expiry_event or "").strip()
    expiry_episode = None
    if expires_at_discharge:
        expiry_episode = _episode_to_expire_with(patient, program)
        expiry_event = expiry_event or f"Discharge from {expiry_episode.program.name}"
    if not expires_on and not expiry_event:
        raise ApplicationError.for_field(
            "expires_on", "Give the date or the event on which the consent expires."
        )
    if not isinstance(signed_on, dt.date) or signed_on > today:
        raise ApplicationError.for_field(
            "signed_on", "The date of signature cannot be in the future."
        )
    if expires_on and expires_on < today:
        raise ApplicationError.for_field(
            "expires_on",
            f"The expiry date {expires_on:%Y-%m-%d} is in the past: this consent could never "
            "be used. Ask the patient for a new expiry date.",
        )
    if expires_on and expires_on < signed_on:
        raise ApplicationError.for_field(
            "expires_on", "A consent cannot expire before it is signed."
        )
    signer_name = (signer_name or "").strip()
    if not signer_name:
        raise ApplicationError.for_field("signer_name", "Type the signer's full name.")
    if signer_role not in SignerRole.values:
        raise ApplicationError.for_field("signer_role", "Say who signed.")
    if signer_role == SignerRole.SELF and _norm(signer_name) not in (
        _norm(patient.legal_name),
        _norm(f"{patient.preferred_name} {patient.legal_family_name}"),
    ):
        raise ApplicationError.for_field(
            "signer_name",
            f"The typed name does not match the patient's legal name ({patient.legal_name}).",
        )
    if not attestation:
        raise ApplicationError.for_field(
            "attestation", "Confirm that the signer read and signed this consent."
        )
    attestation_text = (
        f"{signer_name} ({SignerRole(signer_role).label.lower()}) read this consent, "
        f"understood it and typed their name as their signature on {signed_on:%Y-%m-%d}; "
        f"witnessed by {actor.get_display_name()}."
    )
    with transaction.atomic():
        consent = Part2Consent.objects.create(
            organization_id=patient.organization_id,
            patient=patient,
            program=program,
            categories=categories,
            description=description[:5000],
            recipient_scope=recipient_scope,
            recipient=recipient,
            purpose=purpose,
            purpose_detail=purpose_detail[:300],
            expires_on=expires_on,
            expiry_event=expiry_event[:200],
            expires_at_discharge=bool(expires_at_discharge),
            expiry_episode=expiry_episode,
            signer_name=signer_name[:150],
            signer_role=signer_role,
            attestation=attestation_text,
            signed_on=signed_on,
            created_by=actor,
        )
        audit_record(
            actor=actor,
            action=Action.CREATE,
            event="consent.create",
            obj=consent,
            patient=patient,
            changed_fields=["categories", "recipient", "purpose", "expires_on", "signature"],
        )
    return consent


def _episode_to_expire_with(patient, program):
    """The open admission whose discharge ends an "expires at discharge" consent."""
    from openiop.care.models import Episode, EpisodeStatus

    episodes = Episode.objects.filter(patient=patient, status=EpisodeStatus.ACTIVE)
    if program is not None:
        episodes = episodes.filter(program=program)
    episode = episodes.select_related("program").order_by("-admitted_on", "-id").first()
    if episode is None:
        raise ApplicationError.for_field(
            "expires_at_discharge",
            "The patient has no open admission"
            + (f" in {program.name}" if program is not None else "")
            + " whose discharge could end this consent: give an expiry date.",
        )
    return episode


def _require_for_patient(actor, patient) -> None:
    """consent.manage where the patient is: their organization, or a program they are in."""
    require_on_patient(actor, patient, "consent.manage", action=Action.UPDATE)


def consent_revoke(
    *, actor, consent: Part2Consent, revoked_on: dt.date | None = None, note: str = ""
) -> Part2Consent:
    """The patient withdraws the consent (in writing or orally, 42 CFR 2.31(a)(6));
    disclosures already made stay in the accounting."""
    _require_for_patient(actor, consent.patient)
    today = timezone.localdate()
    revoked_on = revoked_on or today
    if consent.status == ConsentStatus.REVOKED:
        raise ApplicationError(
            f"This consent was already revoked on {consent.revoked_on:%Y-%m-%d}."
        )
    if revoked_on > today or revoked_on < consent.signed_on:
        raise ApplicationError.for_field(
            "revoked_on", "The revocation date is between the signature and today."
        )
    with transaction.atomic():
        updated = Part2Consent.objects.filter(pk=consent.pk, status=ConsentStatus.ACTIVE).update(
            status=ConsentStatus.REVOKED,
            revoked_on=revoked_on,
            revoked_by=actor,
            revocation_note=(note or "").strip()[:300],
            updated_at=timezone.now(),
        )
        if not updated:
            raise ApplicationError("This consent was already revoked.")
        consent.refresh_from_db()
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            event="consent.revoke",
            obj=consent,
            patient=consent.patient,
            changed_fields=["status", "revoked_on"],
        )
    return consent


# the accounting (the check is `consent.gate`) -------------------------------


def disclosure_record(
    *,
    actor,
    patient,
    consent: Part2Consent,
    recipient: ExternalRecipient,
    categories,
    channel: str,
    description: str,
    resource_count: int = 0,
) -> Disclosure:
    """Enter one disclosure in the accounting, with its `disclose` audit event."""
    ctx = context.current()
    user = actor if getattr(actor, "is_authenticated", False) else None
    with transaction.atomic():
        entry = Disclosure.objects.create(
            organization_id=patient.organization_id,
            uuid=uuid.uuid4(),
            patient=patient,
            consent=consent,
            recipient=recipient,
            recipient_name=recipient.name,
            categories=list(dict.fromkeys(categories)),
            purpose=consent.purpose_detail or consent.get_purpose_display(),
            channel=channel,
            description=description[:300],
            resource_count=resource_count,
            disclosed_at=timezone.now(),
            disclosed_by=user,
            disclosed_by_name=(user.get_display_name() if user else "system")[:150],
            request_id=ctx.request_id[:32],
        )
        audit_record(
            actor=actor,
            action=Action.DISCLOSE,
            event=f"disclosure.{channel}",
            obj=entry,
            patient=patient,
            detail={
                "consent": str(consent.uuid),
                "recipient": str(recipient.uuid),
                "categories": entry.categories,
                "resources": resource_count,
            },
        )
    return entry


def disclosure_refused_audit(*, actor, patient, recipient, reason_code: str, channel: str):
    """A refused disclosure is audited too (without the record's content)."""
    audit_record(
        actor=actor,
        action=Action.DISCLOSE,
        event=f"disclosure.{channel}",
        outcome=Outcome.DENIED,
        patient=patient,
        organization_id=getattr(patient, "organization_id", None) or recipient.organization_id,
        detail={"recipient": str(recipient.uuid), "reason": reason_code},
    )


from openiop.consent.recipients import (  # noqa: E402,F401 - one place to import from
    recipient_create,
    recipient_deactivate,
    recipient_issue_token,
    recipient_of,
    recipient_revoke_tokens,
)
