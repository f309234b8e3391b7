"""One-time links: a patient answers a questionnaire or checks in from their
phone without signing in. The token is random (256 bits), only its SHA-256 is
stored, it expires, and it works once: the submission that uses it and the
record it creates land in one transaction, or neither does."""

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from openiop.audit.models import Action
from openiop.audit.services import audit_record
from openiop.core.errors import ApplicationError, Conflict
from openiop.measures.models import (
    CheckInSource,
    Instrument,
    LinkPurpose,
    PatientLink,
    ResponseSource,
)
from openiop.measures.services.checkins import checkin_record
from openiop.measures.services.common import episode_for, require_on_patient
from openiop.measures.services.responses import response_record

MIN_HOURS, MAX_HOURS = 1, 168
UNAVAILABLE = (
    "This link has expired or has already been used. Ask your care team to send you a new one."
)


class LinkUnavailable(ApplicationError):
    """Unknown, expired, used or revoked: one message for all, revealing nothing."""

    status = 404
    code = "link_unavailable"

    def __init__(self):
        super().__init__(UNAVAILABLE)


def token_hash(token: str) -> str:
    return hashlib.sha256((token or "").encode()).hexdigest()


def link_create(
    *,
    actor,
    patient,
    purpose: str,
    instrument: Instrument | None = None,
    hours: int | None = None,
    episode=None,
) -> tuple[PatientLink, str]:
    """Make a link; returns it and the token, which is shown once and not kept."""
    require_on_patient(actor, patient, "measure.record")
    if purpose not in LinkPurpose.values:
        raise ApplicationError.for_field("purpose", "Choose a questionnaire or a check-in.")
    if purpose == LinkPurpose.QUESTIONNAIRE:
        if instrument is None:
            raise ApplicationError.for_field("instrument", "Choose the questionnaire to send.")
        if not instrument.is_active or instrument.organization_id not in (
            None,
            patient.organization_id,
        ):
            raise ApplicationError.for_field("instrument", "This instrument cannot be sent.")
    else:
        instrument = None
    hours = settings.MEASURES_LINK_HOURS if hours is None else hours
    if not isinstance(hours, int) or not MIN_HOURS <= hours <= MAX_HOURS:
        raise ApplicationError.for_field(
            "hours", f"A link can stay open {MIN_HOURS} to {MAX_HOURS} hours."
        )
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        link = PatientLink.objects.create(
            organization_id=patient.organization_id,
            patient=patient,
            episode=episode_for(patient, episode, actor=actor),
            purpose=purpose,
            instrument=instrument,
            token_hash=token_hash(token),
            expires_at=timezone.now() + dt.timedelta(hours=hours),
            created_by=actor,
        )
        audit_record(
            actor=actor,
            action=Action.CREATE,
            event="measure.link.create",
            obj=link,
            patient=patient,
            detail={"purpose": purpose, "hours": hours},
        )
    return link, token


def link_open(token: str) -> PatientLink:
    """The open link for a token, or LinkUnavailable (whatever the reason)."""
    if not token or len(token) > 100:
        raise LinkUnavailable()
    link = (
        PatientLink.objects.select_related("instrument", "episode__program__site", "patient")
        .filter(token_hash=token_hash(token))
        .first()
    )
    if link is None or link.state != "open":
        raise LinkUnavailable()
    return link


def _use(link: PatientLink) -> None:
    """Mark the link used, unless another submission got there first."""
    now = timezone.now()
    updated = PatientLink.objects.filter(
        pk=link.pk, used_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now
    ).update(used_at=now, updated_at=now)
    if not updated:
        raise LinkUnavailable()


def link_submit_answers(*, token: str, answers):
    """The patient's answers to the link's questionnaire. Bad answers raise
    AnswerError and leave the link usable; a second submission is refused."""
    link = link_open(token)
    if link.purpose != LinkPurpose.QUESTIONNAIRE:
        raise LinkUnavailable()
    with transaction.atomic():
        _use(link)
        response = response_record(
            actor=None,
            patient=link.patient,
            instrument=link.instrument,
            answers=answers,
            episode=_current(link),
            source=ResponseSource.PATIENT_LINK,
        )
        _audit_use(link)
    return response


def link_submit_checkin(*, token: str, **values):
    link = link_open(token)
    if link.purpose != LinkPurpose.CHECKIN:
        raise LinkUnavailable()
    with transaction.atomic():
        _use(link)
        checkin = checkin_record(
            actor=None,
            patient=link.patient,
            episode=_current(link),
            source=CheckInSource.LINK,
            **values,
        )
        _audit_use(link)
    return checkin


def _current(link: PatientLink):
    """The link's episode while it is open; after a discharge or a transfer, the
    patient's current one (None: `episode_for` picks it)."""
    if link.episode_id and link.episode.is_open:
        return link.episode
    return None


def _audit_use(link: PatientLink) -> None:
    from openiop.measures.services.common import PATIENT_VIA_LINK

    audit_record(
        actor=None,
        action=Action.UPDATE,
        event="measure.link.use",
        obj=link,
        patient=link.patient,
        changed_fields=["used_at"],
        actor_name=PATIENT_VIA_LINK,
    )


def link_revoke(*, actor, link: PatientLink) -> PatientLink:
    require_on_patient(actor, link.patient, "measure.record", Action.UPDATE)
    if link.state != "open":
        raise Conflict("This link is no longer open.")
    with transaction.atomic():
        link.revoked_at = timezone.now()
        link.save(update_fields=["revoked_at", "updated_at"])
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            event="measure.link.revoke",
            obj=link,
            patient=link.patient,
            changed_fields=["revoked_at"],
        )
    return link
