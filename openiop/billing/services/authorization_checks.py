"""Authorizations: the checks a request, decision, change or renewal passes,
and who may make them (the services are in `authorizations.py`)."""

import datetime as dt

from django.db.models import Q

from openiop.access.permissions import PERMISSIONS
from openiop.access.services import require
from openiop.accounts.models import Membership, User
from openiop.audit.models import Action
from openiop.billing.models import (
    Authorization,
    AuthorizationStatus,
)
from openiop.care.models import Episode
from openiop.core.clock import organization_today
from openiop.core.errors import ApplicationError
from openiop.patients.models import Coverage

MAX_SPAN_DAYS = 366
MAX_AHEAD_DAYS = 366  # how far ahead an authorization may start
MAX_UNITS = 5000
DECISIONS = {
    "approved": AuthorizationStatus.APPROVED,
    "partial": AuthorizationStatus.PARTIAL,
    "denied": AuthorizationStatus.DENIED,
}
# whoever may read the concurrent review packet may be an authorization's reviewer
REVIEWER_ROLES = tuple(sorted(PERMISSIONS["authorization.review"]))
UNSET = object()


# --- who and what ------------------------------------------------------------


def reviewer_choices(program):
    """Active staff who may review the program's authorizations (a role of the
    care team in the program, or organization-wide), by name."""
    ids = Membership.objects.filter(
        Q(program=program) | Q(program__isnull=True, organization_id=program.organization_id),
        is_active=True,
        role__in=REVIEWER_ROLES,
        user__is_active=True,
    ).values("user_id")
    return User.objects.filter(id__in=ids).order_by("display_name", "username")


def require_manage(actor, episode, action=Action.CREATE) -> None:
    """`authorization.manage` where the episode is (its program, or the whole
    organization): a role in another program of the patient is not enough."""
    require(
        actor,
        "authorization.manage",
        organization_id=episode.organization_id,
        program_id=episode.program_id,
        action=action,
    )


def check_reviewer(reviewer, episode) -> None:
    if reviewer is None:
        return
    if not reviewer_choices(episode.program).filter(pk=reviewer.pk).exists():
        raise ApplicationError.for_field(
            "reviewer",
            "Choose a reviewer from the program's care team (director, clinician, "
            "prescriber or intake coordinator).",
        )


def check_payer(payer, episode) -> None:
    if payer is None or payer.organization_id != episode.organization_id:
        raise ApplicationError.for_field("payer", "Choose one of the organization's payers.")
    if not payer.is_active:
        raise ApplicationError.for_field(
            "payer", f"{payer.name} is no longer active: choose an active payer."
        )


def has_coverage(patient, payer, starts_on: dt.date, ends_on: dt.date) -> bool:
    """Whether the patient has coverage with the payer on file for part of the span."""
    return (
        Coverage.objects.filter(patient=patient, payer=payer)
        .filter(Q(starts_on__isnull=True) | Q(starts_on__lte=ends_on))
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=starts_on))
        .exists()
    )


def check_coverage(episode, payer, starts_on, ends_on, without_coverage: bool) -> None:
    if without_coverage or has_coverage(episode.patient, payer, starts_on, ends_on):
        return
    raise ApplicationError.for_field(
        "payer",
        f"The patient has no coverage with {payer.name} on file for these dates. Add the "
        "coverage first, or tick 'No coverage on file yet' to request anyway.",
    )


def check_span(episode, starts_on, ends_on) -> None:
    if not isinstance(starts_on, dt.date):
        raise ApplicationError.for_field("starts_on", "Give the first day authorized.")
    if not isinstance(ends_on, dt.date):
        raise ApplicationError.for_field("ends_on", "Give the last day authorized.")
    if ends_on < starts_on:
        raise ApplicationError.for_field("ends_on", "The last day cannot be before the first day.")
    if (ends_on - starts_on).days + 1 > MAX_SPAN_DAYS:
        raise ApplicationError.for_field(
            "ends_on", f"An authorization covers at most {MAX_SPAN_DAYS} days."
        )
    if starts_on < episode.admitted_on:
        raise ApplicationError.for_field(
            "starts_on",
            f"The first day cannot be before the admission ({episode.admitted_on:%Y-%m-%d}).",
        )
    horizon = organization_today(episode.organization_id) + dt.timedelta(days=MAX_AHEAD_DAYS)
    if starts_on > horizon:
        raise ApplicationError.for_field(
            "starts_on", "An authorization starts within a year of today."
        )
    if episode.discharged_on and starts_on > episode.discharged_on:
        raise ApplicationError.for_field(
            "starts_on",
            f"The first day cannot be after the discharge ({episode.discharged_on:%Y-%m-%d}).",
        )


