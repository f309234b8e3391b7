"""Authorizations and utilization review: a request to a payer, its decision,
changes to it, its renewal and its expiry.

Of two authorizations for the same episode, payer and level of care, no two
that are not denied may cover the same day: the episode's row is locked while
the spans are compared, so two requests at once cannot both pass the check.
What is used of an authorization is never typed: it is counted from billable
days (`billing.selectors.authorization_used`). After every change the episode's
open days are evaluated again once the change is committed.
"""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from openiop.audit.models import Action
from openiop.audit.services import audit_record
from openiop.billing.models import (
    AUTHORIZED,
    Authorization,
    AuthorizationStatus,
    Payer,
    UnitKind,
)
from openiop.billing.services.authorization_checks import (
    DECISIONS,
    UNSET,
    check_coverage,
    check_next_review,
    check_not_renewed,
    check_number,
    check_overlap,
    check_payer,
    check_reviewer,
    check_span,
    check_units,
    clean_text,
    lock_authorization,
    lock_episode,
    recheck,
    require_manage,
)
from openiop.care.models import EpisodeStatus
from openiop.core.clock import organization_today
from openiop.core.errors import ApplicationError
from openiop.core.transitions import transition
from openiop.organizations.levels import LEVELS


def authorization_create(
    *,
    actor,
    episode,
    payer: Payer,
    level_of_care: str,
    requested_units: int,
    starts_on: dt.date,
    ends_on: dt.date,
    unit_kind: str = UnitKind.DAYS,
    reviewer=None,
    payer_reviewer: str = "",
    without_coverage: bool = False,
    previous: Authorization | None = None,
) -> Authorization:
    """Record a request for authorization sent to the payer (status requested)."""
    require_manage(actor, episode)
    if episode.status == EpisodeStatus.ENTERED_IN_ERROR:
        raise ApplicationError("This episode was entered in error: nothing can be authorized.")
    check_payer(payer, episode)
    if level_of_care not in LEVELS:
        raise ApplicationError.for_field("level_of_care", "Choose a level of care.")
    if unit_kind not in UnitKind.values:
        raise ApplicationError.for_field("unit_kind", "Choose days or units.")
    requested_units = check_units("requested_units", requested_units, minimum=1)
    check_span(episode, starts_on, ends_on)
    check_reviewer(reviewer, episode)
    payer_reviewer = clean_text(payer_reviewer, 150, "payer_reviewer")
    with transaction.atomic():
        locked = lock_episode(episode)
        check_span(locked, starts_on, ends_on)
        check_overlap(locked.pk, payer.pk, level_of_care, starts_on, ends_on)
        check_coverage(locked, payer, starts_on, ends_on, without_coverage)
        if previous is not None:
            check_not_renewed(previous)
        auth = Authorization.objects.create(
            organization_id=locked.organization_id,
            episode=locked,
            patient_id=locked.patient_id,
            payer=payer,
            level_of_care=level_of_care,
            unit_kind=unit_kind,
            requested_units=requested_units,
            starts_on=starts_on,
            ends_on=ends_on,
            reviewer=reviewer,
            payer_reviewer=payer_reviewer,
            previous=previous,
            status=AuthorizationStatus.REQUESTED,
        )
        audit_record(
            actor=actor,
            action=Action.CREATE,
            event="authorization.renew" if previous else "authorization.create",
            obj=auth,
            patient=locked.patient,
            changed_fields=[
                "payer",
                "level_of_care",
                "unit_kind",
                "requested_units",
                "starts_on",
                "ends_on",
                "reviewer",
                "payer_reviewer",
                *(["previous"] if previous else []),
            ],
            detail={"without_coverage": True} if without_coverage else None,
        )
        recheck([locked.pk])
    return auth


