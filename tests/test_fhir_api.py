"""The FHIR R4 read API: token auth, scoping and audit as in /api/v1/, answers
in application/fhir+json, OperationOutcome on errors; an external recipient's
system reads only what a Part 2 consent allows, and each read is accounted for."""

import json

import pytest

from openiop.accounts.services import api_token_create
from openiop.audit.models import AuditEvent, Outcome
from openiop.consent.models import Disclosure
from openiop.consent.services import consent_revoke, recipient_issue_token
from tests.fhir_helpers import bundle_resources, dangling, validate
from tests.interop_helpers import consent_for, full_record, recipient

FHIR = "application/fhir+json; charset=utf-8"


def get(client, path, token=None, **params):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    return client.get(f"/fhir/R4/{path}", params, **headers)


def body(response) -> dict:
    assert response["Content-Type"] == FHIR
    return json.loads(response.content)


@pytest.fixture
def staff_token(cast):
    return api_token_create(actor=cast.clinician_a, name="fhir test")[1]


@pytest.fixture
def external(cast):
    rcpt = recipient(cast)
    _token, raw = recipient_issue_token(actor=cast.director_a, recipient=rcpt)
    return rcpt, raw


def test_metadata_is_a_valid_capability_statement(client, db):
    response = get(client, "metadata")
    assert response.status_code == 200
    statement = body(response)
    validate(statement)
    types = {r["type"] for r in statement["rest"][0]["resource"]}
    assert {"Patient", "CarePlan", "Condition", "Consent", "AuditEvent"} <= types


def test_without_a_token_the_answer_is_401_operation_outcome(client, cast):
    response = get(client, f"Patient/{cast.patient_a.uuid}")
    assert response.status_code == 401
    outcome = body(response)
    validate(outcome)
    assert outcome["issue"][0]["code"] == "login"
    bad = get(client, f"Patient/{cast.patient_a.uuid}", token="oiop_not-a-token")
    assert bad.status_code == 401
    assert AuditEvent.objects.filter(event="fhir.token_refused").exists()


def test_staff_read_a_patient_they_may_see_and_it_is_audited(client, cast, staff_token):
    response = get(client, f"Patient/{cast.patient_a.uuid}", staff_token)
    assert response.status_code == 200
    patient = body(response)
    validate(patient)
    assert patient["id"] == str(cast.patient_a.uuid)
    assert AuditEvent.objects.filter(event="fhir.read", patient=cast.patient_a).exists()
    assert not Disclosure.objects.exists()  # staff of the program: not a disclosure


def test_another_programs_patient_is_not_found(client, cast):
    token = api_token_create(actor=cast.clinician_b, name="b")[1]
    response = get(client, f"Patient/{cast.patient_a.uuid}", token)
    assert response.status_code == 404
    validate(body(response))


def test_careplan_search_by_patient_is_a_valid_searchset(client, cast, staff_token):
    full_record(cast)
    response = get(client, "CarePlan", staff_token, patient=f"Patient/{cast.patient_a.uuid}")
    assert response.status_code == 200
    bundle = body(response)
    validate(bundle)
    assert bundle["type"] == "searchset" and bundle["total"] == 1
    for r in bundle_resources(bundle):
        validate(r)
    assert bundle["entry"][0]["fullUrl"].startswith("http://testserver/fhir/R4/CarePlan/")


def test_everything_returns_the_record_with_every_reference_resolved(client, cast, staff_token):
    full_record(cast)
    response = get(client, f"Patient/{cast.patient_a.uuid}/$everything", staff_token)
    bundle = body(response)
    resources = bundle_resources(bundle)
    for r in resources:
        validate(r)
    assert dangling(resources) == set()
    assert {"Condition", "Goal", "Practitioner"} <= {r["resourceType"] for r in resources}


@pytest.mark.parametrize(
    ("path", "params", "status"),
    [
        ("Condition", {}, 400),
        ("Medication", {}, 404),
        ("Patient", {"_count": "-1"}, 400),
        ("Patient", {"_count": "ten"}, 400),
        ("Patient", {"gender:sounds": "male"}, 400),
        ("Patient", {"birthdate": "sa2026"}, 400),
        ("Patient", {"birthdate": "yesterday"}, 400),
        ("Patient/not-a-uuid", {}, 404),
    ],
)
def test_bad_requests_get_an_operation_outcome(client, cast, staff_token, path, params, status):
    response = get(client, path, staff_token, **params)
    assert response.status_code == status
    outcome = body(response)
    validate(outcome)
    assert outcome["issue"][0]["diagnostics"]


def test_unknown_paths_answer_an_operation_outcome(client, db):
    response = get(client, "patient/lowercase")
    assert response.status_code == 404
    validate(body(response))


def test_the_api_is_read_only(client, cast, staff_token):
    client = client.__class__(enforce_csrf_checks=True)
    response = client.post(
        "/fhir/R4/Patient",
        data="{}",
        content_type="application/fhir+json",
        HTTP_AUTHORIZATION=f"Bearer {staff_token}",
    )
    assert response.status_code == 405
    validate(body(response))


