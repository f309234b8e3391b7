"""Medicare IOP certifications: the care team drafts one (at least 9 hours of
services a week, why intensive outpatient care is needed, the days it
covers); a physician or qualified practitioner signs it, like a plan.

The span's length is data: the recertification interval of the patient's
Medicare rule for the program, 60 days when there is none. A certification
covers days from the day it is signed, never before; two signed
certifications of an episode never cover the same day; a signed one is
never edited (a recertification follows it)."""

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from openiop.access.scope import can
from openiop.accounts.models import StaffCredential
from openiop.audit.models import Action
from openiop.audit.services import audit_denied, audit_record
from openiop.billing.medicare import (
    CERTIFYING_LICENCES,
    DEFAULT_RECERTIFICATION_DAYS,
    MIN_WEEKLY_HOURS,
)
from openiop.billing.models import (
    BillingRule,
    Certification,
    CertificationKind,
    CertificationStatus,
)
from openiop.billing.rules import rule_for
from openiop.care.models import Episode
from openiop.care.plans.services.common import require_on, require_open
from openiop.core.errors import ApplicationError, PermissionDenied
from openiop.core.transitions import transition
from openiop.patients.models import Coverage, PayerType
from openiop.scheduling.localtime import today_in

MAX_WEEKLY_HOURS = Decimal("168")  # the hours in a week
MAX_STATEMENT = 5000
SIGNED = CertificationStatus.SIGNED
DRAFT = CertificationStatus.DRAFT
CERTIFIERS = ", ".join(sorted(CERTIFYING_LICENCES))

ATTESTATION = (
    "I certify that this patient needs intensive outpatient services of at least "
    "{hours} hours a week, for the reasons stated, from {start} through {end}, and that "
    "the services are furnished under an individualized written plan of treatment."
)


def attestation_for(certification) -> str:
    c = certification
    return ATTESTATION.format(
        hours=_hours_text(c.weekly_hours),
        start=f"{c.covers_from:%Y-%m-%d}",
        end=f"{c.covers_through:%Y-%m-%d}",
    )


def _hours_text(hours) -> str:
    return f"{Decimal(hours).normalize():f}"


def site_today(episode) -> dt.date:
    return today_in(episode.program.site.time_zone)


def medicare_payer(patient, on: dt.date):
    """The patient's Medicare payer (as billing knows it) with coverage on `on`, or None."""
    coverage = (
        Coverage.objects.filter(patient=patient, payer__kind=PayerType.MEDICARE)
        .filter(Q(starts_on__isnull=True) | Q(starts_on__lte=on))
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=on))
        .select_related("payer")
        .order_by("-is_primary", "pk")
        .first()
    )
    return coverage.payer if coverage is not None else None


def recertification_days(episode, on: dt.date) -> int:
    """Days one certification covers: the patient's Medicare rule for the
    program says (`BillingRule.recertification_days`), 60 when none does."""
    payer = medicare_payer(episode.patient, on)
    if payer is not None:
        rule = rule_for(BillingRule.objects.filter(payer=payer), episode.program)
        if rule is not None and rule.recertification_days:
            return rule.recertification_days
    return DEFAULT_RECERTIFICATION_DAYS


def _weekly_hours(value) -> Decimal:
    try:
        hours = Decimal(str(value).strip())
    except (InvalidOperation, ValueError, TypeError):
        raise ApplicationError.for_field(
            "weekly_hours", "Write the hours a week as a number, e.g. 9 or 12.5."
        ) from None
    if not hours.is_finite() or hours != hours.quantize(Decimal("0.1")):
        raise ApplicationError.for_field(
            "weekly_hours", "Write the hours a week with at most one decimal, e.g. 12.5."
        )
    if hours < MIN_WEEKLY_HOURS:
        raise ApplicationError.for_field(
            "weekly_hours",
            f"The Medicare IOP benefit needs a certified need of at least "
            f"{_hours_text(MIN_WEEKLY_HOURS)} hours of services a week; this says "
            f"{_hours_text(hours)}.",
        )
    if hours > MAX_WEEKLY_HOURS:
        raise ApplicationError.for_field("weekly_hours", "A week has 168 hours.")
    return hours


