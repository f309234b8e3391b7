"""FHIR Bulk Data Access 2.0 `$export` over HTTP: kick-off, status, files,
cancellation and expiry, scoped and audited as every FHIR read. Checked against
the spec's text (http://hl7.org/fhir/uv/bulkdata/export.html) and, for every
resource and OperationOutcome, the fhir.resources models."""

import datetime as dt
import json
import shutil

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from openiop.accounts.services import api_token_create
from openiop.audit.models import AuditEvent
from openiop.consent.services import recipient_issue_token
from openiop.interop.models import ExportJob, ExportStatus
from openiop.interop.services import jobs
from openiop.interop.services.jobs import export_job_run, exports_sweep, job_dir
from openiop.patients.models import Patient
from tests.factories import OrganizationFactory, ProgramFactory, staff
from tests.fhir_helpers import validate
from tests.interop_helpers import full_record, recipient

FHIR = "application/fhir+json; charset=utf-8"


@pytest.fixture(autouse=True)
def _exports_in(settings, tmp_path):
    settings.FHIR_EXPORT_DIR = tmp_path


@pytest.fixture
def head(cast):
    """A program director of the whole organization (every program)."""
    return staff("program_director", organization=cast.org, username="director.org")


def token(cast, who) -> str:
    """A token of a cast member (by name) or of a user."""
    user = getattr(cast, who) if isinstance(who, str) else who
    return api_token_create(actor=user, name=f"bulk {user.username}")[1]


def call(client, method, path, tok, *, prefer="respond-async", data=None, **params):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {tok}"} if tok else {}
    if prefer:
        headers["HTTP_PREFER"] = prefer
    url = f"/fhir/R4/{path}"
    if method == "post":
        return client.post(url, data=data, content_type="application/fhir+json", **headers)
    return getattr(client, method)(url, params, **headers)


def kick(client, path, tok, **params):
    return call(client, "get", path, tok, **params)


def outcome_of(response, status: int) -> dict:
    assert response.status_code == status, response.content[:400]
    assert response["Content-Type"] == FHIR
    body = json.loads(response.content)
    validate(body)
    assert body["resourceType"] == "OperationOutcome"
    return body


def status_path(response) -> str:
    url = response["Content-Location"]
    assert url.startswith("http://testserver/fhir/R4/bulk-status/")
    return url.removeprefix("http://testserver/fhir/R4/")


def run(response) -> ExportJob:
    """The worker's part, here and now."""
    job = ExportJob.objects.get(uuid=status_path(response).rsplit("/", 1)[1])
    export_job_run(job.pk)
    job.refresh_from_db()
    return job


def download(client, url, tok) -> list[dict]:
    response = client.get(url.removeprefix("http://testserver"), HTTP_AUTHORIZATION=f"Bearer {tok}")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/fhir+ndjson"
    text = b"".join(response.streaming_content).decode()
    resources = [json.loads(line) for line in text.splitlines()]
    for r in resources:
        validate(r)
    return resources


def finished(client, cast, who="director_a", path="$export", **params):
    """Kick off, run, and return (token, manifest, {type: resources})."""
    tok = token(cast, who)
    started = kick(client, path, tok, **params)
    assert started.status_code == 202, started.content
    run(started)
    response = call(client, "get", status_path(started), tok, prefer=None)
    assert response.status_code == 200, response.content
    manifest = json.loads(response.content)
    files = {o["type"]: download(client, o["url"], tok) for o in manifest["output"]}
    return tok, manifest, files


# kick-off: bad input is refused and nothing is queued ----------------------------------


def test_kick_off_without_prefer_respond_async_is_400_and_queues_nothing(client, cast):
    tok = token(cast, "director_a")
    for prefer in (None, "return=minimal", "respond-async-later"):
        body = outcome_of(kick(client, "$export", tok, prefer=prefer), 400)
        assert "Prefer: respond-async" in body["issue"][0]["diagnostics"]
    assert not ExportJob.objects.exists()
    assert not AuditEvent.objects.filter(event="fhir.export_start").exists()
    # RFC 7240: several preferences, any case, with parameters
    assert kick(client, "$export", tok, prefer="handling=lenient, Respond-Async").status_code == 202


