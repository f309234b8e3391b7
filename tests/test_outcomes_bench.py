"""`openiop bench outcomes` on a small organization: the seeded history is
scored by the real scorer and the command prints one JSON object."""

import io
import json

import pytest
from django.core.management import call_command
from django.db.models import Count

from openiop.demo.seed import bench_slug, find_bench_staff
from openiop.measures.instruments import ensure_shipped
from openiop.measures.models import CheckIn, DrugTest, Response
from openiop.measures.scoring import score
from openiop.organizations.models import Organization
from openiop.outcomes import bench
from openiop.patients.models import Patient

pytestmark = pytest.mark.django_db

# the keys of the one JSON object `openiop bench outcomes` prints
TOP_LEVEL = {
    "benchmark",
    "load_average",
    "cpus",
    "database",
    "organization",
    "patients",
    "responses",
    "drug_tests",
    "checkins",
    "debug",
    "seeded_now",
    "outcomes",
    "trend_page",
}
OUTCOMES = {"programs", "seconds_median", "seconds_max", "queries", "figures"}
TREND_PAGE = {
    "requests",
    "patients",
    "responses_per_patient",
    "p50_ms",
    "p95_ms",
    "max_ms",
    "cpu_p50_ms",
    "cpu_p95_ms",
    "queries",
    "queries_max",
}


def longest_history_in_the_clinicians_program(org) -> int:
    program_id = find_bench_staff(org)["clinician"].memberships.get().program_id
    counts = (
        Response.objects.filter(organization=org, patient__episodes__program_id=program_id)
        .values("patient_id")
        .annotate(n=Count("id", distinct=True))
        .values_list("n", flat=True)
    )
    return max(counts)


def test_bench_outcomes_prints_one_json_object(monkeypatch):
    ensure_shipped()
    monkeypatch.setattr(bench, "PATIENTS", 60)
    monkeypatch.setattr(bench, "TREND_PATIENTS", 3)
    out = io.StringIO()
    call_command("bench", "outcomes", "--requests", "4", stdout=out, stderr=io.StringIO())
    result = json.loads(out.getvalue())
    org = Organization.objects.get(slug=bench_slug(bench.SEED, 60))
    assert set(result) == TOP_LEVEL
    assert result["benchmark"] == "outcomes" and result["organization"] == org.slug
    # the counts are the organization's rows, and the history was seeded by this run
    assert result["patients"] == 60 == Patient.objects.filter(organization=org).count()
    assert result["responses"] == Response.objects.filter(organization=org).count() > 60
    assert result["drug_tests"] == DrugTest.objects.filter(organization=org).count() > 0
    assert result["checkins"] == CheckIn.objects.filter(organization=org).count() > 0
    assert set(result["seeded_now"]) == {"organization_seconds", "measures"}
    seeded = result["seeded_now"]["measures"]
    assert (seeded["responses"], seeded["drug_tests"], seeded["checkins"]) == (
        result["responses"],
        result["drug_tests"],
        result["checkins"],
    )
    # every program's outcomes, in a fixed number of aggregate queries
    assert set(result["outcomes"]) == OUTCOMES
    assert result["outcomes"]["programs"] == 3 == len(result["outcomes"]["figures"])
    assert result["outcomes"]["queries"] <= 10
    # the trend page is requested as asked, for the patients with the longest histories,
    # and costs the same number of queries for each of them
    trends = result["trend_page"]
    assert set(trends) == TREND_PAGE
    assert (trends["requests"], trends["patients"]) == (4, 3)
    assert trends["responses_per_patient"] == longest_history_in_the_clinicians_program(org)
    assert 0 < trends["queries"] == trends["queries_max"]
    # the stored scores are the scorer's
    for r in Response.objects.select_related("instrument")[:50]:
        assert score(r.instrument.definition, r.answers).total == r.total
    assert DrugTest.objects.filter(outcome="negative").exists()
