"""The one disclosure gate (42 CFR Part 2): whether a party outside the program
may have this information of this patient today, and under which consent.

Every outside path asks here: a FHIR read, search, page or `$everything`
(`interop.access.Reader.open`), a downloaded or printed release
(`consent.release`). The decision itself (`decide`) is a pure function of the
patient's consents, so a search over many patients decides each one exactly
as a read of one would, from one query.
"""

import datetime as dt

from django.db.models import Q

from openiop.consent.models import (
    SHORT_LABELS,
    ConsentStatus,
    ExternalRecipient,
    Information,
    Part2Consent,
    RecipientScope,
)
from openiop.core.clock import organization_today
from openiop.core.errors import ApplicationError

NOTES = Information.COUNSELING_NOTES


class DisclosureRefused(ApplicationError):
    """No active consent covers this recipient and this information. `reason`
    says which rule refused it; "no_consent" means no consent of the patient
    reaches the recipient at all (an outside reader is not told the patient
    exists, 42 CFR 2.13(c))."""

    status = 403
    code = "consent_required"

    def __init__(self, message: str, *, reason: str):
        super().__init__(message)
        self.reason = reason


def _labels(categories) -> str:
    return ", ".join(SHORT_LABELS.get(c, c) for c in categories)


def reaches(consent: Part2Consent, recipient: ExternalRecipient) -> bool:
    """Whether the consent names this recipient (or its class)."""
    if consent.organization_id != recipient.organization_id:
        return False
    if consent.recipient_scope == RecipientScope.NAMED:
        return consent.recipient_id == recipient.pk
    return consent.recipient_scope == RecipientScope.TPO and recipient.tpo_eligible


def _reaching_q(recipient: ExternalRecipient) -> Q:
    q = Q(recipient_scope=RecipientScope.NAMED, recipient=recipient)
    if recipient.tpo_eligible:
        q |= Q(recipient_scope=RecipientScope.TPO)
    return Q(organization_id=recipient.organization_id) & q


def consents_reaching(recipient: ExternalRecipient):
    """Every consent (any state) that names this recipient or its class."""
    return (
        Part2Consent.objects.filter(_reaching_q(recipient))
        .select_related("recipient", "expiry_episode")
        .order_by("-signed_on", "-id")
    )


def decide(candidates, *, recipient: ExternalRecipient, categories, today: dt.date) -> Part2Consent:
    """The consent among `candidates` (one patient's, newest first) that allows
    disclosing `categories` to `recipient` on `today`; or DisclosureRefused."""
    categories = list(dict.fromkeys(categories))
    who = recipient.name
    if not recipient.is_active:
        raise DisclosureRefused(
            f"{who} is deactivated as a recipient.", reason="recipient_inactive"
        )
    candidates = [c for c in candidates if reaches(c, recipient)]
    if not candidates:
        raise DisclosureRefused(f"No consent from this patient names {who}.", reason="no_consent")
    live = [c for c in candidates if c.state(today) == "active"]
    if not live:
        c = candidates[0]
        if c.state(today) == "revoked":
            raise DisclosureRefused(
                f"The patient revoked the consent of {c.signed_on:%Y-%m-%d} on "
                f"{c.revoked_on:%Y-%m-%d}; nothing may be disclosed under it.",
                reason="revoked",
            )
        ended = c.expires_effective_on
        how = " at the patient's discharge" if ended != c.expires_on else ""
        raise DisclosureRefused(
            f"The consent of {c.signed_on:%Y-%m-%d} expired{how} on {ended:%Y-%m-%d}.",
            reason="expired",
        )
    if NOTES in categories and not any(c.categories == [NOTES] for c in live):
        raise DisclosureRefused(
            "SUD counseling notes are disclosed only under a consent for them alone; a "
            "general consent does not cover them.",
            reason="notes_separate",
        )
    for c in live:
        if c.covers(categories):
            return c
    best = live[0]
    missing = [x for x in categories if x not in best.categories]
    raise DisclosureRefused(
        f"The consent of {best.signed_on:%Y-%m-%d} does not cover {_labels(missing)}.",
        reason="not_covered",
    )


def disclosure_check(
    *,
    patient,
    recipient: ExternalRecipient,
    categories,
    consent: Part2Consent | None = None,
    today=None,
) -> Part2Consent:
    """The consent that allows disclosing `categories` of the patient's records to
    `recipient` today (`consent`: only that one), or DisclosureRefused with the
    reason in words."""
    today = today or organization_today(recipient.organization_id)
    if consent is not None:
        if consent.patient_id != patient.pk:
            raise DisclosureRefused("That consent is not this patient's.", reason="not_covered")
        if not reaches(consent, recipient):
            if consent.recipient_scope == RecipientScope.NAMED:
                raise DisclosureRefused(
                    f"That consent names {consent.recipient.name}, not {recipient.name}.",
                    reason="not_covered",
                )
            raise DisclosureRefused(
                f"That consent covers treating providers and payers; {recipient.name} is neither.",
                reason="not_covered",
            )
        candidates = [consent]
    else:
        candidates = list(consents_reaching(recipient).filter(patient_id=patient.pk))
    return decide(candidates, recipient=recipient, categories=categories, today=today)


def disclosable(*, recipient: ExternalRecipient, categories, today=None) -> dict[int, Part2Consent]:
    """Patient id -> the consent that allows disclosing `categories` to the
    recipient today, for every patient it may be told about (one query)."""
    today = today or organization_today(recipient.organization_id)
    if not recipient.is_active:
        return {}
    by_patient: dict[int, list] = {}
    rows = consents_reaching(recipient).filter(status=ConsentStatus.ACTIVE)
    for c in rows:
        by_patient.setdefault(c.patient_id, []).append(c)
    out = {}
    for patient_id, consents in by_patient.items():
        try:
            out[patient_id] = decide(
                consents, recipient=recipient, categories=categories, today=today
            )
        except DisclosureRefused:
            continue
    return out
