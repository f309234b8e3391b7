"""`openiop bench outcomes` on a small organization: the seeded history is
scored by the real scorer and the command prints one JSON object."""

import io
import json

import pytest
from django.core.management import call_command

from openiop.measures.instruments import ensure_shipped
from openiop.measures.models import DrugTest, Response
from openiop.measures.scoring import score
from openiop.outcomes import bench

pytestmark = pytest.mark.django_db


def test_bench_outcomes_prints_one_json_object(monkeypatch):
    ensure_shipped()
    monkeypatch.setattr(bench, "PATIENTS", 60)
    monkeypatch.setattr(bench, "TREND_PATIENTS", 3)
    out = io.StringIO()
    call_command("bench", "outcomes", "--requests", "4", stdout=out, stderr=io.StringIO())
    result = json.loads(out.getvalue())
    assert result["patients"] == 60 and result["responses"] > 60
    assert result["outcomes"]["programs"] == 3
    assert result["outcomes"]["queries"] <= 10
    assert result["trend_page"]["p50_ms"] <= result["trend_page"]["p95_ms"]
    assert set(result["seeded_now"]) == {"organization_seconds", "measures"}
    # the stored scores are the scorer's
    for r in Response.objects.select_related("instrument")[:50]:
        assert score(r.instrument.definition, r.answers).total == r.total
    assert DrugTest.objects.filter(outcome="negative").exists()
