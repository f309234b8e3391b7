"""The demo lists its programs on the finder; the benchmark runs end to end
on a small set and finds the fast search identical to the full scan."""

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from openiop.demo import directory as demo_directory
from openiop.demo.demo import build_demo
from openiop.directory.bench import bench_directory
from openiop.directory.models import Facility, Source, Testimonial
from tests.directory.helpers import OREGON

pytestmark = pytest.mark.django_db


def test_the_demo_imports_the_file_and_lists_its_programs(oregon_file, monkeypatch):
    monkeypatch.setattr(demo_directory, "FINDTREATMENT_FILE", oregon_file)
    build_demo(patients=6)
    lines = []
    demo_directory.build_directory_demo(log=lines.append)

    assert lines[0].startswith("Program finder: Imported oregon-2026-02.json: 195 created")
    listed = Facility.objects.filter(source=Source.OPENIOP, is_active=True)
    assert set(listed.values_list("name", flat=True)) == {
        "Adult Substance Use IOP",
        "Adult Mental Health IOP",
        "Adolescent IOP",
    }
    assert Testimonial.objects.filter(status="published").count() == 3
    assert Testimonial.objects.filter(status="pending").count() == 1
    # the mental health program's dual diagnosis evening track makes it co-occurring;
    # the substance use program lists family sessions: a family therapist works there
    from openiop.directory.features import BY_KEY

    mh = listed.get(name="Adult Mental Health IOP")
    assert mh.features & BY_KEY["focus:co_occurring"].mask
    su = listed.get(name="Adult Substance Use IOP")
    assert su.features & BY_KEY["family:family_counseling"].mask

    demo_directory.build_directory_demo(log=lines.append)  # again: nothing doubles
    assert Facility.objects.filter(source=Source.OPENIOP).count() == 3
    assert Testimonial.objects.count() == 4
    assert Facility.objects.filter(source=Source.FINDTREATMENT).count() == 195


def test_the_demo_skips_a_missing_file_quietly(tmp_path, monkeypatch):
    monkeypatch.setattr(demo_directory, "FINDTREATMENT_FILE", tmp_path / "none.json")
    demo_directory.build_directory_demo()
    assert not Facility.objects.exists()


def test_the_benchmark_is_identical_to_the_full_scan_and_cleans_up(oregon):
    result = bench_directory(facilities=400, queries=40, seed=3, oregon=OREGON, log=lambda m: None)
    assert result["identical"] is True and result["mismatches"] == 0
    assert {"p50_ms", "p95_ms", "naive_p95_ms", "identical"} <= set(result)
    assert result["facilities"] == 400 + 195
    assert not Facility.objects.filter(source=Source.SYNTHETIC).exists()
    assert Facility.objects.count() == 195


def test_the_bench_command_refuses_bad_input_with_status_2(db):
    with pytest.raises(CommandError) as exc:
        call_command("bench", "directory", "--facilities", "5", stdout=io.StringIO())
    assert exc.value.returncode == 2
    assert "between 100 and 1,000,000" in str(exc.value)


def test_the_bench_command_prints_one_json_object(oregon_file, monkeypatch):
    monkeypatch.setattr(demo_directory, "FINDTREATMENT_FILE", oregon_file)
    out = io.StringIO()
    call_command("bench", "directory", "--facilities", "150", stdout=out, stderr=io.StringIO())
    result = json.loads(out.getvalue())
    assert result["queries"] == 500 and result["identical"] is True
