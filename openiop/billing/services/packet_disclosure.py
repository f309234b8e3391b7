"""Sending the concurrent review packet to the payer: a 42 CFR Part 2
disclosure, to the Part 2 recipient the authorization's payer is linked to
(never one chosen at sending: a packet cannot go to another payer). The
patient's consent must reach the payer (named, or the
treatment, payment and operations class) and cover every kind of information
the packet holds; the disclosure is then entered in the accounting of
disclosures with its audit event. A refusal says what the consent lacks, is
audited, and records nothing.

Each send is one disclosure: sending the packet twice on purpose records two.
"""

from django.db import transaction

from openiop.access.services import require
from openiop.audit.models import Action
from openiop.billing.models import Payer
from openiop.consent.gate import (
    DisclosureRefused,
    consents_reaching,
    decide,
    disclosure_check,
)
from openiop.consent.models import (
    Channel,
    ExternalRecipient,
    Information,
    Part2Consent,
    RecipientKind,
)
from openiop.consent.services import disclosure_record, disclosure_refused_audit
from openiop.core.clock import organization_today
from openiop.core.errors import ApplicationError

# how the packet may leave: the accounting's channels that fit a packet
CHANNELS = (Channel.PRINT,)
# what every packet holds: identity and the admission, diagnoses, the plan's
# progress, instrument scores, attendance and hours
PACKET_CATEGORIES = (
    Information.DEMOGRAPHICS,
    Information.DIAGNOSES,
    Information.PLAN,
    Information.SCORES,
    Information.ATTENDANCE,
)


def packet_categories(packet) -> list[str]:
    """The Information categories the packet shows (the discharge summary only
    when there is one)."""
    out = [str(c) for c in PACKET_CATEGORIES]
    if packet.summary is not None:
        out.append(str(Information.DISCHARGE_SUMMARY))
    return out


def payer_recipients(organization_id):
    """The organization's active payers as recipients of disclosures (what a
    payer may be linked to)."""
    return ExternalRecipient.objects.filter(
        organization_id=organization_id, kind=RecipientKind.PAYER, is_active=True
    ).order_by("name", "id")


def not_linked(payer) -> str:
    return f"{payer.name} is not linked to a Part 2 recipient; link it on the payer's page."


def payer_recipient(authorization):
    """Where the packet goes: the authorization's payer as a Part 2 recipient,
    read afresh. ApplicationError when the payer names none, or one that cannot
    receive it (deactivated, or not a payer of the organization)."""
    payer = Payer.objects.select_related("recipient").get(pk=authorization.payer_id)
    recipient = payer.recipient
    if recipient is None:
        raise ApplicationError.for_field("recipient", not_linked(payer))
    if (
        recipient.organization_id != authorization.organization_id
        or recipient.kind != RecipientKind.PAYER
    ):
        raise ApplicationError.for_field(
            "recipient",
            f"{payer.name} is linked to {recipient.name}, which is not a payer of the "
            "organization; link it again on the payer's page.",
        )
    if not recipient.is_active:
        raise ApplicationError.for_field(
            "recipient",
            f"{recipient.name} is deactivated as a recipient; link {payer.name} to an active "
            "one on the payer's page.",
        )
    return recipient


def _consent_for(*, patient, recipient, categories, program_id):
    """The consent that allows the disclosure (the gate's decision), from a
    consent that lets this program disclose: the organization's, or this
    program's own. DisclosureRefused otherwise, saying what is lacking."""
    consent = disclosure_check(patient=patient, recipient=recipient, categories=categories)
    if consent.program_id in (None, program_id):
        return consent
    # the gate chose a consent of another program: decide again among those
    # that let this program disclose
    candidates = [
        c
        for c in consents_reaching(recipient).filter(patient_id=patient.pk)
        if c.program_id in (None, program_id)
    ]
    if candidates:
        return decide(
            candidates,
            recipient=recipient,
            categories=categories,
            today=organization_today(recipient.organization_id),
        )
    raise DisclosureRefused(
        f"The consent of {consent.signed_on:%Y-%m-%d} lets only {consent.program.name} "
        "disclose; this packet is from another program.",
        reason="not_covered",
    )


def packet_send(*, actor, authorization, packet, channel: str = Channel.PRINT):
    """Check the disclosure of the packet to the authorization's payer (its
    Part 2 recipient, never another) and enter it in the accounting. Returns
    the Disclosure; raises DisclosureRefused (audited, nothing recorded) or
    ApplicationError (no recipient linked, bad input; nothing recorded)."""
    episode = authorization.episode
    patient = authorization.patient
    require(
        actor,
        "authorization.review",
        organization_id=episode.organization_id,
        program_id=episode.program_id,
        action=Action.DISCLOSE,
    )
    require(
        actor,
        "disclosure.make",
        organization_id=episode.organization_id,
        program_id=episode.program_id,
        action=Action.DISCLOSE,
    )
    recipient = payer_recipient(authorization)
    if channel not in CHANNELS:
        raise ApplicationError.for_field("channel", "Choose how the packet is sent.")
    categories = packet_categories(packet)
    label = authorization.number or "requested"
    try:
        with transaction.atomic():
            consent = _consent_for(
                patient=patient,
                recipient=recipient,
                categories=categories,
                program_id=episode.program_id,
            )
            # the consent's row held until the disclosure is recorded: a
            # revocation at the same moment comes before or after it
            locked = Part2Consent.objects.select_for_update().get(pk=consent.pk)
            consent = disclosure_check(
                patient=patient, recipient=recipient, categories=categories, consent=locked
            )
            return disclosure_record(
                actor=actor,
                patient=patient,
                consent=consent,
                recipient=recipient,
                categories=categories,
                channel=channel,
                description=f"Concurrent review packet, authorization {label}",
                resource_count=1,
            )
    except DisclosureRefused as exc:
        disclosure_refused_audit(
            actor=actor,
            patient=patient,
            recipient=recipient,
            reason_code=exc.reason,
            channel=channel,
        )
        raise
