"""Routes of the charge pages: the list and the confirmation (billing.view,
billing.charge: the program director and billing), voiding a day's charges
(billing.manage: billing only). The day voided is a billed day of patient A
in program A, made on first use."""

from tests.matrix.common import page

READERS = {"director_a", "readonly_a"}
CHARGERS = {"director_a", "readonly_a"}
VOIDERS = {"readonly_a"}


def billed_day(c):
    if hasattr(c, "_billed_day"):
        return c._billed_day
    from django.utils import timezone

    from openiop.billing.services.charges import charges_create
    from tests.billing_charges_helpers import per_diem_world

    w = per_diem_world(c, days=1)
    charges_create(organization=c.org, through=timezone.localdate())
    c._billed_day = w.days[0]
    return c._billed_day


MATRIX = {
    ("billing/charges/", "charges"): (
        "get",
        lambda c: "/billing/charges/",
        None,
        page(READERS),
    ),
    ("billing/charges/create/", "charges_create"): (
        "get",
        lambda c: "/billing/charges/create/",
        None,
        page(CHARGERS),
    ),
    ("billing/charges/days/<uuid:day_uuid>/void/", "charge_void"): (
        "get",
        lambda c: f"/billing/charges/days/{billed_day(c).uuid}/void/",
        None,
        page(VOIDERS),
    ),
}
