"""Measurement-based care in a real browser: a patient answers a PHQ-9 on their
phone through a one-time link, item 9 above 0 raises a safety alert that
reaches the clinician's dashboard, and the clinician acknowledges it.

Run with `.venv/bin/python -m pytest -m e2e tests/e2e/test_measures_browser.py`.
"""

import os
import re
from dataclasses import dataclass

import pytest

try:
    from playwright.sync_api import Page, expect
except ImportError:  # keep the default (non-browser) run collectable without it
    if os.environ.get("CI", "").lower() == "true":
        raise
    pytest.skip("the playwright package is not installed", allow_module_level=True)

from openiop.accounts.models import User
from openiop.measures import services
from openiop.measures.instruments import ensure_shipped
from openiop.measures.models import Instrument, LinkPurpose, Response, SafetyAlert
from openiop.patients.models import Patient
from tests.factories import (
    PASSWORD,
    EpisodeFactory,
    OrganizationFactory,
    PatientFactory,
    ProgramFactory,
    SiteFactory,
    staff,
)

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}
CSP_WORDS = ("Content Security Policy", "Refused")


@dataclass
class Clinic:
    clinician: User
    director: User
    other: User
    patient: Patient


@pytest.fixture
def clinic(transactional_db) -> Clinic:
    ensure_shipped()  # a transactional test flushes the rows the data migration loaded
    org = OrganizationFactory(name="Riverbend Recovery (test)")
    site = SiteFactory(organization=org, name="Riverbend Clinic")
    program = ProgramFactory(organization=org, site=site, name="Adult Mental Health IOP")
    other_program = ProgramFactory(organization=org, site=site, name="Adolescent IOP")
    clinician = staff(
        "clinician", program=program, username="clin.a", display_name="Casey Clinician"
    )
    director = staff(
        "program_director", program=program, username="director.a", display_name="Dana Director"
    )
    other = staff("clinician", program=other_program, username="clin.b", display_name="Taylor B")
    patient = PatientFactory(
        organization=org, legal_given_name="Avery", legal_family_name="Quillfeather"
    )
    EpisodeFactory(program=program, primary_clinician=clinician, patient=patient)
    return Clinic(clinician, director, other, patient)


def sign_in(page: Page, username: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/$"))


def phq9_link(clinic: Clinic) -> str:
    _link, token = services.link_create(
        actor=clinic.clinician,
        patient=clinic.patient,
        purpose=LinkPurpose.QUESTIONNAIRE,
        instrument=Instrument.objects.get(organization__isnull=True, code="phq9"),
    )
    return f"/m/{token}/"


def test_an_item_9_answer_on_the_phone_reaches_the_clinicians_dashboard(new_page, clinic):
    phone = new_page(viewport=PHONE, is_mobile=True, has_touch=True)
    url = phq9_link(clinic)
    phone.goto(url)
    expect(phone.get_by_role("heading", level=1)).to_have_text(
        "A few questions from your care team"
    )
    expect(phone.get_by_role("main")).not_to_contain_text("Quillfeather")
    width = phone.evaluate("[document.body.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1] + 1, f"the questionnaire is {width[0]}px wide on a phone"
    for item in range(1, 9):
        phone.locator(f'input[name="item_{item}"][value="1"]').check()
    phone.get_by_role("group", name=re.compile(r"^9\. Thoughts")).get_by_label(
        "Several days"
    ).check()
    phone.get_by_role("button", name="Send my answers").tap()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Thank you")
    expect(phone.get_by_role("alert")).to_contain_text("988")
    expect(phone.get_by_role("alert")).to_contain_text(
        "2 people of your care team have been alerted"
    )
    assert Response.objects.get().total == 9
    # the link worked once
    phone.goto(url)
    expect(phone.get_by_role("heading", level=1)).to_have_text("This link is not available")

    page = new_page()
    sign_in(page, "clin.a")
    alerts = page.get_by_role("region", name="Alerts")
    expect(alerts).to_contain_text("Avery Quillfeather")
    expect(alerts).to_contain_text("Thoughts of death or self-harm")
    alerts.get_by_role("link", name="Avery Quillfeather").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Safety alert")
    expect(page.get_by_role("main")).to_contain_text("Casey Clinician")
    expect(page.get_by_role("main")).to_contain_text("Dana Director")
    page.get_by_label("What was done").fill(
        "Called Avery: no plan or intent; safety plan reviewed."
    )
    page.get_by_role("button", name="Acknowledge", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("Alert acknowledged")
    page.goto("/")
    expect(page.get_by_role("region", name="Alerts")).to_have_count(0)
    assert SafetyAlert.objects.get().acknowledged_by == clinic.clinician

    csp = [m for p in (phone, page) for m in p.console_errors if any(w in m for w in CSP_WORDS)]
    assert csp == [], "Content-Security-Policy violations:\n" + "\n".join(csp)


def test_the_director_sees_the_alert_and_another_programs_clinician_does_not(new_page, clinic):
    services.link_submit_answers(
        token=phq9_link(clinic).strip("/").split("/")[-1], answers=[0] * 8 + [2]
    )
    director = new_page()
    sign_in(director, "director.a")
    expect(director.get_by_role("region", name="Alerts")).to_contain_text("Avery Quillfeather")
    other = new_page()
    sign_in(other, "clin.b")
    expect(other.get_by_role("heading", level=1)).to_contain_text("Good to see you")
    expect(other.get_by_role("region", name="Alerts")).to_have_count(0)


def test_the_entry_form_previews_the_score_and_the_trend_draws(new_page, clinic):
    page = new_page()
    sign_in(page, "clin.a")
    page.goto(f"/patients/{clinic.patient.uuid}/")
    card = page.get_by_role("region", name="Measures")
    expect(card).to_contain_text("No questionnaires yet")  # loaded into the chart by htmx
    page.goto(f"/measures/patients/{clinic.patient.uuid}/responses/new/?instrument=gad7")
    for item in range(1, 8):
        page.locator(f'input[name="item_{item}"][value="2"]').check()
    preview = page.locator("#preview")
    expect(preview).to_contain_text("Total 14 of 21: Moderate")
    page.locator('input[name="item_7"][value="3"]').check()
    expect(preview).to_contain_text("Total 15 of 21: Severe")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("Saved: GAD-7 15, Severe.")
    page.get_by_role("link", name="Back to the patient's measures").click()
    expect(page.locator("svg.trend")).to_have_count(1)
    expect(page.locator("svg.trend")).to_contain_text("Severe 15-21")
    csp = [m for m in page.console_errors if any(w in m for w in CSP_WORDS)]
    assert csp == [], "Content-Security-Policy violations:\n" + "\n".join(csp)
