"""What the services of the clinical record share: permission on an episode,
dates, and the revision check that refuses lost updates."""

import datetime as dt
import zoneinfo

from django.db.models import F
from django.utils import timezone

from openiop.access.services import require
from openiop.audit.models import Action
from openiop.core.errors import ApplicationError, Conflict


def require_on(actor, episode, permission: str, action=Action.UPDATE) -> None:
    require(
        actor,
        permission,
        organization_id=episode.organization_id,
        program_id=episode.program_id,
        action=action,
    )


def require_open(episode) -> None:
    if not episode.is_open:
        raise ApplicationError("This episode is closed; its record can no longer be changed.")


def text(data: dict, field: str, *, required: str | None = None, limit: int = 5000) -> str:
    value = (data.get(field) or "").strip()
    if required and not value:
        raise ApplicationError.for_field(field, required)
    if len(value) > limit:
        raise ApplicationError.for_field(field, f"Keep this under {limit} characters.")
    return value


def a_date(value, field: str, message: str) -> dt.date:
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        raise ApplicationError.for_field(field, message)
    return value


def local_time(moment: dt.datetime, episode) -> str:
    """A moment in the program site's time zone, e.g. '2026-03-04 14:05 PST'."""
    try:
        zone = zoneinfo.ZoneInfo(episode.program.site.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo("UTC")
    return timezone.localtime(moment, zone).strftime("%Y-%m-%d %H:%M %Z")


def expected_revision(value) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ApplicationError.for_field(
            "revision", "Say which revision of the plan this change was made from."
        ) from None
    if number < 1:
        raise ApplicationError.for_field("revision", "A revision is a number from 1.")
    return number


def bump(model, obj, expected, actor, *, what: str = "plan", **extra) -> None:
    """Count one change of `obj`, made from revision `expected`.

    A conditional UPDATE: it changes the row only if the revision is still the
    one the edit was made from, so of two concurrent edits of the same
    revision exactly one wins (on PostgreSQL the second waits for the first's
    row lock, then sees the new revision). The caller runs it first in its
    transaction, so a refusal leaves nothing written.
    """
    expected = expected_revision(expected)
    now = timezone.now()
    updated = model.objects.filter(pk=obj.pk, revision=expected, **extra).update(
        revision=F("revision") + 1, changed_by=actor, changed_at=now, updated_at=now
    )
    if updated == 1:
        obj.revision, obj.changed_by, obj.changed_at = expected + 1, actor, now
        return
    fresh = model.objects.select_related("changed_by").get(pk=obj.pk)
    if fresh.revision == expected:  # the row exists at that revision: `extra` failed
        raise ApplicationError(f"This {what} can no longer be changed.")
    who = fresh.changed_by.get_display_name() if fresh.changed_by else "someone"
    when = local_time(fresh.changed_at, obj.episode) if fresh.changed_at else "just now"
    message = (
        f"{who} changed this {what} at {when} (revision {fresh.revision}), after the "
        f"revision {expected} you were editing. Your change was not saved: reload to see "
        f"theirs, then make yours again."
    )
    raise Conflict(message, fields={"revision": [message]})
