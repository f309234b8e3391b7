"""Billing pages: the worklist of held days by reason, one day with every check
and its fix, overrides and write-offs, a program's re-check, and a clinician's
own held days."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from openiop.access.scope import can, scope_for
from openiop.billing import worklist
from openiop.billing.checks import BY_CODE, NOT_OVERRIDABLE
from openiop.billing.day_models import BillingDay, DayStatus
from openiop.billing.models import Payer
from openiop.billing.services import days as day_services
from openiop.core.decorators import requires
from openiop.core.errors import ApplicationError
from openiop.core.pagination import paginate
from openiop.organizations.models import Program


def _paged(request, qs):
    """A page of days: the page's ids ordered from the index alone, then those
    25 rows (sorting whole rows, with their checks, over a month is slow)."""
    page = paginate(request, qs.values_list("pk", flat=True))
    rows = qs.in_bulk(list(page.object_list))
    page.object_list = [rows[pk] for pk in page.object_list if pk in rows]
    return page


def _rows(page) -> list:
    """Each day of the page with its failing checks and where each is fixed."""
    return [
        (d, [(c, BY_CODE[c["code"]], worklist.fix_link(d, c)) for c in d.failing])
        for d in page.object_list
    ]


def _organization_id(user):
    ids = sorted(scope_for(user).organization_ids)
    if not ids:
        raise Http404("No organization.")
    return ids[0]


@requires("billing.view")
def worklist_page(request):
    org_id = _organization_id(request.user)
    f = worklist.parse_filters(request.user, org_id, request.GET)
    if f.ignored:
        messages.warning(request, "That program is not one you may see; showing yours.")
    page = _paged(request, worklist.worklist_days(request.user, f))
    rows = _rows(page)
    return render(
        request,
        "billing/days_worklist.html",
        {
            "page": page,
            "rows": rows,
            "f": f,
            "counts": worklist.counts(request.user, f),
            "programs": Program.objects.visible_to(request.user, "view").filter(
                organization_id=org_id
            ),
            "payers": Payer.objects.filter(organization_id=org_id),
            "statuses": DayStatus.choices,
            "checks": BY_CODE.values(),
            "can_recheck": can(request.user, "billing.charge"),
        },
    )


def _day(request, day_uuid, action="view") -> BillingDay:
    day = (
        BillingDay.objects.visible_to(request.user, action)
        .select_related("patient", "program", "episode", "payer", "authorization", "rule")
        .filter(uuid=day_uuid)
        .first()
    )
    if day is None:
        raise Http404("No such day, or not one you may see.")
    return day


@requires("billing.view")
def day_detail(request, day_uuid):
    day = _day(request, day_uuid)
    checks = [
        (c, BY_CODE[c["code"]], worklist.fix_link(day, c) if c["ok"] is False else "")
        for c in day.checks
    ]
    manage = can(
        request.user,
        "billing.manage",
        organization_id=day.organization_id,
        program_id=day.program_id,
    )
    return render(
        request,
        "billing/days_detail.html",
        {
            "day": day,
            "checks": checks,
            "overridable": [
                (c["code"], BY_CODE[c["code"]].label)
                for c in day.failing
                if c["code"] not in NOT_OVERRIDABLE
            ],
            "overrides": day.overrides.select_related("created_by"),
            "charges": day.charges.all(),
            "can_manage": manage and day.status in (DayStatus.HELD, DayStatus.READY),
            "can_reopen": manage and day.status == DayStatus.WRITTEN_OFF,
            "bill_type": _bill_type(day),
        },
    )


def _act(request, day_uuid, do):
    day = _day(request, day_uuid)
    try:
        do(day)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("billing:day", day_uuid=day.uuid)


def _bill_type(day) -> str:
    """The type of bill an institutional claim for the day carries ('' for professional)."""
    from openiop.billing.models import BillingProfile

    if day.rule is None or not day.rule.condition_code:
        return ""
    profile = BillingProfile.objects.filter(organization_id=day.organization_id).first()
    return profile.bill_type if profile else ""


@require_POST
@requires("billing.view")
def day_recheck(request, day_uuid):
    def do(day):
        day_services.day_recheck(actor=request.user, day=day)
        messages.success(request, "Checked again from the record.")

    return _act(request, day_uuid, do)


@require_POST
@requires("billing.manage")
def day_override(request, day_uuid):
    def do(day):
        day_services.day_override(
            actor=request.user,
            day=day,
            check_code=request.POST.get("check", ""),
            reason=request.POST.get("reason", ""),
        )
        messages.success(request, "Override recorded.")

    return _act(request, day_uuid, do)


@require_POST
@requires("billing.manage")
def day_write_off(request, day_uuid):
    def do(day):
        day_services.day_write_off(actor=request.user, day=day, reason=request.POST.get("reason"))
        messages.success(request, "Written off.")

    return _act(request, day_uuid, do)


@require_POST
@requires("billing.manage")
def day_reopen(request, day_uuid):
    def do(day):
        day_services.day_reopen(actor=request.user, day=day, reason=request.POST.get("reason"))
        messages.success(request, "Reopened and checked again from the record.")

    return _act(request, day_uuid, do)


@require_POST
@requires("billing.charge")
def program_recheck(request):
    org_id = _organization_id(request.user)
    f = worklist.parse_filters(request.user, org_id, request.POST)
    if f.program is None or not can(
        request.user, "billing.charge", organization_id=org_id, program_id=f.program.pk
    ):
        messages.error(request, "Choose a program to check again.")
    else:
        out = day_services.days_evaluate(
            organization=f.program.organization,
            start=f.start,
            end=f.end,
            program=f.program,
            actor=request.user,
        )
        messages.success(
            request, f"{out['days']} days checked again: {out['ready']} ready, {out['held']} held."
        )
    program = f.program.uuid if f.program else ""
    return redirect(f"{reverse('billing:worklist')}?program={program}")


@requires("caseload.view")
def my_held_days(request):
    page = _paged(request, worklist.my_held_days(request.user))
    return render(request, "billing/days_mine.html", {"page": page, "rows": _rows(page)})


urlpatterns = [
    path("", worklist_page, name="worklist"),
    path("recheck/", program_recheck, name="program_recheck"),
    path("mine/", my_held_days, name="mine"),
    path("days/<uuid:day_uuid>/", day_detail, name="day"),
    path("days/<uuid:day_uuid>/recheck/", day_recheck, name="day_recheck"),
    path("days/<uuid:day_uuid>/override/", day_override, name="day_override"),
    path("days/<uuid:day_uuid>/write-off/", day_write_off, name="day_write_off"),
    path("days/<uuid:day_uuid>/reopen/", day_reopen, name="day_reopen"),
]
