"""User stories in a real browser (Chromium via Playwright, live server).

Run with `.venv/bin/python -m pytest -m e2e`.
"""

import datetime as dt
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
from openiop.accounts.services import GENERIC_LOGIN_ERROR
from openiop.organizations.models import Program, Track
from openiop.patients.models import Patient
from tests.factories import (
    PASSWORD,
    EpisodeFactory,
    OrganizationFactory,
    PatientFactory,
    ProgramFactory,
    SiteFactory,
    TrackFactory,
    staff,
)

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}
CSP_WORDS = ("Content Security Policy", "Refused")


@dataclass
class Clinic:
    program_a: Program
    program_b: Program
    track_a: Track
    director_a: User
    clinician_a: User
    clinician_b: User
    intake: User
    patient_a: Patient  # Avery Quillfeather, in program A
    other_a: Patient  # Blake Marchetti, in program A
    patient_b: Patient  # Casey Quillon, in program B


@pytest.fixture
def clinic(transactional_db) -> Clinic:
    org = OrganizationFactory(name="Riverbend Recovery (test)")
    site = SiteFactory(organization=org, name="Riverbend Clinic")
    program_a = ProgramFactory(organization=org, site=site, name="Adult Substance Use IOP")
    program_b = ProgramFactory(
        organization=org, site=site, name="Adolescent IOP", population="adolescent"
    )
    track_a = TrackFactory(program=program_a, name="Evening")
    track_b = TrackFactory(
        program=program_b,
        name="After school",
        kind="afternoon",
        start_time=dt.time(15, 30),
        end_time=dt.time(18, 30),
    )
    director_a = staff(
        "program_director", program=program_a, username="director.a", display_name="Dana Director"
    )
    clinician_a = staff(
        "clinician", program=program_a, username="clin.a", display_name="Casey Clinician"
    )
    clinician_b = staff(
        "clinician", program=program_b, username="clin.b", display_name="Taylor Youthworker"
    )
    intake = staff(
        "intake_coordinator", organization=org, username="intake", display_name="Indra Intake"
    )

    def admitted(program, track, clinician, given, family):
        patient = PatientFactory(organization=org, legal_given_name=given, legal_family_name=family)
        EpisodeFactory(program=program, track=track, primary_clinician=clinician, patient=patient)
        return patient

    return Clinic(
        program_a=program_a,
        program_b=program_b,
        track_a=track_a,
        director_a=director_a,
        clinician_a=clinician_a,
        clinician_b=clinician_b,
        intake=intake,
        patient_a=admitted(program_a, track_a, clinician_a, "Avery", "Quillfeather"),
        other_a=admitted(program_a, track_a, clinician_a, "Blake", "Marchetti"),
        patient_b=admitted(program_b, track_b, clinician_b, "Casey", "Quillon"),
    )


def sign_in(page: Page, username: str, password: str = PASSWORD) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def expect_dashboard(page: Page, who: User) -> None:
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Good to see you, {who.display_name}"
    )


def open_patients(page: Page) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Patients").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Patients")


def live_search(page: Page, text: str) -> None:
    """Type into the search box; htmx swaps the results without reloading the page."""
    box = page.get_by_label("Name, MRN or date of birth")
    with page.expect_response(
        lambda r: (
            "/patients/?" in r.url
            and f"q={text}" in r.url
            and r.request.headers.get("hx-request") == "true"
        )
    ) as response:
        box.press_sequentially(text, delay=20)
    assert response.value.ok
    expect(page).to_have_url(re.compile(rf"[?&]q={text}"))  # hx-push-url


def results(page: Page):
    return page.locator("#results")


def test_clinician_signs_in_finds_a_patient_by_family_name_and_opens_the_chart(
    page: Page, clinic: Clinic
):
    sign_in(page, "clin.a")
    expect_dashboard(page, clinic.clinician_a)
    # the dashboard shows the clinician's caseload
    expect(page.get_by_role("region", name="My caseload")).to_contain_text("Avery Quillfeather")

    open_patients(page)
    expect(results(page)).to_contain_text("Marchetti, Blake")
    page.evaluate("window.notReloaded = true")

    live_search(page, "quillf")
    expect(results(page)).to_contain_text("Quillfeather, Avery")
    expect(results(page)).not_to_contain_text("Marchetti")
    expect(results(page)).not_to_contain_text("Quillon")  # program B is not theirs
    assert page.evaluate("window.notReloaded") is True, "the search reloaded the whole page"

    results(page).get_by_role("link", name="Quillfeather, Avery").click()
    expect(page).to_have_url(re.compile(rf"/patients/{clinic.patient_a.uuid}/$"))
    expect(page.get_by_label("Patient")).to_contain_text("Avery Quillfeather")
    expect(page.get_by_label("Patient")).to_contain_text(clinic.patient_a.mrn)
    episodes = page.get_by_role("region", name="Episodes of care")
    expect(episodes).to_contain_text("Adult Substance Use IOP")
    expect(episodes).to_contain_text("in treatment")
    expect(episodes.locator("dd").first).to_contain_text("Evening")
    expect(episodes).to_contain_text("Casey Clinician")


def test_clinician_of_another_program_can_neither_open_nor_find_the_patient(
    page: Page, clinic: Clinic
):
    sign_in(page, "clin.b")
    expect_dashboard(page, clinic.clinician_b)

    response = page.goto(f"/patients/{clinic.patient_a.uuid}/")
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Not found")
    expect(page.get_by_role("main")).to_contain_text("nothing you may see")
    expect(page.get_by_role("main")).not_to_contain_text("Quillfeather")

    page.goto("/patients/")
    live_search(page, "quill")
    expect(results(page)).to_contain_text("Quillon, Casey")  # their own patient
    expect(results(page)).not_to_contain_text("Quillfeather")

    page.get_by_label("Name, MRN or date of birth").fill("")
    live_search(page, clinic.patient_a.mrn)
    expect(results(page)).to_contain_text(f'No patients match "{clinic.patient_a.mrn}"')