def _statement(value) -> str:
    text = (value or "").strip()
    if not text:
        raise ApplicationError.for_field(
            "statement", "Say why the patient needs intensive outpatient care."
        )
    if len(text) > MAX_STATEMENT:
        raise ApplicationError.for_field(
            "statement", f"Keep the statement under {MAX_STATEMENT} characters."
        )
    return text


MAX_AHEAD_DAYS = 90  # how far ahead a certification may be drafted


def _not_before_today(covers_from: dt.date, today: dt.date) -> None:
    if covers_from < today:
        raise ApplicationError.for_field(
            "covers_from",
            "A certification covers days from the day it is signed; it cannot start on "
            f"{covers_from:%Y-%m-%d}, before today ({today:%Y-%m-%d}). "
            "Start it today or later.",
        )
    if covers_from > today + dt.timedelta(days=MAX_AHEAD_DAYS):
        raise ApplicationError.for_field(
            "covers_from", f"A certification starts within {MAX_AHEAD_DAYS} days of today."
        )


def _no_overlap(episode, covers_from, covers_through, exclude_pk=None) -> None:
    other = (
        Certification.objects.filter(
            episode=episode,
            status=SIGNED,
            covers_from__lte=covers_through,
            covers_through__gte=covers_from,
        )
        .exclude(pk=exclude_pk)
        .order_by("covers_from")
        .first()
    )
    if other is not None:
        after = other.covers_through + dt.timedelta(days=1)
        raise ApplicationError.for_field(
            "covers_from",
            f"These days ({covers_from:%Y-%m-%d} to {covers_through:%Y-%m-%d}) overlap the "
            f"signed certification of {other.covers_from:%Y-%m-%d} to "
            f"{other.covers_through:%Y-%m-%d}; start on {after:%Y-%m-%d} or later.",
        )


def _kind(episode, exclude_pk=None) -> str:
    signed = Certification.objects.filter(episode=episode, status=SIGNED).exclude(pk=exclude_pk)
    return CertificationKind.RECERTIFICATION if signed.exists() else CertificationKind.INITIAL


def certification_draft(
    *, actor, episode, weekly_hours, statement, covers_from, certification=None
) -> Certification:
    """Draft a certification of `episode` (or change the draft `certification`)."""
    require_on(actor, episode, "certification.change", Action.UPDATE)
    require_open(episode)
    if certification is not None:
        if certification.episode_id != episode.pk:
            raise ApplicationError("This certification belongs to another episode.")
        if certification.status != DRAFT:
            raise ApplicationError(
                "A signed certification cannot be changed; draft a recertification instead."
            )
    hours = _weekly_hours(weekly_hours)
    text = _statement(statement)
    if isinstance(covers_from, dt.datetime) or not isinstance(covers_from, dt.date):
        raise ApplicationError.for_field("covers_from", "Give the first day it covers.")
    today = site_today(episode)
    _not_before_today(covers_from, today)
    if covers_from < episode.admitted_on:
        raise ApplicationError.for_field(
            "covers_from",
            f"A certification covers days of this episode, which began on "
            f"{episode.admitted_on:%Y-%m-%d}.",
        )
    days = recertification_days(episode, covers_from)
    covers_through = covers_from + dt.timedelta(days=days - 1)
    exclude = certification.pk if certification is not None else None
    _no_overlap(episode, covers_from, covers_through, exclude)
    values = {
        "kind": _kind(episode, exclude),
        "weekly_hours": hours,
        "statement": text,
        "covers_from": covers_from,
        "covers_through": covers_through,
    }
    with transaction.atomic():
        if certification is None:
            certification = Certification.objects.create(
                organization_id=episode.organization_id,
                episode=episode,
                patient_id=episode.patient_id,
                status=DRAFT,
                created_by=actor,
                **values,
            )
            action, event = Action.CREATE, "certification.draft"
        else:
            # a conditional update: a draft signed meanwhile is not changed
            transition(
                certification,
                to=DRAFT,
                from_=DRAFT,
                message="This certification was signed a moment ago; it can no longer be "
                "changed. Draft a recertification instead.",
                **values,
            )
            action, event = Action.UPDATE, "certification.change"
        audit_record(
            actor=actor,
            action=action,
            event=event,
            obj=certification,
            patient=episode.patient,
            changed_fields=list(values),
            detail={
                "kind": values["kind"],
                "covers_from": f"{covers_from:%Y-%m-%d}",
                "covers_through": f"{covers_through:%Y-%m-%d}",
                "recertification_days": days,
            },
        )
    return certification


