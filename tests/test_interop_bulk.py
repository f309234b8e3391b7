"""Bulk NDJSON export: every line a valid resource, every reference resolved
inside the export, stable ids; the command line; the background job with its
progress and downloads."""

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from openiop.audit.models import AuditEvent
from openiop.interop.models import ExportJob
from openiop.interop.services.bulk import bulk_export
from tests.fhir_helpers import dangling, validate
from tests.interop_helpers import consent_for, full_record, recipient, scores


def read_export(out) -> list[dict]:
    resources = []
    for path in sorted(out.glob("*.ndjson")):
        for line in path.read_text().splitlines():
            resource = json.loads(line)
            assert path.name == f"{resource['resourceType']}.ndjson"
            resources.append(resource)
    return resources


def test_every_exported_resource_validates_and_references_resolve(cast, tmp_path):
    full_record(cast)
    scores(cast)
    consent_for(cast, recipient(cast))
    result = bulk_export(organization=cast.org, out_dir=tmp_path, include_audit=True)
    resources = read_export(tmp_path)
    assert len(resources) == result.resources
    for r in resources:
        validate(r)
    assert dangling(resources) == set()
    assert {
        "Patient",
        "Condition",
        "Goal",
        "Consent",
        "QuestionnaireResponse",
        "Observation",
        "AuditEvent",
    } <= set(result.counts)
    assert result.counts["Patient"] == 2


def test_identifiers_are_stable_across_bulk_exports(cast, tmp_path):
    full_record(cast)
    bulk_export(organization=cast.org, out_dir=tmp_path / "a")
    bulk_export(organization=cast.org, out_dir=tmp_path / "b")
    ids = [{(r["resourceType"], r["id"]) for r in read_export(tmp_path / d)} for d in "ab"]
    assert ids[0] == ids[1]


def test_a_staff_export_holds_only_what_they_may_see(cast, tmp_path):
    full_record(cast)
    bulk_export(organization=cast.org, out_dir=tmp_path, actor=cast.director_a)
    patients = [r for r in read_export(tmp_path) if r["resourceType"] == "Patient"]
    assert [p["id"] for p in patients] == [str(cast.patient_a.uuid)]
    event = AuditEvent.objects.get(event="fhir.bulk_export")
    assert event.actor == cast.director_a
    assert list(event.subjects.values_list("patient_id", flat=True)) == [cast.patient_a.pk]
    assert dangling(read_export(tmp_path)) == set()


def test_the_command_writes_ndjson_per_resource_type(cast, tmp_path):
    full_record(cast)
    stdout = io.StringIO()
    call_command("export-fhir", out=str(tmp_path), organization=cast.org.slug, stdout=stdout)
    assert (tmp_path / "Patient.ndjson").exists() and (tmp_path / "CarePlan.ndjson").exists()
    assert "resources of 2 patients" in stdout.getvalue()


def test_the_command_prints_a_patients_bundle(cast):
    full_record(cast)
    stdout = io.StringIO()
    call_command(
        "export-fhir", patient=cast.patient_a.mrn, organization=cast.org.slug, stdout=stdout
    )
    bundle = json.loads(stdout.getvalue())
    validate(bundle)
    assert bundle["entry"][0]["resource"]["id"] == str(cast.patient_a.uuid)


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"patient": "NOPE-1"}, "no patient with MRN"),
        ({"patient": "X", "organization": "missing-org"}, "no organization"),
    ],
)
def test_the_command_refuses_bad_input_with_status_2(cast, kwargs, words):
    kwargs.setdefault("organization", cast.org.slug)
    with pytest.raises(CommandError) as err:
        call_command("export-fhir", **kwargs)
    assert err.value.returncode == 2
    assert words in str(err.value)


def test_the_export_job_runs_in_the_background_with_progress(
    cast, tmp_path, settings, django_capture_on_commit_callbacks
):
    settings.FHIR_EXPORT_DIR = tmp_path
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    full_record(cast)
    client = cast.client("director_a")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/interop/exports/start/")
    job = ExportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/interop/exports/{job.uuid}/"
    assert job.status == "done" and job.percent == 100
    assert job.patients_total == 1 and job.resources_written == sum(job.counts.values())
    page = client.get(f"/interop/exports/{job.uuid}/", HTTP_HX_REQUEST="true")
    assert b"Patient.ndjson" in page.content and b"hx-trigger" not in page.content
    download = client.get(f"/interop/exports/{job.uuid}/Patient.ndjson")
    assert download["Content-Type"] == "application/fhir+ndjson"
    line = b"".join(download.streaming_content).decode().splitlines()[0]
    validate(json.loads(line))
    other = cast.client("admin").get(f"/interop/exports/{job.uuid}/Patient.ndjson")
    assert other.status_code == 404  # a job is its requester's alone


def test_a_queued_job_shows_it_waits_for_the_worker(cast, tmp_path, settings):
    settings.FHIR_EXPORT_DIR = tmp_path
    client = cast.client("director_a")
    client.post("/interop/exports/start/")  # on_commit never fires inside the test transaction
    job = ExportJob.objects.get()
    page = client.get(f"/interop/exports/{job.uuid}/").content.decode()
    assert "openiop worker" in page and 'hx-trigger="every 2s"' in page
    again = client.post("/interop/exports/start/", follow=True)
    assert "still running" in again.content.decode()
