"""The log of a browser session holds no patient's name: a clinician searches
for a patient by name, opens the chart and a page that does not exist with the
name in its query string; every line is JSON with the request id, and the
request lines name route patterns.

Run with `.venv/bin/python -m pytest -m e2e tests/e2e/test_logs_browser.py`.
"""

import io
import json
import logging
import os

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # keep the default (non-browser) run collectable without it
    if os.environ.get("CI", "").lower() == "true":
        raise
    pytest.skip("the playwright package is not installed", allow_module_level=True)

from openiop.operations.logs import JsonFormatter
from tests.e2e.test_measures_browser import sign_in

pytestmark = pytest.mark.e2e


@pytest.fixture
def json_log():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)


def test_a_browser_session_logs_no_patient_name(new_page, cast, transactional_db, json_log):
    patient = cast.patient_a
    page = new_page()
    sign_in(page, "clin.a")
    page.goto(f"/patients/?q={patient.legal_family_name}")
    expect(page.locator("main")).to_contain_text(patient.legal_family_name)
    page.goto(f"/patients/{patient.uuid}/")
    expect(page.locator("main")).to_contain_text(patient.mrn)
    page.goto(f"/no-such-page/?name={patient.legal_name}")
    text = json_log.getvalue()
    lines = [json.loads(line) for line in text.splitlines() if line.strip()]
    requests = [e for e in lines if e["logger"] == "openiop.request"]
    assert len(requests) >= 4
    assert all(e["request_id"] for e in requests)
    assert any(e["route"] == "patients/<uuid:patient_uuid>/" for e in requests)
    for secret in {
        patient.legal_name,
        patient.display_name,
        patient.legal_family_name,
        patient.mrn,
    }:
        assert secret not in text, secret
