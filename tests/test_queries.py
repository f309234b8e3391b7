"""The busy pages cost a fixed number of SQL queries, however large the organization."""

import io
import json

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from openiop.demo.seed import find_bench_staff, seed_organization
from openiop.patients.models import Patient

pytestmark = pytest.mark.django_db

PAGES = ("patient_search", "caseload", "census")


def family_prefix(org, program_name: str) -> str:
    """A family name start that matches patients the program's staff may see."""
    patient = (
        Patient.objects.filter(organization=org, episodes__program__name=program_name)
        .order_by("mrn")
        .first()
    )
    return patient.legal_family_name[:4].lower()


def measure(org) -> dict:
    staff = find_bench_staff(org)
    program = staff["director"].memberships.get().program
    urls = {
        "patient_search": f"/patients/?q={family_prefix(org, program.name)}",
        "caseload": "/care/caseload/",
        "census": "/care/census/",
    }
    counts, rows = {}, {}
    for role, user in staff.items():
        client = Client()
        client.force_login(user)
        for page, url in urls.items():
            client.get(url)  # the first request also stamps the session (idle logoff)
            with CaptureQueriesContext(connection) as captured:
                response = client.get(url)
            expected = 403 if (role, page) == ("clinician", "census") else 200
            assert response.status_code == expected, (role, page)
            if expected == 200:
                assert b"No patients" not in response.content, (role, page)
                rows[role, page] = response.content.count(b"<tr>")
            counts[role, page] = len(captured.captured_queries)
    return counts, rows


def test_query_counts_do_not_grow_with_the_organization():
    small, small_rows = measure(seed_organization(patients=20, weeks=4, seed=21).organization)
    large, large_rows = measure(seed_organization(patients=200, weeks=12, seed=22).organization)
    # the larger organization really shows more rows on every page...
    assert all(large_rows[k] > small_rows[k] for k in small_rows), (small_rows, large_rows)
    # ...for the same number of queries
    assert small == large
    assert set(small) == {(r, p) for r in ("director", "clinician") for p in PAGES}
    assert max(small.values()) <= 20


def test_bench_pages_prints_one_json_object():
    org = seed_organization(patients=30, weeks=4, seed=23).organization
    out, err = io.StringIO(), io.StringIO()
    call_command("bench", "pages", "--requests", "3", stdout=out, stderr=err)
    result = json.loads(out.getvalue())
    assert set(result) == {
        "database",
        "organization",
        "patients",
        "requests_per_role",
        "debug",
        "pages",
    }
    assert result["database"] == connection.vendor
    assert (result["organization"], result["patients"]) == (org.slug, 30)
    assert result["requests_per_role"] == 3
    assert set(result["pages"]) == set(PAGES)
    assert result["pages"]["caseload"]["url"] == "/care/caseload/"
    assert result["pages"]["census"]["url"] == "/care/census/"
    assert result["pages"]["patient_search"]["url"].startswith("/patients/?q=")
    # the query counts it reports are the pages' own, the same for every request
    # of a page, and a page's figure is that of its costlier role
    measured, _rows = measure(org)
    for page in PAGES:
        figures = result["pages"][page]
        assert set(figures["by_role"]) == {"director", "clinician"}
        timed = {r: f for r, f in figures["by_role"].items() if f["status"] == 200}
        for role, f in timed.items():
            assert f["queries"] == f["queries_max"] == measured[role, page], (page, role)
        assert figures["queries"] == max(f["queries"] for f in timed.values())
    # a refused page is reported as refused, with no timing
    assert result["pages"]["census"]["by_role"]["clinician"] == {
        "status": 403,
        "queries": measured["clinician", "census"],
    }