def test_patient_search_by_mrn_and_name(client, cast, staff_token):
    found = body(get(client, "Patient", staff_token, identifier=cast.patient_a.mrn))
    assert [e["resource"]["id"] for e in found["entry"]] == [str(cast.patient_a.uuid)]
    none = body(get(client, "Patient", staff_token, family="Nobody"))
    assert none["total"] == 0


def test_an_external_system_without_consent_is_not_told_the_patient_exists(client, cast, external):
    """42 CFR 2.13(c): no consent reaches it, so the answer is the one an unknown
    id gets; the refusal is audited for the program's privacy officer."""
    rcpt, raw = external
    response = get(client, f"Patient/{cast.patient_a.uuid}", raw)
    unknown = get(client, "Patient/00000000-0000-4000-8000-000000000000", raw)
    assert response.status_code == unknown.status_code == 404
    assert body(response) == body(unknown)
    validate(body(response))
    assert not Disclosure.objects.exists()
    assert AuditEvent.objects.filter(event="disclosure.fhir_api", outcome=Outcome.DENIED).exists()
    listing = body(get(client, "Patient", raw))
    assert "total" not in listing and not listing.get("entry")


def test_an_external_read_with_consent_is_disclosed_with_the_notice(client, cast, external):
    full_record(cast)
    rcpt, raw = external
    consent_for(cast, rcpt, categories=["diagnoses"])
    response = get(client, "Condition", raw, patient=str(cast.patient_a.uuid))
    assert response.status_code == 200
    assert "42 CFR part 2" in response["X-Part2-Notice"]
    bundle = body(response)
    validate(bundle)
    condition = bundle_resources(bundle)[0]
    validate(condition)
    assert "42 CFR part 2" in condition["meta"]["extension"][0]["valueString"]
    assert {s["code"] for s in condition["meta"]["security"]} >= {"42CFRPart2"}
    entry = Disclosure.objects.get()
    assert entry.channel == "fhir_api" and entry.recipient == rcpt
    assert entry.categories == ["diagnoses"] and entry.resource_count == 1
    assert AuditEvent.objects.filter(event="disclosure.fhir_api", action="disclose").exists()
    # the treatment plan is not in the consent
    plan = get(client, "CarePlan", raw, patient=str(cast.patient_a.uuid))
    assert plan.status_code == 403
    assert "does not cover treatment plan" in body(plan)["issue"][0]["diagnostics"]
    assert Disclosure.objects.count() == 1


def test_an_external_everything_holds_only_what_the_consent_covers(client, cast, external):
    full_record(cast)
    rcpt, raw = external
    consent_for(cast, rcpt, categories=["plan"])
    bundle = body(get(client, f"Patient/{cast.patient_a.uuid}/$everything", raw))
    types = {r["resourceType"] for r in bundle_resources(bundle)}
    assert "CarePlan" in types and "Goal" in types
    assert "Condition" not in types and "Consent" not in types
    assert dangling(bundle_resources(bundle)) == set()
    assert Disclosure.objects.get().categories == ["demographics", "plan"]


def test_a_revoked_consent_stops_the_external_system(client, cast, external):
    rcpt, raw = external
    c = consent_for(cast, rcpt)
    assert get(client, f"Patient/{cast.patient_a.uuid}", raw).status_code == 200
    consent_revoke(actor=cast.clinician_a, consent=c)
    response = get(client, f"Patient/{cast.patient_a.uuid}", raw)
    assert response.status_code == 403
    assert "revoked" in body(response)["issue"][0]["diagnostics"]


def test_an_external_system_cannot_use_the_rest_api(client, cast, external):
    _rcpt, raw = external
    response = client.get("/api/v1/patients", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 403


def test_auditors_read_the_audit_trail_as_fhir(client, cast, staff_token):
    get(client, f"Patient/{cast.patient_a.uuid}", staff_token)
    token = api_token_create(actor=cast.auditor, name="audit")[1]
    bundle = body(get(client, "AuditEvent", token, patient=str(cast.patient_a.uuid)))
    assert bundle["total"] >= 1
    for r in bundle_resources(bundle):
        validate(r)
    first = bundle_resources(bundle)[0]
    assert body(get(client, f"AuditEvent/{first['id']}", token))["id"] == first["id"]
    assert get(client, "AuditEvent", staff_token).status_code == 403


def test_directory_resources_validate(client, cast, staff_token):
    for rtype in ("Organization", "Location", "HealthcareService", "Practitioner"):
        bundle = body(get(client, rtype, staff_token))
        assert bundle["total"] >= 1, rtype
        for r in bundle_resources(bundle):
            validate(r)
        one = bundle_resources(bundle)[0]
        assert body(get(client, f"{rtype}/{one['id']}", staff_token))["id"] == one["id"]


def test_patient_search_costs_the_same_queries_for_more_patients(client, cast, staff_token):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import EpisodeFactory

    get(client, "Patient", staff_token)  # the token's first use is recorded once
    with CaptureQueriesContext(connection) as few:
        assert get(client, "Patient", staff_token).status_code == 200
    for _ in range(4):
        EpisodeFactory(
            program=cast.program_a, track=cast.track_a, primary_clinician=cast.clinician_a
        )
    with CaptureQueriesContext(connection) as more:
        bundle = body(get(client, "Patient", staff_token))
    assert bundle["total"] == 5
    assert len(more.captured_queries) == len(few.captured_queries)
