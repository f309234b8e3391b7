"""A held day made ready in Chromium: the billing user sees a day held for an
unsigned group note and a used-up authorization, the clinician signs the note
on its page, the intake coordinator renews the authorization and records the
payer's approval, and the billing user sees the day ready.

Run with `.venv/bin/python -m pytest -m e2e tests/e2e/test_billing_browser.py`.
"""

import datetime as dt
import os
import re

import pytest

try:
    from playwright.sync_api import Page, expect
except ImportError:  # keep the default (non-browser) run collectable without it
    if os.environ.get("CI", "").lower() == "true":
        raise
    pytest.skip("the playwright package is not installed", allow_module_level=True)

from openiop.audit.models import AuditEvent
from openiop.billing.day_models import BillingDay, DayStatus
from openiop.billing.models import Authorization
from openiop.billing.services.days import days_evaluate
from openiop.scheduling.models import NoteStatus
from tests.billing_helpers import ready_week
from tests.factories import PASSWORD

pytestmark = pytest.mark.e2e


@pytest.fixture
def held(transactional_db, cast):
    """Last week's Monday, Wednesday and Thursday: the authorization (2 days,
    ending on Wednesday) is used up by Monday and Wednesday; Thursday's group
    note is still a draft. Thursday is held for both."""
    w = ready_week(cast)
    auth = w.authorization
    auth.units = auth.requested_units = 2
    auth.ends_on = w.days[1]
    auth.save(update_fields=["units", "requested_units", "ends_on"])
    note = w.notes[2]
    note.status, note.signed_by = NoteStatus.DRAFT, None
    note.save(update_fields=["status", "signed_by"])
    days_evaluate(organization=cast.org, start=w.monday, end=w.monday + dt.timedelta(days=6))
    w.day = BillingDay.objects.get(date=w.days[2])
    assert w.day.status == DayStatus.HELD
    assert w.day.held_for == ",notes,authorization,"
    return w


def sign_in(page: Page, username: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/$"))


def test_a_held_day_is_made_ready_by_signing_the_note_and_renewing_the_authorization(
    new_page, held, cast
):
    w = held
    thursday = f"{w.days[2]:%a %b} {w.days[2].day}"
    mrn = w.episode.patient.mrn

    # 1. billing sees the day held, with both reasons and where each is fixed
    billing = new_page()
    sign_in(billing, "billing.a")
    billing.goto("/billing/")
    row = billing.get_by_role("row").filter(has_text=thursday).filter(has_text=mrn)
    expect(row).to_contain_text("Held")
    expect(row).to_contain_text("IOP group block at 09:00: note not signed.")
    expect(row).to_contain_text("No approved authorization")
    expect(row.get_by_role("link", name=re.compile("signed note"))).to_have_attribute(
        "href", f"/scheduling/sessions/{w.sessions[2].uuid}/"
    )
    expect(row.get_by_role("link", name=re.compile("authorization covers"))).to_have_attribute(
        "href", f"/billing/episodes/{w.episode.uuid}/authorizations/"
    )
    assert "Synthetic individual part" not in billing.content()  # no clinical narrative
    row.get_by_role("link", name=thursday).click()
    expect(billing.get_by_role("heading", level=1)).to_contain_text(mrn)
    expect(billing.get_by_text("Held", exact=True)).to_be_visible()

    # 2. the clinician follows the link to the session, opens the note and signs it
    clinician = new_page()
    sign_in(clinician, "clin.a")
    clinician.goto(f"/scheduling/sessions/{w.sessions[2].uuid}/")
    clinician.get_by_role("link", name=re.compile(r"Group note \(draft\)")).click()
    clinician.get_by_role("button", name="Sign", exact=True).click()
    expect(clinician.get_by_role("status")).to_contain_text("Note signed.")

    # 3. the intake coordinator renews the authorization and records the approval
    intake = new_page()
    sign_in(intake, "intake")
    intake.goto(f"/billing/episodes/{w.episode.uuid}/authorizations/")
    old = intake.locator(f"#a-{w.authorization.uuid}")
    expect(old).to_contain_text("2 of 2 used")
    old.get_by_role("link", name="Renew").click()
    expect(intake.get_by_role("heading", level=1)).to_have_text("Request the renewal")
    expect(intake.get_by_label("First day")).to_have_value(w.days[2].isoformat())
    intake.get_by_label("Days or units requested").fill("12")
    intake.get_by_role("button", name="Save").click()
    expect(intake.get_by_role("status")).to_contain_text("Renewal requested.")
    renewal = Authorization.objects.get(previous=w.authorization)
    intake.locator(f"#a-{renewal.uuid}").get_by_role("link", name="Decision").click()
    intake.get_by_role("radio", name="Approved", exact=True).check()
    intake.get_by_label("Authorization number").fill("AUTH-SYN-2")
    intake.get_by_label("Days or units approved").fill("12")
    intake.get_by_role("button", name="Save").click()
    expect(intake.get_by_role("status")).to_contain_text("Decision recorded.")
    expect(intake.locator(f"#a-{renewal.uuid}")).to_contain_text("1 of 12 used")

    # 4. billing sees the day ready: judged again once each change was committed
    billing.reload()
    expect(billing.get_by_text("Ready to bill", exact=True)).to_be_visible()
    expect(billing.get_by_text("AUTH-SYN-2").first).to_be_visible()
    billing.goto("/billing/?status=ready")
    expect(
        billing.get_by_role("row").filter(has_text=thursday).filter(has_text=mrn)
    ).to_contain_text("Ready to bill")
    billing.goto("/billing/")
    expect(billing.get_by_role("row").filter(has_text=thursday)).to_have_count(0)

    day = BillingDay.objects.get(pk=w.day.pk)
    assert day.status == DayStatus.READY and day.authorization_id == renewal.pk
    assert AuditEvent.objects.filter(event="note.sign").count() == 1
    assert AuditEvent.objects.filter(event="authorization.decide").count() == 1
    assert clinician.console_errors == [] and intake.console_errors == []
    assert billing.console_errors == []
