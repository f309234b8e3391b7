"""Calendar feed links: a secret URL per patient or staff member, revocable.
Only the token's SHA-256 is kept; the URL is shown once, when it is made."""

import hashlib
import secrets

from django.db import transaction
from django.utils import timezone

from openiop.access.services import require
from openiop.audit.models import Action
from openiop.audit.services import audit_record
from openiop.core.errors import ApplicationError, PermissionDenied
from openiop.scheduling.models import CalendarFeed

PREFIX = "cal_"
MAX_ACTIVE = 5


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_token() -> str:
    return PREFIX + secrets.token_urlsafe(32)


def feed_create_for_patient(*, actor, patient, label: str = "") -> tuple[CalendarFeed, str]:
    require(
        actor,
        "calendar.share",
        organization_id=patient.organization_id,
        program_id=_share_program(actor, patient),
        action=Action.CREATE,
    )
    return _create(actor, organization_id=patient.organization_id, patient=patient, label=label)


def _share_program(actor, patient):
    from openiop.access.scope import grant
    from openiop.care.models import Episode

    programs = grant(actor, "calendar.share").program_ids
    return (
        Episode.objects.filter(patient=patient, program_id__in=programs)
        .values_list("program_id", flat=True)
        .first()
    )


def feed_create_for_self(
    *, actor, organization_id: int, label: str = ""
) -> tuple[CalendarFeed, str]:
    return _create(actor, organization_id=organization_id, user=actor, label=label)


def _create(actor, *, organization_id, patient=None, user=None, label=""):
    label = (label or "").strip()[:80] or "My calendar app"
    active = CalendarFeed.objects.filter(patient=patient, user=user, revoked_at__isnull=True)
    if active.count() >= MAX_ACTIVE:
        raise ApplicationError.for_field(
            "label", f"At most {MAX_ACTIVE} links at a time; revoke one you no longer use."
        )
    token = _new_token()
    with transaction.atomic():
        feed = CalendarFeed.objects.create(
            organization_id=organization_id,
            patient=patient,
            user=user,
            label=label,
            prefix=token[:12],
            token_hash=_hash(token),
            created_by=actor,
        )
        audit_record(
            actor=actor,
            action=Action.CREATE,
            event="calendar_feed.create",
            obj=feed,
            patient=patient,
            organization_id=organization_id,
        )
    return feed, token


def feed_revoke(*, actor, feed: CalendarFeed) -> None:
    if feed.user_id != actor.pk:
        if feed.patient is None:
            raise PermissionDenied("Only its owner may revoke a staff member's feed.")
        require(
            actor,
            "calendar.share",
            organization_id=feed.organization_id,
            program_id=_share_program(actor, feed.patient),
            action=Action.UPDATE,
        )
    if feed.revoked_at is not None:
        return
    with transaction.atomic():
        feed.revoked_at = timezone.now()
        feed.save(update_fields=["revoked_at", "updated_at"])
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            event="calendar_feed.revoke",
            obj=feed,
            patient=feed.patient,
            organization_id=feed.organization_id,
        )


def feed_lookup(token: str) -> CalendarFeed | None:
    """The live feed a token opens (None for unknown or revoked tokens)."""
    if not token.startswith(PREFIX) or len(token) > 80:
        return None
    feed = (
        CalendarFeed.objects.select_related("patient", "user")
        .filter(token_hash=_hash(token), revoked_at__isnull=True)
        .first()
    )
    if feed is not None:
        CalendarFeed.objects.filter(pk=feed.pk).update(last_used_at=timezone.now())
    return feed
