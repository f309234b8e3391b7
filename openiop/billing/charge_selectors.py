"""Reads of the charge pages: the lines a person may see, filtered, with their
totals; the programs and payers to filter by. Codes, amounts, dates and the
patient's name and MRN only: nothing clinical."""

from django.apps import apps
from django.db.models import Count, Q, Sum

from openiop.access.querysets import organizations_reached
from openiop.access.scope import grant
from openiop.billing.day_models import BillingDay, Charge, ChargeKind
from openiop.billing.models import Payer


def programs_for(actor, permission: str = "billing.view"):
    g = grant(actor, permission)
    if not g:
        return apps.get_model("organizations", "Program").objects.none()
    return (
        apps.get_model("organizations", "Program")
        .objects.filter(Q(organization_id__in=g.organization_ids) | Q(id__in=g.program_ids))
        .order_by("name")
    )


def organizations_for(actor, permission: str = "billing.charge"):
    g = grant(actor, permission)
    if not g:
        return apps.get_model("organizations", "Organization").objects.none()
    return (
        apps.get_model("organizations", "Organization")
        .objects.filter(pk__in=organizations_reached(g))
        .order_by("pk")
    )


def payers_for(actor):
    orgs = organizations_for(actor, "billing.view").values("pk")
    return Payer.objects.filter(organization_id__in=orgs).order_by("name")


def charge_list(*, actor, program=None, payer=None, date_from=None, date_to=None, kind: str = ""):
    """Charge lines the actor may see, newest service date first."""
    rows = Charge.objects.visible_to(actor, "view")
    if program is not None:
        rows = rows.filter(program=program)
    if payer is not None:
        rows = rows.filter(payer=payer)
    if date_from is not None:
        rows = rows.filter(service_date__gte=date_from)
    if date_to is not None:
        rows = rows.filter(service_date__lte=date_to)
    if kind in ChargeKind.values:
        rows = rows.filter(kind=kind)
    return rows


def charge_rows(queryset):
    """The list's page query: with what a line shows, and only that."""
    return (
        queryset.select_related("patient", "program", "payer", "day")
        .only(
            "uuid",
            "kind",
            "round",
            "line",
            "service_date",
            "code",
            "revenue_code",
            "units",
            "amount",
            "tier",
            "participants",
            "condition_code",
            "patient_id",
            "patient__uuid",
            "patient__legal_given_name",
            "patient__legal_family_name",
            "patient__preferred_name",
            "patient__mrn",
            "program__name",
            "payer__name",
            "day__uuid",
            "day__status",
            "day__round",
        )
        .order_by("-service_date", "-day_id", "round", "line", "kind")
    )


def charge_totals(queryset) -> dict:
    """Lines, charged, voided and net for the filtered lines (one query)."""
    t = queryset.aggregate(
        lines=Count("id"),
        charged=Sum("amount", filter=Q(kind=ChargeKind.CHARGE)),
        voided=Sum("amount", filter=Q(kind=ChargeKind.VOID)),
        net=Sum("amount"),
    )
    return {k: (v if v is not None else 0) for k, v in t.items()}


def day_for_void(*, actor, day_uuid):
    """A billed day the actor may void, with its current round's lines; None
    when out of reach."""
    day = (
        BillingDay.objects.visible_to(actor, "manage")
        .select_related("patient", "program", "payer")
        .filter(uuid=day_uuid)
        .first()
    )
    if day is None:
        return None, []
    lines = list(
        Charge.objects.filter(day=day, round=day.round, kind=ChargeKind.CHARGE).order_by("line")
    )
    return day, lines