@pytest.mark.parametrize(
    ("path", "params", "words"),
    [
        ("$export", {"_outputFormat": "application/json"}, "NDJSON only"),
        ("$export", {"_outputFormat": "text/csv"}, "NDJSON only"),
        ("$export", {"_type": "MedicationRequest"}, "does not export MedicationRequest"),
        ("$export", {"_type": "Patient,,Goal"}, "none empty"),
        ("$export", {"_type": "patient"}, "does not export patient"),
        ("Patient/$export", {"_type": "AuditEvent"}, "system-level export only"),
        ("$export", {"_since": "2026-01-01"}, "FHIR instant"),
        ("$export", {"_since": "2026-01-01T00:00:00"}, "FHIR instant"),
        ("$export", {"_since": "2026-02-30T00:00:00Z"}, "FHIR instant"),
        ("$export", {"_since": "2026-01-01T00:00:00 02:00"}, "%2B"),
        ("$export", {"_since": ["2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z"]}, "once"),
        ("$export", {"_typeFilter": "Condition?code=F10.20"}, "does not support"),
        ("$export", {"patient": "Patient/1"}, "does not support"),
        ("$export", {"_elements": "id"}, "does not support"),
        ("$export", {"_count": "10"}, "not a parameter of $export"),
    ],
)
def test_bad_kick_off_parameters_are_400_and_queue_nothing(client, cast, path, params, words):
    body = outcome_of(kick(client, path, token(cast, "admin"), **params), 400)
    assert words in body["issue"][0]["diagnostics"]
    assert body["issue"][0]["code"] == "invalid"
    assert not ExportJob.objects.exists()


@pytest.mark.parametrize(
    "value",
    [
        "2026-01-01T00:00:00Z",
        "2026-01-01T00:00:00+02:00",
        "2026-01-01T00:00:00.123-05:00",
        "2026-01-01T00:00:60Z",
        "2026-01-01T00:00:00",
        "2026-01-01",
        "2026-02-30T00:00:00Z",
        "2026-01-01T24:00:00Z",
        "2026-01-01T00:00Z",
        "2026-13-01T00:00:00Z",
        "2026-01-01T00:00:00+15:00",
    ],
)
def test_since_is_accepted_exactly_when_fhir_resources_parses_it_as_an_instant(client, cast, value):
    from fhir.resources.R4B import get_fhir_model_class

    try:  # an independent reading of the FHIR instant type (Bundle.timestamp)
        get_fhir_model_class("Bundle").model_validate(
            {"resourceType": "Bundle", "type": "collection", "timestamp": value}
        )
        expected = 202
    except ValueError:
        expected = 400
    response = kick(client, "$export", token(cast, "admin"), _since=value)
    assert response.status_code == expected, response.content


@pytest.mark.parametrize("fmt", ["application/fhir+ndjson", "application/ndjson", "ndjson"])
def test_the_three_ndjson_names_are_accepted(client, cast, fmt):
    response = kick(client, "$export", token(cast, "admin"), _outputFormat=fmt)
    assert response.status_code == 202
    assert ExportJob.objects.get().output_format == "application/fhir+ndjson"


def test_repeated_type_parameters_are_one_list(client, cast):
    tok = token(cast, "admin")
    response = kick(client, "$export", tok, _type=["Patient,Condition", "Goal", "Patient"])
    assert response.status_code == 202
    assert ExportJob.objects.get().types == ["Patient", "Condition", "Goal"]