def test_wrong_password_shows_the_error_and_no_dashboard(page: Page, clinic: Clinic):
    sign_in(page, "clin.a", "not-the-password")

    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    expect(page.get_by_role("alert")).to_have_text(GENERIC_LOGIN_ERROR)
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to OpenIOP")
    expect(page.get_by_role("navigation", name="Main")).to_have_count(0)
    expect(page.get_by_text("Good to see you")).to_have_count(0)
    # and the dashboard itself still sends an anonymous visitor to sign in
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/$"))


def test_intake_coordinator_registers_and_admits_a_patient(page: Page, clinic: Clinic):
    sign_in(page, "intake")
    expect_dashboard(page, clinic.intake)
    page.get_by_role("link", name="Register a patient").click()
    expect(page).to_have_url(re.compile(r"/patients/new/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Register and admit a patient")

    page.get_by_label("Legal given name").fill("Rowan")
    page.get_by_label("Legal family name").fill("Ellingsworth")
    page.get_by_label("Pronouns").fill("they/them")
    page.get_by_label("Date of birth").fill("1991-07-09")
    page.get_by_label("Phone").fill("555-0147")
    page.get_by_label(re.compile(r"^Program:?$")).select_option(str(clinic.program_a.pk))
    page.get_by_label("Track").select_option(str(clinic.track_a.pk))
    page.get_by_label("Primary clinician").select_option(str(clinic.clinician_a.pk))
    page.get_by_label("Admission type").select_option(
        label="Step-down from inpatient or residential"
    )
    page.get_by_label("Referral source").select_option(label="Inpatient or residential program")
    page.get_by_role("button", name="Register and admit").click()

    expect(page).to_have_url(re.compile(r"/patients/[0-9a-f-]{36}/$"))
    expect(page.get_by_role("status")).to_contain_text(
        "Rowan Ellingsworth is registered and admitted."
    )
    expect(page.get_by_label("Patient")).to_contain_text("Rowan Ellingsworth")
    expect(page.get_by_label("Patient")).to_contain_text("Born 1991-07-09")
    episodes = page.get_by_role("region", name="Episodes of care")
    expect(episodes).to_contain_text("Adult Substance Use IOP")
    expect(episodes).to_contain_text("Evening")
    expect(episodes).to_contain_text("Casey Clinician")
    expect(episodes).to_contain_text("Step-down from inpatient or residential")

    patient = Patient.objects.get(legal_family_name="Ellingsworth")
    assert page.url.endswith(f"/patients/{patient.uuid}/")
    assert patient.episodes.get().program == clinic.program_a


def test_pages_raise_no_content_security_policy_errors(new_page, clinic: Clinic):
    page = new_page()
    sign_in(page, "director.a")
    expect_dashboard(page, clinic.director_a)
    expect(page.get_by_role("region", name="Census")).to_contain_text("Adult Substance Use IOP")

    open_patients(page)
    live_search(page, "quill")
    results(page).get_by_role("link", name="Quillfeather, Avery").click()
    expect(page.get_by_label("Patient")).to_contain_text("Avery Quillfeather")

    nav = page.get_by_role("navigation", name="Main")
    for label, heading in [
        ("Caseload", "Caseload of Dana Director"),
        ("Census", "Census"),
        ("Programs", "Programs and tracks"),
        ("Staff", "Staff"),
    ]:
        nav.get_by_role("link", name=label).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    for path in [
        "/patients/new/",
        f"/care/episodes/{clinic.patient_a.episodes.get().uuid}/edit/",
        "/accounts/tokens/",
        "/accounts/two-factor/",
        f"/patients/{clinic.patient_b.uuid}/",  # the 404 page
    ]:
        page.goto(path)
        expect(page.get_by_role("heading", level=1)).to_be_visible()

    # htmx's "status" select swaps the results too
    page.goto("/patients/")
    with page.expect_response(lambda r: "status=active" in r.url):
        page.get_by_label("Show").select_option("active")
    expect(results(page)).to_contain_text("Quillfeather, Avery")

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("status")).to_contain_text("You are signed out.")

    csp = [m for m in page.console_errors if any(w in m for w in CSP_WORDS)]
    assert csp == [], "Content-Security-Policy violations:\n" + "\n".join(csp)


def test_patient_list_is_usable_on_a_phone(new_page, clinic: Clinic):
    page = new_page(viewport=PHONE, is_mobile=True, has_touch=True)
    sign_in(page, "clin.a")
    expect_dashboard(page, clinic.clinician_a)
    open_patients(page)

    def no_horizontal_scroll():
        width = page.evaluate("[document.body.scrollWidth, window.innerWidth]")
        assert width[0] <= width[1] + 1, f"body is {width[0]}px wide on a {width[1]}px screen"

    no_horizontal_scroll()
    box = page.get_by_label("Name, MRN or date of birth")
    bounds = box.bounding_box()
    assert bounds["x"] >= 0 and bounds["x"] + bounds["width"] <= PHONE["width"]

    live_search(page, "quillf")
    link = results(page).get_by_role("link", name="Quillfeather, Avery")
    expect(link).to_be_in_viewport()
    no_horizontal_scroll()

    link.tap()
    expect(page.get_by_label("Patient")).to_contain_text("Avery Quillfeather")
    no_horizontal_scroll()
