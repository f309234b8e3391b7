"""The billing worklist: held days by reason, per program and payer, and where
each reason is fixed. Reads go through `visible_to`; the counts by reason are
one aggregate query."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q
from django.urls import NoReverseMatch, reverse

from openiop.billing.checks import BY_CODE, CHECKS
from openiop.billing.day_models import BillingDay, DayStatus
from openiop.billing.models import Payer
from openiop.core.clock import organization_today
from openiop.organizations.models import Program

WINDOW_DAYS = 35


@dataclass
class Filters:
    program: Program | None = None
    payer: Payer | None = None
    status: str = DayStatus.HELD
    reason: str = ""
    start: dt.date | None = None
    end: dt.date | None = None
    ignored: bool = False  # a program asked for that the person may not see


def parse_filters(actor, organization_id, params) -> Filters:
    """Filters from a query string; anything unknown is ignored (a list page)."""
    f = Filters()
    programs = Program.objects.visible_to(actor, "view")
    if params.get("program"):
        f.program = programs.filter(uuid=_uuid(params["program"])).first()
        f.ignored = f.program is None
    if params.get("payer"):
        f.payer = Payer.objects.filter(
            organization_id=organization_id, uuid=_uuid(params["payer"])
        ).first()
    if params.get("status") in {*DayStatus.values, "all"}:
        f.status = params["status"]
    if params.get("reason") in BY_CODE:
        f.reason = params["reason"]
    today = organization_today(organization_id)
    f.end = _date(params.get("to")) or today
    f.start = _date(params.get("from")) or f.end - dt.timedelta(days=WINDOW_DAYS)
    return f


def _uuid(value):
    import uuid

    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def _date(value):
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def scoped_days(actor, f: Filters):
    qs = BillingDay.objects.visible_to(actor, "view").filter(date__gte=f.start, date__lte=f.end)
    if f.program is not None:
        qs = qs.filter(program=f.program)
    if f.payer is not None:
        qs = qs.filter(payer=f.payer)
    return qs


def worklist_days(actor, f: Filters):
    qs = scoped_days(actor, f)
    if f.status != "all":
        qs = qs.filter(status=f.status)
    if f.reason:
        qs = qs.filter(held_for__contains=f",{f.reason},")
    # by day, then by what holds it: the order of the index that serves the page
    return qs.select_related("patient", "program", "payer", "episode").order_by(
        "date", "held_for", "pk"
    )


def counts(actor, f: Filters) -> dict:
    """Days by status, and held days by reason: two queries read from the index."""
    qs = scoped_days(actor, f)
    by_status = dict(
        qs.order_by().values_list("status").annotate(n=Count("pk")).values_list("status", "n")
    )
    row = qs.filter(status=DayStatus.HELD).aggregate(
        **{
            f"reason_{c.code}": Count("pk", filter=Q(held_for__contains=f",{c.code},"))
            for c in CHECKS
        },
    )
    by_reason = [(c, row[f"reason_{c.code}"]) for c in CHECKS if row[f"reason_{c.code}"]]
    biggest = max((n for _c, n in by_reason), default=0)
    return {
        "status": {s: by_status.get(s, 0) for s in DayStatus.values},
        "reasons": [(c, n, round(100 * n / biggest) if biggest else 0) for c, n in by_reason],
    }


def fix_link(day: BillingDay, check: dict) -> str:
    """Where the failing check is fixed, one click away."""
    code = check["code"]
    try:
        if check.get("session"):
            return reverse("scheduling:session", args=[check["session"]])
        if code == "diagnosis":
            return reverse("plans:diagnoses", args=[day.episode.uuid])
        if code == "authorization":
            return reverse("billing:episode_authorizations", args=[day.episode.uuid])
        if code == "certification":
            return reverse("billing:episode_certifications", args=[day.episode.uuid])
        if code == "rule" and day.payer_id:
            return reverse("billing:payer", args=[day.payer.uuid])
    except NoReverseMatch:
        pass
    return reverse("patients:chart", args=[day.patient.uuid])


def my_held_days(actor):
    """Held days of the episodes the clinician carries, for their dashboard."""
    from openiop.care.models import Episode

    mine = Episode.objects.visible_to(actor, "view").filter(primary_clinician=actor)
    return (
        BillingDay.objects.filter(episode__in=mine, status=DayStatus.HELD)
        .select_related("patient", "program", "payer", "episode")
        .order_by("date", "pk")
    )


def dashboard_billing(user, ctx: dict) -> None:
    """The dashboard's card: a clinician's own held days; billing's held and ready days."""
    from openiop.access.scope import can

    if can(user, "caseload.view"):
        ctx["billing_mine"] = my_held_days(user).count()
        if ctx["billing_mine"]:
            ctx["sections"].add("billing")
    if can(user, "billing.view"):
        ctx["billing_counts"] = BillingDay.objects.visible_to(user, "view").aggregate(
            held=Count("pk", filter=Q(status=DayStatus.HELD)),
            ready=Count("pk", filter=Q(status=DayStatus.READY)),
        )
        ctx["sections"].add("billing")