def test_post_kick_off_takes_a_parameters_resource(client, cast):
    tok = token(cast, "admin")
    params = {
        "resourceType": "Parameters",
        "parameter": [
            {"name": "_type", "valueString": "Patient"},
            {"name": "_type", "valueString": "Condition"},
            {"name": "_since", "valueInstant": "2026-01-01T00:00:00Z"},
            {"name": "_outputFormat", "valueString": "ndjson"},
        ],
    }
    validate(params)
    response = call(client, "post", "$export", tok, data=json.dumps(params))
    assert response.status_code == 202, response.content
    job = ExportJob.objects.get()
    assert job.types == ["Patient", "Condition"]
    assert job.since == dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    bad = {"resourceType": "Parameters", "parameter": [{"name": "patient", "valueString": "x"}]}
    job.delete()
    outcome_of(call(client, "post", "$export", tok, data=json.dumps(bad)), 400)
    outcome_of(call(client, "post", "$export", tok, data="[1]"), 400)
    outcome_of(call(client, "post", "$export", tok, data="{"), 400)
    assert not ExportJob.objects.exists()


def test_other_methods_are_405_with_allow(client, cast):
    tok = token(cast, "admin")
    response = call(client, "put", "$export", tok)
    outcome_of(response, 405)
    assert response["Allow"] == "GET, POST"


def test_a_second_export_while_one_runs_is_429_with_retry_after(client, cast):
    tok = token(cast, "admin")
    assert kick(client, "$export", tok).status_code == 202
    response = kick(client, "Patient/$export", tok)
    outcome_of(response, 429)
    assert int(response["Retry-After"]) > 0
    assert ExportJob.objects.count() == 1


# who may export ------------------------------------------------------------------------


def test_staff_without_the_export_permission_are_refused_and_it_is_audited(client, cast):
    outcome_of(kick(client, "$export", token(cast, "clinician_a")), 403)
    assert AuditEvent.objects.filter(
        event="fhir.export", actor=cast.clinician_a, outcome="denied"
    ).exists()
    assert not ExportJob.objects.exists()


def test_an_external_recipients_token_cannot_export(client, cast):
    _t, raw = recipient_issue_token(actor=cast.director_a, recipient=recipient(cast))
    for path in ("$export", "Patient/$export", f"Group/{cast.program_a.uuid}/$export"):
        body = outcome_of(kick(client, path, raw), 403)
        assert "one patient at a time" in body["issue"][0]["diagnostics"]
    assert AuditEvent.objects.filter(event="fhir.bulk_export", outcome="denied").count() == 3
    assert not ExportJob.objects.exists()


def test_only_administrators_may_ask_for_the_audit_trail(client, cast):
    outcome_of(kick(client, "$export", token(cast, "director_a"), _type="AuditEvent"), 403)
    assert kick(client, "$export", token(cast, "admin"), _type="AuditEvent").status_code == 202


def test_without_a_token_the_kick_off_is_401(client, cast):
    outcome_of(kick(client, "$export", None), 401)


# the whole flow ------------------------------------------------------------------------


def test_kick_off_status_manifest_and_files(client, cast, head):
    full_record(cast)
    tok = token(cast, head)
    started = kick(client, "$export", tok)
    assert started.status_code == 202
    outcome_of(started, 202)  # an informational OperationOutcome
    polled = call(client, "get", status_path(started), tok, prefer=None)
    assert polled.status_code == 202
    assert polled["X-Progress"].startswith("Queued") and len(polled["X-Progress"]) < 100
    assert int(polled["Retry-After"]) > 0
    job = run(started)
    assert job.status == "done"
    response = call(client, "get", status_path(started), tok, prefer=None)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Expires"]  # when the files go
    manifest = json.loads(response.content)
    # the spec's required fields, and nothing it does not define
    assert set(manifest) == {"transactionTime", "request", "requiresAccessToken", "output", "error"}
    validate(
        {"resourceType": "Bundle", "type": "collection", "timestamp": manifest["transactionTime"]}
    )
    assert manifest["request"] == "http://testserver/fhir/R4/$export"
    assert manifest["requiresAccessToken"] is True and manifest["error"] == []
    types = set()
    for item in manifest["output"]:
        assert set(item) == {"type", "url", "count"}
        resources = download(client, item["url"], tok)
        assert len(resources) == item["count"] > 0
        assert {r["resourceType"] for r in resources} == {item["type"]}
        types.add(item["type"])
    assert {"Patient", "Condition", "CarePlan", "Goal", "Organization", "Practitioner"} <= types
    assert "AuditEvent" not in types  # a program director may not read the audit trail
    patients = download(client, _url(manifest, "Patient"), tok)
    assert {p["id"] for p in patients} == {str(cast.patient_a.uuid), str(cast.patient_b.uuid)}


