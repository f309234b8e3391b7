"""The public program finder in a real browser (Chromium via Playwright):
the guided match and its shared link, search and comparison, a phone.

Run with `.venv/bin/python -m pytest -m e2e tests/e2e/test_directory.py`.
"""

import os
import re
from decimal import Decimal

import pytest

try:
    from playwright.sync_api import Page, expect
except ImportError:  # keep the default (non-browser) run collectable without it
    if os.environ.get("CI", "").lower() == "true":
        raise
    pytest.skip("the playwright package is not installed", allow_module_level=True)

from openiop.core import ratelimit
from openiop.directory.models import Facility
from openiop.directory.services import facilities_import
from tests.directory.helpers import OREGON, list_program, require_data_file
from tests.factories import OrganizationFactory, ProgramFactory, SiteFactory, TrackFactory

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}


def only_refusals(page) -> bool:
    """No console errors but the browser's note of the 400 a refused form gets
    (no CSP violation, no script error)."""
    return all("status of 400" in e for e in page.console_errors)


@pytest.fixture
def finder(transactional_db):
    """The real Oregon facilities and one listed OpenIOP program in Portland."""
    ratelimit.reset()
    if OREGON.exists():
        facilities_import(path=OREGON)
    org = OrganizationFactory(name="Riverbend Recovery (test)")
    site = SiteFactory(organization=org, name="Riverbend Clinic", zip_code="97201")
    program = ProgramFactory(organization=org, site=site, name="Riverbend Evening IOP")
    TrackFactory(program=program, name="Evening")
    list_program(
        program,
        payments=["medicaid", "private"],
        self_pay_weekly_rate=Decimal("400"),
        family_program=True,
        family_program_description="Family night every other Tuesday.",
        telehealth=True,
    )
    other = ProgramFactory(organization=org, site=site, name="Riverbend Day IOP")
    TrackFactory(
        program=other, name="Morning", kind="morning", start_time="09:00", end_time="12:00"
    )
    list_program(other, payments=["private"])
    return program