def check_units(field: str, value, *, minimum: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        what = "at least 1" if minimum else "0 or more"
        raise ApplicationError.for_field(field, f"Give the number of days or units: {what}.")
    if value > MAX_UNITS:
        raise ApplicationError.for_field(field, f"At most {MAX_UNITS} days or units.")
    return value


def check_next_review(next_review_on, starts_on, ends_on) -> None:
    if next_review_on is None:
        return
    if not starts_on <= next_review_on <= ends_on:
        raise ApplicationError.for_field(
            "next_review_on",
            "The next concurrent review falls within the authorized dates.",
        )


def check_overlap(episode_id, payer_id, level, starts_on, ends_on, *, exclude=None) -> None:
    """Refuse a span covering a day of another authorization (not denied) of the
    same episode, payer and level. Call with the episode locked."""
    clash = (
        Authorization.objects.filter(
            episode_id=episode_id,
            payer_id=payer_id,
            level_of_care=level,
            starts_on__lte=ends_on,
            ends_on__gte=starts_on,
        )
        .exclude(status=AuthorizationStatus.DENIED)
        .exclude(pk=exclude)
        .order_by("starts_on")
        .first()
    )
    if clash is not None:
        label = clash.number or "a pending request"
        raise ApplicationError.for_field(
            "starts_on",
            f"These dates overlap authorization {label} of the same payer and level "
            f"({clash.starts_on:%Y-%m-%d} to {clash.ends_on:%Y-%m-%d}): change the dates, "
            "or change that authorization.",
        )


def check_number(number: str, payer_id, patient_id, exclude=None) -> str:
    number = (number or "").strip()
    if len(number) > 50:
        raise ApplicationError.for_field(
            "number", "An authorization number has at most 50 characters."
        )
    if number:
        taken = (
            Authorization.objects.filter(payer_id=payer_id, number=number)
            .exclude(patient_id=patient_id)
            .exclude(status=AuthorizationStatus.DENIED)
            .exclude(pk=exclude)
            .exists()
        )
        if taken:
            raise ApplicationError.for_field(
                "number",
                "This payer's authorization number is already recorded for another patient: "
                "check the number.",
            )
    return number


def lock_episode(episode) -> Episode:
    """The episode's row, locked until the transaction ends: authorizations of an
    episode are changed one at a time."""
    return Episode.objects.select_for_update().get(pk=episode.pk)


def lock_authorization(authorization) -> tuple[Episode, Authorization]:
    episode = lock_episode(authorization.episode)
    fresh = (
        Authorization.objects.select_for_update(of=("self",))
        .select_related("payer", "patient", "previous")
        .get(pk=authorization.pk)
    )
    fresh.episode = episode
    return episode, fresh


def recheck(episode_ids) -> None:
    """Evaluate the episodes' open days again once this change is committed."""
    from openiop.billing.services.days import recheck_later

    recheck_later(episode_ids)


def check_not_renewed(previous) -> None:
    renewed = (
        Authorization.objects.filter(previous=previous)
        .exclude(status=AuthorizationStatus.DENIED)
        .exists()
    )
    if renewed:
        raise ApplicationError("This authorization has already been renewed.")


def clean_text(value, limit: int, field: str) -> str:
    value = (value or "").strip()
    if len(value) > limit:
        raise ApplicationError.for_field(field, f"At most {limit} characters.")
    return value


# --- writes ------------------------------------------------------------------
