"""The API: same scoping and audit as the pages, one error shape for every 4xx."""

import datetime as dt

from django.utils import timezone

from openiop.audit.models import AuditEvent
from openiop.patients.models import Patient

TODAY = timezone.localdate()


def post(client, url, body):
    return client.post(url, data=body, content_type="application/json")


def patch(client, url, body):
    return client.patch(url, data=body, content_type="application/json")


def assert_error_shape(response, status, field=None):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["message"]
    if field:
        assert field in body["error"]["fields"], body


def test_openapi_document_is_served(db, client):
    doc = client.get("/api/v1/openapi.json").json()
    assert doc["info"]["title"] == "OpenIOP API"
    assert "/api/v1/patients" in doc["paths"]


def test_wrong_types_get_422_naming_the_field(cast):
    client = cast.client("intake")
    response = post(
        client,
        "/api/v1/patients",
        {"legal_given_name": "A", "legal_family_name": "B", "date_of_birth": "yesterday"},
    )
    assert_error_shape(response, 422, "date_of_birth")
    assert not Patient.objects.filter(legal_family_name="B").exists()


def test_an_unknown_enum_value_gets_422(cast):
    response = post(
        cast.client("intake"),
        "/api/v1/episodes",
        {
            "patient": str(cast.patient_b.uuid),
            "program": str(cast.program_a.uuid),
            "admitted_on": TODAY.isoformat(),
            "admission_type": "teleport",
            "referral_source": "self",
        },
    )
    assert_error_shape(response, 422, "admission_type")


def test_a_duplicate_mrn_gets_400_naming_the_field(cast):
    response = post(
        cast.client("intake"),
        "/api/v1/patients",
        {
            "legal_given_name": "A",
            "legal_family_name": "Dup",
            "date_of_birth": "1990-01-01",
            "mrn": cast.patient_a.mrn,
        },
    )
    assert_error_shape(response, 400, "mrn")


def test_a_second_open_episode_gets_400(cast):
    response = post(
        cast.client("intake"),
        "/api/v1/episodes",
        {
            "patient": str(cast.patient_a.uuid),
            "program": str(cast.program_a.uuid),
            "admitted_on": TODAY.isoformat(),
            "admission_type": "direct",
            "referral_source": "self",
        },
    )
    assert_error_shape(response, 400, "program")


def test_a_discharge_before_admission_gets_400_and_changes_nothing(cast):
    response = post(
        cast.client("clinician_a"),
        f"/api/v1/episodes/{cast.episode_a.uuid}/discharge",
        {"discharged_on": "2001-01-01", "discharge_reason": "completed"},
    )
    assert_error_shape(response, 400, "discharged_on")
    cast.episode_a.refresh_from_db()
    assert cast.episode_a.status == "active"


def test_anonymous_gets_401_and_others_403_in_the_same_shape(cast, client):
    assert_error_shape(client.get("/api/v1/patients"), 401)
    assert_error_shape(cast.client("auditor").get("/api/v1/patients"), 403)
    assert_error_shape(
        cast.client("clinician_b").get(f"/api/v1/patients/{cast.patient_a.uuid}"), 404
    )


def test_bad_pagination_is_a_field_error(cast):
    """The bounds are declared in the OpenAPI document, so they are validated as
    fields (422), like every other declared constraint."""
    response = cast.client("clinician_a").get("/api/v1/patients?page=0")
    assert_error_shape(response, 422, "page")
    response = cast.client("clinician_a").get("/api/v1/patients?page_size=1000")
    assert_error_shape(response, 422, "page_size")


def test_register_admit_read_update_discharge_through_the_api(cast):
    intake = cast.client("intake")
    created = post(
        intake,
        "/api/v1/patients",
        {
            "legal_given_name": "Sage",
            "legal_family_name": "Fictivo",
            "date_of_birth": "1985-05-05",
            "pronouns": "they/them",
            "admission": {
                "program": str(cast.program_a.uuid),
                "track": str(cast.track_a.uuid),
                "primary_clinician": str(cast.clinician_a.uuid),
                "admitted_on": (TODAY - dt.timedelta(days=2)).isoformat(),
                "admission_type": "step_up",
                "referral_source": "physician",
            },
        },
    )
    assert created.status_code == 201, created.content
    uuid = created.json()["uuid"]
    clinician = cast.client("clinician_a")
    assert clinician.get(f"/api/v1/patients/{uuid}").json()["pronouns"] == "they/them"
    updated = patch(clinician, f"/api/v1/patients/{uuid}", {"preferred_name": "Sagey"})
    assert updated.json()["preferred_name"] == "Sagey"
    episodes = clinician.get(f"/api/v1/episodes?program={cast.program_a.uuid}").json()
    mine = [e for e in episodes["results"] if e["patient"] == uuid]
    assert len(mine) == 1 and mine[0]["track"] == str(cast.track_a.uuid)
    done = post(
        clinician,
        f"/api/v1/episodes/{mine[0]['uuid']}/discharge",
        {"discharged_on": TODAY.isoformat(), "discharge_reason": "stepped_down"},
    )
    assert done.json()["status"] == "discharged"
    assert AuditEvent.objects.filter(event="patient.read", via="api").exists()


def test_patching_a_required_field_to_null_is_refused(cast):
    response = patch(
        cast.client("clinician_a"),
        f"/api/v1/patients/{cast.patient_a.uuid}",
        {"legal_family_name": None},
    )
    assert_error_shape(response, 400, "legal_family_name")


def test_the_patient_list_is_scoped_and_paginated(cast):
    body = cast.client("clinician_b").get("/api/v1/patients?page_size=10").json()
    assert body["count"] == 1 and body["pages"] == 1
    assert [p["mrn"] for p in body["results"]] == [cast.patient_b.mrn]


def test_a_program_director_changes_the_band_through_the_api(cast):
    response = patch(
        cast.client("director_a"),
        f"/api/v1/programs/{cast.program_a.uuid}",
        {"min_weekly_hours": "12", "max_weekly_hours": "10"},
    )
    assert_error_shape(response, 400, "max_weekly_hours")
    ok = patch(
        cast.client("director_a"),
        f"/api/v1/programs/{cast.program_a.uuid}",
        {"min_weekly_hours": "10"},
    )
    assert ok.json()["min_weekly_hours"] == "10.00"


def test_a_session_write_without_csrf_is_refused(cast):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.clinician_a)
    response = patch(client, f"/api/v1/patients/{cast.patient_a.uuid}", {"pronouns": "x"})
    assert response.status_code in (401, 403)
    cast.patient_a.refresh_from_db()
    assert cast.patient_a.pronouns == ""


def test_errors_raised_before_our_handlers_have_the_same_shape(cast):
    client = cast.client("clinician_a")
    assert_error_shape(
        client.put("/api/v1/patients", data="{}", content_type="application/json"), 405
    )
    assert_error_shape(client.get("/api/v1/no-such-thing"), 404)
    assert_error_shape(
        client.post("/api/v1/patients", data="{not json", content_type="application/json"), 400
    )
