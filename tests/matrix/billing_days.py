"""Routes of the billable days: the worklist and one day (billing and the
program director), a program's re-check, overrides and write-offs (billing
only), and a clinician's own held days."""

import datetime as dt

from tests.matrix.common import EVERYONE

VIEWERS = {"readonly_a", "director_a"}  # billing.view in program A
MANAGERS = {"readonly_a"}  # billing.manage
CASELOAD = {"clinician_a", "clinician_b", "director_a", "prescriber_a"}


def expect(ok: dict, *, default=403) -> dict:
    return {who: (302 if who is None else ok.get(who, default)) for who in EVERYONE}


def each(members, status) -> dict:
    return dict.fromkeys(members, status)


def day(c):
    if not hasattr(c, "_billing_day"):
        from openiop.billing.day_models import BillingDay

        c._billing_day = BillingDay.objects.create(
            organization=c.org,
            program=c.program_a,
            episode=c.episode_a,
            patient=c.patient_a,
            date=dt.date(2026, 11, 2),
            week=dt.date(2026, 11, 2),
        )
    return c._billing_day


DAY = "billing/days/<uuid:day_uuid>/"

MATRIX = {
    ("billing/", "worklist"): ("get", lambda c: "/billing/", None, expect(each(VIEWERS, 200))),
    ("billing/recheck/", "program_recheck"): (
        "post",
        lambda c: "/billing/recheck/",
        None,
        expect(each(VIEWERS, 302)),
    ),
    ("billing/mine/", "mine"): (
        "get",
        lambda c: "/billing/mine/",
        None,
        expect(each(CASELOAD, 200)),
    ),
    (DAY, "day"): (
        "get",
        lambda c: f"/billing/days/{day(c).uuid}/",
        None,
        expect({**each(VIEWERS, 200), "clinician_b": 403}),
    ),
    (DAY + "recheck/", "day_recheck"): (
        "post",
        lambda c: f"/billing/days/{day(c).uuid}/recheck/",
        None,
        expect(each(VIEWERS, 302)),
    ),
    (DAY + "override/", "day_override"): (
        "post",
        lambda c: f"/billing/days/{day(c).uuid}/override/",
        None,
        expect(each(MANAGERS, 302)),
    ),
    (DAY + "reopen/", "day_reopen"): (
        "post",
        lambda c: f"/billing/days/{day(c).uuid}/reopen/",
        None,
        expect(each(MANAGERS, 302)),
    ),
    (DAY + "write-off/", "day_write_off"): (
        "post",
        lambda c: f"/billing/days/{day(c).uuid}/write-off/",
        None,
        expect(each(MANAGERS, 302)),
    ),
}