def _url(manifest, rtype) -> str:
    return next(o["url"] for o in manifest["output"] if o["type"] == rtype)


def test_an_administrators_system_export_has_the_audit_trail_and_no_patient(client, cast):
    full_record(cast)
    _tok, _manifest, files = finished(client, cast, "admin")
    assert files["AuditEvent"] and files["Organization"]
    assert not set(files) & {"Patient", "Condition", "EpisodeOfCare"}  # no patient.view


def test_part2_labels_travel_in_the_files(client, cast):
    cast.program_a.focus = "substance_use"
    cast.program_a.save()
    full_record(cast)
    _tok, _manifest, files = finished(client, cast, _type="Patient,Condition")
    assert set(files) == {"Patient", "Condition"}
    for resource in files["Patient"] + files["Condition"]:
        codes = {s["code"] for s in resource["meta"]["security"]}
        assert "42CFRPart2" in codes


def test_a_program_directors_export_holds_only_their_programs_patients(client, cast):
    _tok, _manifest, files = finished(client, cast, "director_a", "Patient/$export")
    assert [p["id"] for p in files["Patient"]] == [str(cast.patient_a.uuid)]
    refs = {e["patient"]["reference"] for e in files["EpisodeOfCare"]}
    assert refs == {f"Patient/{cast.patient_a.uuid}"}
    assert "AuditEvent" not in files  # not in the patient-level export
    event = AuditEvent.objects.get(event="fhir.bulk_export")
    assert event.actor == cast.director_a
    assert list(event.subjects.values_list("patient_id", flat=True)) == [cast.patient_a.pk]


def test_every_step_is_audited(client, cast):
    tok, manifest, _files = finished(client, cast, "director_a")
    start = AuditEvent.objects.get(event="fhir.export_start")
    assert start.actor == cast.director_a and start.detail["kind"] == "system"
    assert AuditEvent.objects.filter(event="fhir.bulk_export", actor=cast.director_a).exists()
    downloads = AuditEvent.objects.filter(event="fhir.export_download", actor=cast.director_a)
    assert downloads.count() == len(manifest["output"])


