"""Reads of authorizations: what is used and left (counted from billable days,
never typed), the warnings of utilization review, the lists and the concurrent
review worklist. Every read goes through `visible_to`.

Warnings (one rule each, in Python for a row and in SQL for the list's filter;
a test holds the two together):

- `units_80`: 80% or more of the authorized units used;
- `over`: more used than authorized (shown in red, never hidden);
- `ending`: the last authorized day is 7 days away or fewer;
- `review`: the next concurrent review is overdue, or due within 3 days.
"""

import datetime as dt
from dataclasses import dataclass

from django.db.models import F, IntegerField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from openiop.billing.day_models import BILLABLE_STATUSES, BillingDay
from openiop.billing.models import AUTHORIZED, Authorization
from openiop.billing.selectors import authorization_used

USED_WARN_PERCENT = 80
ENDING_DAYS = 7
REVIEW_SOON_DAYS = 3

WARNINGS = [
    ("units_80", f"{USED_WARN_PERCENT}% or more of the units used"),
    ("over", "More used than authorized"),
    ("ending", f"Ends within {ENDING_DAYS} days"),
    ("review", "Concurrent review due or overdue"),
]


@dataclass(frozen=True)
class AuthWarning:
    code: str
    level: str  # "warn" or "bad" (the badge class)
    text: str


@dataclass(frozen=True)
class Standing:
    used: int
    authorized: int
    warnings: tuple[AuthWarning, ...]

    @property
    def remaining(self) -> int:
        return max(self.authorized - self.used, 0)

    @property
    def over(self) -> int:
        return max(self.used - self.authorized, 0)

    @property
    def percent(self) -> int | None:
        if not self.authorized:
            return None
        return round(self.used * 100 / self.authorized)

    @property
    def codes(self) -> set[str]:
        return {w.code for w in self.warnings}


def standing(auth: Authorization, used: int, today: dt.date) -> Standing:
    """Used, remaining and the warnings of one authorization."""
    authorized = auth.units if auth.status in AUTHORIZED else 0
    warnings = []
    if used > auth.units:
        warnings.append(
            AuthWarning(
                "over", "bad", f"{used - auth.units} more used than authorized ({auth.units})"
            )
        )
    if auth.status in AUTHORIZED and auth.units:
        if used * 100 >= auth.units * USED_WARN_PERCENT and used <= auth.units:
            warnings.append(
                AuthWarning(
                    "units_80", "warn", f"{round(used * 100 / auth.units)}% of the units used"
                )
            )
        left = (auth.ends_on - today).days
        if 0 <= left <= ENDING_DAYS:
            words = "today" if left == 0 else f"in {left} day{'s' if left != 1 else ''}"
            warnings.append(AuthWarning("ending", "warn", f"Ends {words}"))
    if auth.status in AUTHORIZED and auth.next_review_on:
        late = (today - auth.next_review_on).days
        if late > 0:
            warnings.append(AuthWarning("review", "bad", f"Review overdue by {late} d"))
        elif late >= -REVIEW_SOON_DAYS:
            words = "today" if late == 0 else f"in {-late} d"
            warnings.append(AuthWarning("review", "warn", f"Review due {words}"))
    return Standing(used=used, authorized=authorized, warnings=tuple(warnings))


def with_standing(auths, today: dt.date) -> list[Authorization]:
    """The authorizations, each with `.standing` (one query for what is used)."""
    auths = list(auths)
    used = authorization_used(a.pk for a in auths)
    for a in auths:
        a.standing = standing(a, used.get(a.pk, 0), today)
    return auths


def _used_subquery():
    """What `authorization_used` counts, as a column (for filtering the list)."""
    days = (
        BillingDay.objects.filter(authorization=OuterRef("pk"), status__in=BILLABLE_STATUSES)
        .order_by()
        .values("authorization")
        .annotate(total=Sum("units"))
        .values("total")
    )
    return Coalesce(Subquery(days, output_field=IntegerField()), Value(0))


def warning_q(code: str, today: dt.date) -> Q:
    """The rows carrying warning `code` (the list is annotated with `used`)."""
    authorized = Q(status__in=AUTHORIZED)
    if code == "over":
        return Q(used__gt=F("units"))
    if code == "units_80":
        return (
            authorized
            & Q(units__gt=0)
            & Q(used__lte=F("units"))
            & Q(used_x100__gte=F("units") * USED_WARN_PERCENT)
        )
    if code == "ending":
        return authorized & Q(
            ends_on__gte=today, ends_on__lte=today + dt.timedelta(days=ENDING_DAYS)
        )
    if code == "review":
        return authorized & Q(next_review_on__lte=today + dt.timedelta(days=REVIEW_SOON_DAYS))
    return Q()


def authorization_list(*, actor, today: dt.date, status="", payer=None, program=None, warning=""):
    """The organization's (or a program's) authorizations the actor may see,
    filtered, with the patient, payer and program for the rows."""
    qs = Authorization.objects.visible_to(actor, "view").select_related(
        "patient", "payer", "episode__program", "reviewer"
    )
    if status:
        qs = qs.filter(status=status)
    if payer is not None:
        qs = qs.filter(payer=payer)
    if program is not None:
        qs = qs.filter(episode__program=program)
    if warning in dict(WARNINGS):
        qs = qs.annotate(used=_used_subquery()).annotate(used_x100=F("used") * 100)
        qs = qs.filter(warning_q(warning, today))
    return qs.order_by("ends_on", "id")


def episode_authorizations(*, actor, episode, today: dt.date) -> list[Authorization]:
    """Every authorization of an episode the actor may see, newest first, with standing."""
    rows = (
        Authorization.objects.for_patient(actor, episode.patient)
        .filter(episode=episode)
        .select_related("payer", "reviewer", "previous")
        .order_by("-starts_on", "-id")
    )
    return with_standing(rows, today)


def review_worklist(*, actor, today: dt.date, reviewer=None):
    """Approved authorizations with a next concurrent review date, soonest first:
    of one reviewer, or (reviewer None) everyone's the actor may see."""
    qs = (
        Authorization.objects.visible_to(actor, "view")
        .filter(status__in=AUTHORIZED, next_review_on__isnull=False)
        .select_related("patient", "payer", "episode__program", "reviewer")
    )
    if reviewer is not None:
        qs = qs.filter(reviewer=reviewer)
        return qs.order_by("next_review_on", "id")
    return qs.order_by(
        F("reviewer__display_name").asc(nulls_last=True), "reviewer_id", "next_review_on", "id"
    )
