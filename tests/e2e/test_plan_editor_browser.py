"""The plan editor offers, for the chosen modality, only staff whose licence
allows leading it, and says so when nobody on the program's staff may (a real
Chromium runs the page's script; the server refuses the rest either way).

Run with `.venv/bin/python -m pytest -m e2e tests/e2e/test_plan_editor_browser.py`.
"""

import os

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # keep the default (non-browser) run collectable without it
    if os.environ.get("CI", "").lower() == "true":
        raise
    pytest.skip("the playwright package is not installed", allow_module_level=True)

from openiop.accounts.models import StaffCredential
from openiop.care.plans.plan_models import PlanObjective
from tests.e2e.test_measures_browser import sign_in
from tests.plans_helpers import small_plan
from tests.scheduling_helpers import world

pytestmark = pytest.mark.e2e


def offered(page) -> list[str]:
    return page.locator("#id_responsible option:not([hidden]):not([value=''])").all_inner_texts()


def test_the_responsible_list_follows_the_modality(new_page, cast, transactional_db):
    world(cast, patients=1, series=False)  # clinician LCSW, director LMFT, prescriber PMHNP
    plan = small_plan(cast.clinician_a, cast.episode_a)
    objective = PlanObjective.objects.get(goal__problem__version__plan=plan)
    page = new_page()
    sign_in(page, "clin.a")
    page.goto(f"/care/plans/{plan.uuid}/intervention/new/?parent={objective.uuid}")
    modality = page.get_by_label("Modality")
    modality.select_option("medication")
    assert offered(page) == [cast.prescriber_a.get_display_name()]
    page.get_by_label("Responsible staff").select_option(label=cast.prescriber_a.get_display_name())
    modality.select_option("family")  # the prescriber may not: the choice is undone, and said
    expect(page.get_by_role("status")).to_contain_text(
        f"{cast.prescriber_a.get_display_name()} holds no licence that may lead family therapy"
    )
    modality.select_option("family")
    names = set(offered(page))
    assert cast.prescriber_a.get_display_name() not in names
    assert cast.clinician_a.get_display_name() in names
    # nobody may lead it: nobody offered, and the page says why
    StaffCredential.objects.filter(license_type__in=["LCSW", "LMFT"]).delete()
    page.reload()
    page.get_by_label("Modality").select_option("family")
    assert offered(page) == []
    expect(page.get_by_role("status")).to_contain_text(
        "No one on this program's staff holds a current licence to lead family therapy"
    )
