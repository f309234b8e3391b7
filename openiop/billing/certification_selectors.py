"""Reads of Medicare certifications: the one in effect on a date, when the
next one is due (with a warning 7 days before), and the organization's list
of certifications due or overdue for its Medicare patients.

The due date: while a signed certification covers today, the day after the
last day signed for; otherwise the day coverage lapsed (the day after the last
signed day before today), or the admission when none was ever signed."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Case, DateField, Exists, F, Max, OuterRef, Q, When

from openiop.access.scope import grant
from openiop.billing.medicare import RECERTIFICATION_WARNING_DAYS
from openiop.billing.models import Certification, CertificationStatus
from openiop.care.models import Episode, EpisodeStatus
from openiop.patients.models import Coverage, PayerType

SIGNED = CertificationStatus.SIGNED
DUE_LIST_DAYS = 14


@dataclass(frozen=True)
class Due:
    on: dt.date
    days_left: int
    current: Certification | None

    @property
    def overdue(self) -> bool:
        return self.days_left < 0

    @property
    def warn(self) -> bool:
        return self.days_left <= RECERTIFICATION_WARNING_DAYS

    @property
    def initial(self) -> bool:
        """Nothing signed yet covers the episode: the first certification is due."""
        return self.current is None


def current_certification(episode, on: dt.date) -> Certification | None:
    """The signed certification of `episode` covering `on` (at most one: spans never overlap)."""
    return (
        Certification.objects.filter(
            episode=episode, status=SIGNED, covers_from__lte=on, covers_through__gte=on
        )
        .order_by("-covers_from")
        .first()
    )


def current_certifications(episode_ids, on: dt.date) -> dict[int, Certification]:
    """The certification in effect on `on` per episode id, for many episodes (one query)."""
    rows = Certification.objects.filter(
        episode_id__in=list(episode_ids), status=SIGNED, covers_from__lte=on, covers_through__gte=on
    )
    return {c.episode_id: c for c in rows}


def due_from(admitted_on: dt.date, signed: list, today: dt.date) -> Due:
    """The due date from an episode's admission and its signed certifications."""
    current = next((c for c in signed if c.covers_from <= today <= c.covers_through), None)
    if current is not None:
        on = max(c.covers_through for c in signed) + dt.timedelta(days=1)
    else:
        past = [c.covers_through for c in signed if c.covers_through < today]
        on = max(past) + dt.timedelta(days=1) if past else admitted_on
    return Due(on=on, days_left=(on - today).days, current=current)


def recertification_due(episode, today: dt.date) -> Due | None:
    """When the episode's next certification is due; None once it is discharged."""
    if episode.status != EpisodeStatus.ACTIVE:
        return None
    signed = list(Certification.objects.filter(episode=episode, status=SIGNED))
    return due_from(episode.admitted_on, signed, today)


def episode_certifications(*, actor, episode):
    """The certifications of an episode the actor may see, newest first."""
    return (
        Certification.objects.for_patient(actor, episode.patient)
        .filter(episode=episode)
        .select_related("signed_by", "created_by")
        .order_by("-covers_from", "-id")
    )


def medicare_coverage_q(today: dt.date) -> Q:
    """Episodes whose patient has Medicare coverage on `today`."""
    active = (
        Coverage.objects.filter(patient=OuterRef("patient_id"))
        .filter(Q(payer__kind=PayerType.MEDICARE) | Q(payer_type=PayerType.MEDICARE))
        .filter(Q(starts_on__isnull=True) | Q(starts_on__lte=today))
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today))
    )
    return Q(Exists(active))


def certifications_due(*, actor, today: dt.date, within: int = DUE_LIST_DAYS):
    """Open episodes of Medicare patients whose certification is due within
    `within` days or overdue, in the programs where the actor may see
    certifications, soonest first. A queryset (the page paginates it); each row
    has `covered`, `last_through` and `lapsed_through` for `due_of`."""
    g = grant(actor, "certification.view")
    if not g:
        return Episode.objects.none()
    signed = Certification.objects.filter(episode=OuterRef("pk"), status=SIGNED)
    horizon = today + dt.timedelta(days=within)
    qs = (
        Episode.objects.filter(Episode.objects.all().scope_q(g))
        .filter(status=EpisodeStatus.ACTIVE)
        .filter(medicare_coverage_q(today))
        .annotate(
            covered=Exists(signed.filter(covers_from__lte=today, covers_through__gte=today)),
            last_through=Max(
                "certifications__covers_through", filter=Q(certifications__status=SIGNED)
            ),
            lapsed_through=Max(
                "certifications__covers_through",
                filter=Q(certifications__status=SIGNED, certifications__covers_through__lt=today),
            ),
        )
        .filter(
            Q(covered=True, last_through__lt=horizon)
            | Q(covered=False, lapsed_through__isnull=False)
            | Q(covered=False, lapsed_through__isnull=True, admitted_on__lte=horizon)
        )
        .annotate(
            due_key=Case(
                When(covered=True, then=F("last_through")),
                When(lapsed_through__isnull=False, then=F("lapsed_through")),
                default=F("admitted_on"),
                output_field=DateField(),
            )
        )
        .select_related("patient", "program")
        .order_by("due_key", "patient__legal_family_name", "pk")
    )
    return qs


def due_of(row, today: dt.date) -> Due:
    """The due date of a row of `certifications_due` (no query)."""
    if row.covered:
        on = row.last_through + dt.timedelta(days=1)
    elif row.lapsed_through is not None:
        on = row.lapsed_through + dt.timedelta(days=1)
    else:
        on = row.admitted_on
    return Due(on=on, days_left=(on - today).days, current=None)