def authorization_decide(
    *,
    actor,
    authorization: Authorization,
    decision: str,
    number: str = "",
    units: int | None = None,
    starts_on: dt.date | None = None,
    ends_on: dt.date | None = None,
    next_review_on: dt.date | None = None,
) -> Authorization:
    """Record the payer's answer to a request: approved or partially approved
    (with the authorization number and the units), or denied. The payer may
    approve other dates than those requested."""
    require_manage(actor, authorization.episode, Action.UPDATE)
    status = DECISIONS.get(decision)
    if status is None:
        raise ApplicationError.for_field(
            "decision", "Choose approved, partially approved or denied."
        )
    with transaction.atomic():
        episode, auth = lock_authorization(authorization)
        if auth.status != AuthorizationStatus.REQUESTED:
            raise ApplicationError.for_field(
                "decision",
                f"This authorization was already decided ({auth.get_status_display().lower()}).",
            )
        starts_on = starts_on or auth.starts_on
        ends_on = ends_on or auth.ends_on
        number = check_number(number, auth.payer_id, auth.patient_id, exclude=auth.pk)
        values: dict = {"starts_on": starts_on, "ends_on": ends_on, "number": number}
        if (starts_on, ends_on) != (auth.starts_on, auth.ends_on):
            check_span(episode, starts_on, ends_on)
        if status == AuthorizationStatus.DENIED:
            values.update(units=0, next_review_on=None)
        else:
            if not number:
                raise ApplicationError.for_field("number", "Give the payer's authorization number.")
            units = check_units("units", units, minimum=1)
            check_span(episode, starts_on, ends_on)
            check_next_review(next_review_on, starts_on, ends_on)
            if (
                status == AuthorizationStatus.PARTIAL
                and units >= auth.requested_units
                and (starts_on, ends_on) == (auth.starts_on, auth.ends_on)
            ):
                raise ApplicationError.for_field(
                    "units",
                    "Everything requested was approved: record it as approved, or give the "
                    "units or dates the payer approved.",
                )
            check_overlap(
                episode.pk, auth.payer_id, auth.level_of_care, starts_on, ends_on, exclude=auth.pk
            )
            values.update(units=units, next_review_on=next_review_on)
        transition(auth, to=status, from_=AuthorizationStatus.REQUESTED, **values)
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            event="authorization.decide",
            obj=auth,
            patient=episode.patient,
            changed_fields=["status", *values],
            detail={"decision": str(status)},
        )
        recheck([episode.pk])
    return auth


def authorization_update(
    *,
    actor,
    authorization: Authorization,
    starts_on: dt.date | None = None,
    ends_on: dt.date | None = None,
    units: int | None = None,
    next_review_on=UNSET,
    reviewer=UNSET,
    payer_reviewer=UNSET,
) -> Authorization:
    """Change the dates, the units (authorized, or requested while pending), the
    next concurrent review date, the reviewer or the payer's contact."""
    require_manage(actor, authorization.episode, Action.UPDATE)
    with transaction.atomic():
        episode, auth = lock_authorization(authorization)
        if auth.status not in (AuthorizationStatus.REQUESTED, *AUTHORIZED):
            raise ApplicationError(
                f"A {auth.get_status_display().lower()} authorization is not changed: "
                "request a renewal instead."
            )
        starts_on = starts_on or auth.starts_on
        ends_on = ends_on or auth.ends_on
        check_span(episode, starts_on, ends_on)
        changes: dict = {}
        if (starts_on, ends_on) != (auth.starts_on, auth.ends_on):
            check_overlap(
                episode.pk, auth.payer_id, auth.level_of_care, starts_on, ends_on, exclude=auth.pk
            )
            changes.update(starts_on=starts_on, ends_on=ends_on)
        if units is not None:
            field = "units" if auth.is_authorized else "requested_units"
            units = check_units(field, units, minimum=1)
            if units != getattr(auth, field):
                changes[field] = units
        if next_review_on is not UNSET:
            if next_review_on is not None and not auth.is_authorized:
                raise ApplicationError.for_field(
                    "next_review_on", "Concurrent reviews follow an approval."
                )
            check_next_review(next_review_on, starts_on, ends_on)
            if next_review_on != auth.next_review_on:
                changes["next_review_on"] = next_review_on
        elif auth.next_review_on and "ends_on" in changes:
            check_next_review(auth.next_review_on, starts_on, ends_on)
        if reviewer is not UNSET:
            check_reviewer(reviewer, episode)
            if (reviewer.pk if reviewer else None) != auth.reviewer_id:
                changes["reviewer"] = reviewer
        if payer_reviewer is not UNSET:
            payer_reviewer = clean_text(payer_reviewer, 150, "payer_reviewer")
            if payer_reviewer != auth.payer_reviewer:
                changes["payer_reviewer"] = payer_reviewer
        if not changes:
            return auth
        for name, value in changes.items():
            setattr(auth, name, value)
        auth.save(update_fields=[*changes, "updated_at"])
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            event="authorization.update",
            obj=auth,
            patient=episode.patient,
            changed_fields=list(changes),
        )
        recheck([episode.pk])
    return auth