def test_guided_match_ranks_programs_and_the_shared_link_shows_the_same_list(new_page, finder):
    page: Page = new_page()
    page.goto("/find/")
    page.get_by_role("navigation", name="Program finder").get_by_role(
        "link", name="Guided match"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Guided match")

    page.get_by_label("1. Where do you live or work?").fill("97201")
    page.get_by_label("2. How far can you travel, several times a week?").select_option("25")
    page.get_by_label("Evenings").check()
    page.get_by_label("Alcohol or drug use").check()
    page.get_by_label("26 to 64").check()
    page.get_by_label("Medicaid (e.g. Oregon Health Plan)").check()
    page.get_by_label("Yes, I'd like family involved").check()
    page.get_by_role("button", name="Show my matches").click()

    expect(page).to_have_url(re.compile(r"/find/shortlist/[\w-]+/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Your matches")
    results = page.locator("ol.results-list > li")
    first = results.first
    expect(first.get_by_role("heading", level=3)).to_have_text("Riverbend Evening IOP")
    expect(first).to_contain_text("Why it fits: treats substance use")
    expect(first).to_contain_text("accepts Medicaid; evening track")
    expect(first).to_contain_text("family counseling")
    if OREGON.exists():
        expect(page.get_by_text("session times are not published: ask").first).to_be_visible()
    share = page.get_by_label("Private link (anyone with it can see this list)").input_value()
    assert share.endswith(page.url.split(page.url.split("/find/")[0])[-1])
    names = results.get_by_role("heading", level=3).all_inner_texts()

    # someone else opens the shared link: the same list, with no account
    other = new_page()
    other.goto(share)
    expect(other.get_by_role("heading", level=1)).to_have_text("Your matches")
    assert (
        other.locator("ol.results-list > li").get_by_role("heading", level=3).all_inner_texts()
        == names
    )
    assert not page.console_errors and not other.console_errors

    # and the person deletes their answers
    page.get_by_role("button", name="Delete my answers now").click()
    expect(page.get_by_role("status")).to_contain_text(
        "Your shortlist and your answers are deleted"
    )
    assert other.goto(share).status == 404


def test_search_then_compare_three_programs_side_by_side(new_page, finder):
    require_data_file(OREGON)
    page: Page = new_page()
    page.goto("/find/")
    page.get_by_label("ZIP code or city").fill("97204")
    page.get_by_label("Within").select_option("10")
    page.get_by_label("Intensive outpatient (IOP)").check()
    page.get_by_label("Medicaid", exact=True).check()
    page.get_by_role("button", name="Search").first.click()

    heading = page.get_by_role("heading", level=2).first
    expect(heading).to_contain_text("within 10 miles of Portland, OR 97204")
    results = page.locator("ol.results-list > li")
    expect(results.first).to_contain_text("Why it matches: intensive outpatient; accepts Medicaid;")
    count = Facility.objects.filter(is_active=True).count()
    assert count > 20

    names = results.get_by_role("heading", level=3).all_inner_texts()[:3]
    for name in names:
        page.get_by_label(f"Compare {name}", exact=True).check()
    page.get_by_role("button", name="Compare the ticked programs").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Compare programs")
    table = page.get_by_role("table")
    expect(table.get_by_role("columnheader")).to_have_count(3)
    for name in names:
        expect(table.get_by_role("columnheader", name=name)).to_be_visible()
    for row in ("Distance", "Payment accepted", "Cost", "Staff licences", "Measured outcomes"):
        expect(table.get_by_role("rowheader", name=row)).to_be_visible()
    expect(table.get_by_role("row", name=re.compile("^Payment accepted"))).to_contain_text(
        "Medicaid"
    )

    # a fourth program is one too many: a clear message
    page.go_back()
    page.get_by_label(f"Compare {names[0]}", exact=True).check()
    for name in results.get_by_role("heading", level=3).all_inner_texts()[1:4]:
        page.get_by_label(f"Compare {name}", exact=True).check()
    page.get_by_role("button", name="Compare the ticked programs").click()
    expect(page.get_by_role("alert")).to_have_text(
        "Compare up to 3 programs at a time; you chose 4."
    )
    assert only_refusals(page)


def test_a_program_page_answers_the_questions_and_takes_a_testimonial(new_page, finder):
    page: Page = new_page()
    page.goto(f"/find/{finder.directory_facility.uuid}/?near=97201")
    expect(page.get_by_role("heading", level=1)).to_have_text("Riverbend Evening IOP")
    questions = page.get_by_role("region", name="Questions to ask, and this program's answers")
    expect(questions).to_contain_text("When do sessions meet? Can you keep working?")
    expect(questions).to_contain_text("Evening: Mon/Wed/Thu 18:00-21:00")
    cost = page.get_by_role("region", name="What it may cost")
    expect(cost).to_contain_text("$400 a week")

    page.get_by_role("link", name="Share your experience of this program").click()
    page.get_by_label("Your first name or initials").fill("Sam")
    page.get_by_label("Took part in the program").check()
    page.get_by_label("Your experience").fill("Call me on 503 555 0100 and I will tell you all.")
    page.get_by_label(re.compile("^I agree that the program may publish")).check()
    page.get_by_role("button", name="Send for review").click()
    expect(page.get_by_role("alert").first).to_contain_text("Remove contact details")

    page.get_by_label("Your experience").fill("The evening group let me keep my job.")
    page.get_by_role("button", name="Send for review").click()
    expect(page.get_by_role("status")).to_contain_text("reads every testimonial before")
    testimonials = page.get_by_role("region", name="Testimonials")
    expect(testimonials).not_to_contain_text("keep my job")  # held for moderation
    assert only_refusals(page)


def test_the_finder_works_on_a_phone_without_sideways_scrolling(new_page, finder):
    page: Page = new_page(viewport=PHONE, is_mobile=True, has_touch=True)
    page.goto("/find/?near=97201&radius_miles=25&level_of_care=iop")
    expect(page.locator("ol.results-list > li").first).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width}px wide on a {PHONE['width']}px phone"
    page.goto(f"/find/{finder.directory_facility.uuid}/")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert not page.console_errors