def certifying_credentials(actor, episode, on: dt.date) -> tuple[list[str], list[str]]:
    """(every current licence of the actor at the program's site, those that may certify)."""
    site = episode.program.site
    held = sorted(
        set(
            StaffCredential.objects.valid_at(site, on)
            .filter(user=actor)
            .values_list("license_type", flat=True)
        )
    )
    return held, [c for c in held if c in CERTIFYING_LICENCES]


def may_sign(actor, episode) -> bool:
    """For the pages: the permission and a certifying licence (the service decides)."""
    if not can(
        actor,
        "certification.sign",
        organization_id=episode.organization_id,
        program_id=episode.program_id,
    ):
        return False
    return bool(certifying_credentials(actor, episode, site_today(episode))[1])


def certification_sign(*, actor, certification) -> Certification:
    """Sign a draft: the permission and a current licence of a physician or
    qualified practitioner; the days it covers start today or later and
    overlap no other signed certification of the episode."""
    episode = certification.episode
    require_on(actor, episode, "certification.sign", Action.UPDATE)
    require_open(episode)
    today = site_today(episode)
    held, certifying = certifying_credentials(actor, episode, today)
    if not certifying:
        audit_denied(actor=actor, event="certification.sign", action=Action.UPDATE)
        site = episode.program.site
        message = (
            f"{actor.get_display_name()} cannot sign this certification: it takes a current "
            f"licence of a physician or qualified practitioner ({CERTIFIERS}) valid in "
            f"{site.state}."
        )
        raise PermissionDenied(message)
    if certification.status != DRAFT:
        raise ApplicationError("This certification is already signed.")
    _not_before_today(certification.covers_from, today)
    with transaction.atomic():
        # one signer at a time per episode: the overlap check sees every signed one
        Episode.objects.select_for_update().filter(pk=episode.pk).first()
        now = timezone.now()
        kind = _kind(episode, certification.pk)
        transition(
            certification,
            to=SIGNED,
            from_=DRAFT,
            message="This certification was signed a moment ago by someone else.",
            kind=kind,
            signed_by=actor,
            signer_name=actor.get_display_name()[:150],
            credentials=", ".join(held)[:60],
            attestation=attestation_for(certification),
            signed_at=now,
        )
        _no_overlap(
            episode, certification.covers_from, certification.covers_through, certification.pk
        )
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            event="certification.sign",
            obj=certification,
            patient=episode.patient,
            changed_fields=[
                "status",
                "kind",
                "signed_by",
                "signer_name",
                "credentials",
                "attestation",
                "signed_at",
            ],
            detail={
                "kind": kind,
                "covers_from": f"{certification.covers_from:%Y-%m-%d}",
                "covers_through": f"{certification.covers_through:%Y-%m-%d}",
                "licences": certifying,
            },
        )
        _recheck_days_after_commit(episode.pk)
    return certification


def _recheck_days_after_commit(episode_id: int) -> None:
    """A signed certification can release held days: re-evaluate them once committed."""
    from openiop.billing.services.days import recheck_later

    recheck_later([episode_id])