def authorization_renew(
    *,
    actor,
    previous: Authorization,
    requested_units: int,
    starts_on: dt.date | None = None,
    ends_on: dt.date | None = None,
    reviewer=UNSET,
    payer_reviewer: str | None = None,
    without_coverage: bool = False,
) -> Authorization:
    """Request the continuation of an authorization: a new request of the same
    payer, level and kind of units, from the day after it ends by default."""
    if previous.status not in (*AUTHORIZED, AuthorizationStatus.EXPIRED):
        raise ApplicationError(
            "Only an approved or expired authorization is renewed: a pending request is "
            "decided first, a denied one requested again."
        )
    check_not_renewed(previous)
    starts_on = starts_on or previous.ends_on + dt.timedelta(days=1)
    if ends_on is None and isinstance(starts_on, dt.date):
        ends_on = starts_on + (previous.ends_on - previous.starts_on)
    return authorization_create(
        actor=actor,
        episode=previous.episode,
        payer=previous.payer,
        level_of_care=previous.level_of_care,
        unit_kind=previous.unit_kind,
        requested_units=requested_units,
        starts_on=starts_on,
        ends_on=ends_on,
        reviewer=previous.reviewer if reviewer is UNSET else reviewer,
        payer_reviewer=previous.payer_reviewer if payer_reviewer is None else payer_reviewer,
        without_coverage=without_coverage,
        previous=previous,
    )


def authorizations_expire(*, organization_id=None, today: dt.date | None = None) -> int:
    """Mark approved authorizations whose last day has passed as expired (for the
    worker, nightly). Idempotent: a second run finds nothing to do. Returns how
    many expired."""
    from openiop.organizations.models import Organization

    orgs = Organization.objects.all()
    if organization_id is not None:
        orgs = orgs.filter(pk=organization_id)
    done = 0
    for org_id in orgs.values_list("pk", flat=True):
        day = today or organization_today(org_id)
        due = list(
            Authorization.objects.filter(
                organization_id=org_id, status__in=AUTHORIZED, ends_on__lt=day
            )
            .select_related("patient")
            .order_by("id")
        )
        for auth in due:
            with transaction.atomic():
                moved = Authorization.objects.filter(pk=auth.pk, status__in=AUTHORIZED).update(
                    status=AuthorizationStatus.EXPIRED, updated_at=timezone.now()
                )
                if not moved:
                    continue  # someone else moved it first
                auth.status = AuthorizationStatus.EXPIRED
                audit_record(
                    actor=None,
                    actor_name="openiop authorizations expire",
                    action=Action.UPDATE,
                    event="authorization.expire",
                    obj=auth,
                    patient=auth.patient,
                    changed_fields=["status"],
                )
                recheck([auth.episode_id])
                done += 1
    return done
