"""Routes of the payer pages: payers and their rule sets, the billing profile.

`payer.view`: administrators, program directors, intake coordinators and
billing staff (in a program or organization-wide); `payer.manage`: billing
staff and administrators, organization-wide only (the cast's billing member,
`readonly_a`, holds it in program A alone, so may read but not change).
"""

from tests.matrix.common import page

PAYER_READERS = {"admin", "director_a", "intake", "readonly_a"}
PAYER_MANAGERS = {"admin"}


def payer(c):
    if hasattr(c, "_payer"):
        return c._payer
    from openiop.billing.models import Payer

    c._payer = Payer.objects.create(
        organization=c.org, name="Matrix Health Plan", kind="commercial"
    )
    return c._payer


MATRIX = {
    ("billing/payers/", "payers"): ("get", lambda c: "/billing/payers/", None, page(PAYER_READERS)),
    ("billing/payers/new/", "payer_new"): (
        "get",
        lambda c: "/billing/payers/new/",
        None,
        page(PAYER_MANAGERS),
    ),
    ("billing/payers/<uuid:payer_uuid>/", "payer"): (
        "get",
        lambda c: f"/billing/payers/{payer(c).uuid}/",
        None,
        page(PAYER_READERS),
    ),
    ("billing/payers/<uuid:payer_uuid>/edit/", "payer_edit"): (
        "get",
        lambda c: f"/billing/payers/{payer(c).uuid}/edit/",
        None,
        page(PAYER_MANAGERS),
    ),
    ("billing/payers/<uuid:payer_uuid>/rules/", "payer_rules"): (
        "get",
        lambda c: f"/billing/payers/{payer(c).uuid}/rules/",
        None,
        page(PAYER_MANAGERS),
    ),
    ("billing/profile/", "profile"): (
        "get",
        lambda c: "/billing/profile/",
        None,
        page(PAYER_READERS),
    ),
}