def test_type_and_since_narrow_the_export(client, cast, head):
    full_record(cast)
    long_ago = timezone.now() - dt.timedelta(days=30)
    Patient.objects.update(updated_at=long_ago)  # update() leaves auto_now alone
    since = (timezone.now() - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    _tok, manifest, files = finished(
        client, cast, head, "Patient/$export", _type="Patient,Condition,Organization", _since=since
    )
    assert set(files) == {"Condition", "Organization"}  # the patients did not change
    assert {o["type"] for o in manifest["output"]} == {"Condition", "Organization"}
    # only the patients something was exported of are in the export's audit
    event = AuditEvent.objects.get(event="fhir.bulk_export")
    assert list(event.subjects.values_list("patient_id", flat=True)) == [cast.patient_a.pk]


# Group = a program ---------------------------------------------------------------------


def test_a_group_export_holds_the_programs_patients(client, cast, head):
    _tok, _manifest, files = finished(client, cast, head, f"Group/{cast.program_b.uuid}/$export")
    assert [p["id"] for p in files["Patient"]] == [str(cast.patient_b.uuid)]
    assert [s["id"] for s in files["HealthcareService"] if "extension" not in s] == [
        str(cast.program_b.uuid)
    ]


def test_a_group_out_of_reach_is_404(client, cast):
    other = ProgramFactory(organization=OrganizationFactory(name="Other Org"))
    admin = token(cast, "admin")
    outcome_of(kick(client, f"Group/{other.uuid}/$export", admin), 404)
    outcome_of(call(client, "get", f"Group/{other.uuid}", admin, prefer=None), 404)
    # another program of the organization: not the program director's
    director = token(cast, "director_a")
    outcome_of(kick(client, f"Group/{cast.program_b.uuid}/$export", director), 404)
    outcome_of(kick(client, "Group/not-a-uuid/$export", director), 404)
    assert not ExportJob.objects.exists()


def test_groups_can_be_read_and_searched(client, cast):
    tok = token(cast, "director_a")
    response = call(client, "get", f"Group/{cast.program_a.uuid}", tok, prefer=None)
    assert response.status_code == 200
    group = json.loads(response.content)
    validate(group)
    assert group["type"] == "person" and group["actual"] is True
    found = json.loads(call(client, "get", "Group", tok, prefer=None).content)
    validate(found)
    assert [e["resource"]["id"] for e in found["entry"]] == [str(cast.program_a.uuid)]
    admin = token(cast, "admin")
    named = json.loads(call(client, "get", "Group", admin, prefer=None, name="program b").content)
    assert [e["resource"]["id"] for e in named["entry"]] == [str(cast.program_b.uuid)]
    ident = f"urn:ietf:rfc:3986|urn:uuid:{cast.program_b.uuid}"
    by_id = json.loads(call(client, "get", "Group", admin, prefer=None, identifier=ident).content)
    assert by_id["total"] == 1
    strict = call(client, "get", "Group", admin, prefer="handling=strict", member="x")
    outcome_of(strict, 400)
    outcome_of(call(client, "get", "Group", token(cast, "auditor"), prefer=None), 403)


def test_the_capability_statement_names_the_bulk_operations(client, db):
    response = client.get("/fhir/R4/metadata")
    statement = json.loads(response.content)
    validate(statement)
    bulk = "http://hl7.org/fhir/uv/bulkdata"
    assert statement["instantiates"] == [f"{bulk}/CapabilityStatement/bulk-data"]
    rest = statement["rest"][0]
    assert {o["definition"] for o in rest["operation"]} == {f"{bulk}/OperationDefinition/export"}
    by_type = {r["type"]: r for r in rest["resource"]}
    assert f"{bulk}/OperationDefinition/patient-export" in {
        o["definition"] for o in by_type["Patient"]["operation"]
    }
    assert by_type["Group"]["operation"][0]["definition"] == (
        f"{bulk}/OperationDefinition/group-export"
    )


# status URLs and files are their requester's ---------------------------------------------


def test_another_users_status_url_and_files_are_404(client, cast):
    tok, manifest, _files = finished(client, cast, "director_a")
    job = ExportJob.objects.get()
    admin = token(cast, "admin")
    path = f"bulk-status/{job.uuid}"
    outcome_of(call(client, "get", path, admin, prefer=None), 404)
    outcome_of(call(client, "delete", path, admin, prefer=None), 404)
    url = manifest["output"][0]["url"].removeprefix("http://testserver")
    outcome_of(client.get(url, HTTP_AUTHORIZATION=f"Bearer {admin}"), 404)
    outcome_of(client.get(url), 401)
    job.refresh_from_db()
    assert job.status == "done" and job_dir(job).is_dir()  # untouched
    assert not AuditEvent.objects.filter(event="fhir.export_download", actor=cast.admin).exists()
    outcome_of(call(client, "get", "bulk-status/00000000-0000-4000-8000-000000000000", tok), 404)


def test_a_file_the_export_does_not_have_is_404(client, cast):
    tok, _manifest, _files = finished(client, cast, "director_a", _type="Patient")
    job = ExportJob.objects.get()
    response = client.get(
        f"/fhir/R4/bulk-files/{job.uuid}/Condition.ndjson", HTTP_AUTHORIZATION=f"Bearer {tok}"
    )
    outcome_of(response, 404)


# cancellation --------------------------------------------------------------------------


def test_delete_cancels_a_queued_export_and_the_worker_skips_it(client, cast):
    tok = token(cast, "director_a")
    started = kick(client, "$export", tok)
    response = call(client, "delete", status_path(started), tok, prefer=None)
    outcome_of(response, 202)
    job = ExportJob.objects.get()
    assert job.status == ExportStatus.CANCELLED
    assert export_job_run(job.pk) == {"skipped": True}
    assert not job_dir(job).exists()
    outcome_of(call(client, "get", status_path(started), tok, prefer=None), 404)
    outcome_of(call(client, "delete", status_path(started), tok, prefer=None), 404)
    assert AuditEvent.objects.filter(event="fhir.export_cancel", actor=cast.director_a).exists()
    # cancelled, it no longer holds the requester back
    assert kick(client, "$export", tok).status_code == 202


def test_delete_of_a_done_export_removes_its_files(client, cast):
    tok, manifest, _files = finished(client, cast, "director_a")
    job = ExportJob.objects.get()
    assert job_dir(job).is_dir()
    assert call(client, "delete", f"bulk-status/{job.uuid}", tok, prefer=None).status_code == 202
    assert not job_dir(job).exists()
    url = manifest["output"][0]["url"].removeprefix("http://testserver")
    outcome_of(client.get(url, HTTP_AUTHORIZATION=f"Bearer {tok}"), 404)


def test_a_running_export_cancelled_stops_at_its_next_chunk_and_leaves_no_files(
    client, cast, head, monkeypatch
):
    tok = token(cast, head)  # two patients: two chunks of one
    started = kick(client, "$export", tok)
    job = ExportJob.objects.get()
    real = jobs.bulk_export
    chunks = []

    def cancelled_meanwhile(*, progress, **kwargs):
        # the requester's DELETE arrives while the worker is on the first chunk
        assert call(client, "delete", status_path(started), tok, prefer=None).status_code == 202

        def counted(*args):
            chunks.append(args)
            progress(*args)

        return real(progress=counted, chunk=1, **kwargs)

    monkeypatch.setattr(jobs, "bulk_export", cancelled_meanwhile)
    assert export_job_run(job.pk) == {"cancelled": True}
    assert len(chunks) == 1  # the second chunk was never read
    job.refresh_from_db()
    assert job.status == ExportStatus.CANCELLED and not job.counts and job.patients_done == 0
    assert not job_dir(job).exists()


# expiry --------------------------------------------------------------------------------


def test_files_expire_then_status_and_files_are_410_and_the_files_are_gone(client, cast, settings):
    settings.BULK_EXPORT_EXPIRE_HOURS = 2
    tok, manifest, _files = finished(client, cast, "director_a")
    job = ExportJob.objects.get()
    assert abs(job.expires_at - job.finished_at - dt.timedelta(hours=2)) < dt.timedelta(seconds=1)
    # the worker is asked to sweep when they expire
    sweep = DBTaskResult.objects.get(task_path="openiop.interop.tasks.sweep_expired_exports")
    assert sweep.run_after > job.expires_at - dt.timedelta(seconds=1)
    ExportJob.objects.filter(pk=job.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    url = manifest["output"][0]["url"].removeprefix("http://testserver")
    body = outcome_of(client.get(url, HTTP_AUTHORIZATION=f"Bearer {tok}"), 410)
    assert "expired" in body["issue"][0]["diagnostics"]
    assert not job_dir(job).exists()
    outcome_of(call(client, "get", f"bulk-status/{job.uuid}", tok, prefer=None), 410)
    job.refresh_from_db()
    assert job.status == ExportStatus.EXPIRED


def test_the_sweep_deletes_only_expired_files(client, cast):
    finished(client, cast, "director_a")
    finished(client, cast, "admin", _type="Organization")
    old, fresh = ExportJob.objects.order_by("created_at", "id")
    ExportJob.objects.filter(pk=old.pk).update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    assert exports_sweep() == 1
    assert not job_dir(old).exists() and job_dir(fresh).is_dir()
    assert exports_sweep() == 0
    old.refresh_from_db()
    assert old.status == ExportStatus.EXPIRED


def test_a_failed_export_answers_an_operation_outcome(client, cast, monkeypatch):
    tok = token(cast, "director_a")
    started = kick(client, "$export", tok)

    def broken(**kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(jobs, "bulk_export", broken)
    with pytest.raises(OSError):
        run(started)
    body = outcome_of(call(client, "get", status_path(started), tok, prefer=None), 500)
    assert "OSError" in body["issue"][0]["diagnostics"]


def test_the_staff_page_refuses_expired_files(client, cast):
    finished(client, cast, "director_a")
    job = ExportJob.objects.get()
    ExportJob.objects.filter(pk=job.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    page = cast.client("director_a").get(f"/interop/exports/{job.uuid}/Patient.ndjson")
    assert page.status_code == 404
    assert not job_dir(job).exists()
    shutil.rmtree(job_dir(job), ignore_errors=True)


# a Bulk Data client against a running server ------------------------------------------


def _http(method: str, url: str, tok: str, headers=None):
    """One request as a client program makes it (urllib): (status, headers, body)."""
    import urllib.error
    import urllib.request

    request = urllib.request.Request(url, method=method)
    request.add_header("Authorization", f"Bearer {tok}")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - the test server
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers, err.read()


def test_a_bulk_data_client_flow_against_a_running_server(live_server, cast, head, settings):
    """Kick off, poll while the worker runs it, download and parse every file,
    then DELETE: the flow of the spec, over HTTP, with the real worker."""
    from django.core.management import call_command

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    full_record(cast)
    tok = token(cast, head)
    base = f"{live_server.url}/fhir/R4"
    status, headers, body = _http(
        "GET",
        f"{base}/Group/{cast.program_a.uuid}/$export?_type=Patient,EpisodeOfCare,CarePlan",
        tok,
        {"Prefer": "respond-async", "Accept": "application/fhir+json"},
    )
    assert status == 202, body
    poll = headers["Content-Location"]
    assert poll.startswith(f"{base}/bulk-status/")
    status, headers, _body = _http("GET", poll, tok, {"Accept": "application/json"})
    assert status == 202 and headers["X-Progress"] and int(headers["Retry-After"]) > 0

    call_command(
        "worker", "--batch", "--no-startup-delay", "--no-reload", "--worker-id", "bulk-test"
    )

    status, headers, body = _http("GET", poll, tok, {"Accept": "application/json"})
    assert status == 200, body
    assert headers["Content-Type"] == "application/json"
    manifest = json.loads(body)
    assert manifest["request"].endswith("$export?_type=Patient,EpisodeOfCare,CarePlan")
    assert manifest["requiresAccessToken"] is True
    assert {o["type"] for o in manifest["output"]} == {"Patient", "EpisodeOfCare", "CarePlan"}
    for item in manifest["output"]:
        status, headers, body = _http(
            "GET", item["url"], tok, {"Accept": "application/fhir+ndjson"}
        )
        assert status == 200 and headers["Content-Type"] == "application/fhir+ndjson"
        lines = body.decode().splitlines()
        assert len(lines) == item["count"]
        for line in lines:
            resource = json.loads(line)
            validate(resource)
            assert resource["resourceType"] == item["type"]
            if item["type"] == "Patient":
                assert resource["id"] == str(cast.patient_a.uuid)  # the group's patient only
    status, _headers, body = _http("DELETE", poll, tok)
    assert status == 202, body
    status, _headers, _body = _http("GET", poll, tok)
    assert status == 404
    status, _headers, _body = _http("GET", manifest["output"][0]["url"], tok)
    assert status == 404
