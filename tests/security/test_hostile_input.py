"""Bad input gets a clear 4xx in the path's error shape, never a 500 and never
an HTML page under /api or /fhir. Found by the hostile probe: an enormous
`page`, a NUL byte on PostgreSQL, a time with an offset, a JSON body of
nulls, a text/plain body parsed as JSON, a negative radius."""

import json

import pytest

from openiop.accounts.services import api_token_create

LISTS = [
    "/api/v1/patients",
    "/api/v1/episodes",
    "/api/v1/programs",
    "/api/v1/staff",
    "/api/v1/plans",
    "/api/v1/assessments",
    "/api/v1/alerts",
]


@pytest.fixture
def token(cast):
    return api_token_create(actor=cast.director_a, name="probe")[1]


def get(client, path, token, **params):
    return client.get(path, params, HTTP_AUTHORIZATION=f"Bearer {token}")


def error_shape(response) -> dict:
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = json.loads(response.content)
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "fields"}
    return body["error"]


@pytest.mark.parametrize("path", LISTS)
@pytest.mark.parametrize("page", ["9223372036854775807", "0", "-3", "100001"])
def test_a_page_out_of_range_is_a_field_error(client, token, path, page):
    response = get(client, path, token, page=page)
    assert response.status_code == 422
    assert "page" in error_shape(response)["fields"]


def test_page_bounds_are_in_the_openapi_document(client, db):
    spec = json.loads(client.get("/api/v1/openapi.json").content)
    params = {
        p["name"]: p["schema"] for p in spec["paths"]["/api/v1/patients"]["get"]["parameters"]
    }
    assert params["page"]["minimum"] == 1 and params["page"]["maximum"] == 100000
    assert params["page_size"]["minimum"] == 1 and params["page_size"]["maximum"] == 100


def test_an_unexpected_error_under_the_api_is_json(client, token, monkeypatch):
    from openiop.patients import selectors

    def boom(**kwargs):
        raise RuntimeError("synthetic failure")

    monkeypatch.setattr(selectors, "patient_search", boom)
    response = get(client, "/api/v1/patients", token)
    assert response.status_code == 500
    assert error_shape(response)["code"] == "server_error"
    assert b"synthetic failure" not in response.content


def send(client, method, path, token, body, content_type="application/json"):
    return getattr(client, method)(
        path, data=body, content_type=content_type, HTTP_AUTHORIZATION=f"Bearer {token}"
    )


@pytest.mark.parametrize(
    ("path", "params"),
    [("/api/v1/patients", {"q": "a\x00b"}), ("/fhir/R4/Patient", {"family": "a\x00"})],
)
def test_a_nul_character_in_a_query_is_a_400(client, token, path, params):
    response = get(client, path, token, **params)
    assert response.status_code == 400


def test_a_nul_character_in_a_body_is_a_400_and_changes_nothing(client, cast, token):
    before = cast.patient_a.legal_family_name
    response = send(
        client,
        "patch",
        f"/api/v1/patients/{cast.patient_a.uuid}",
        token,
        json.dumps({"legal_family_name": "Test\u0000person"}),
    )
    assert response.status_code == 400
    assert "body" in error_shape(response)["fields"]
    cast.patient_a.refresh_from_db()
    assert cast.patient_a.legal_family_name == before


def test_a_nul_character_on_a_page_is_a_400(cast):
    response = cast.client("clinician_a").get("/patients/", {"q": "x\x00"})
    assert response.status_code == 400


def test_a_body_that_is_not_json_is_refused(client, cast, token):
    response = send(
        client,
        "patch",
        f"/api/v1/patients/{cast.patient_a.uuid}",
        token,
        '{"preferred_name": "Ace"}',
        content_type="text/plain",
    )
    assert response.status_code == 415
    error_shape(response)
    cast.patient_a.refresh_from_db()
    assert cast.patient_a.preferred_name != "Ace"


@pytest.mark.parametrize("body", ["[null, null]", "null", "[]", '"text"', "42"])
def test_a_body_that_is_not_an_object_is_a_422(client, cast, token, body):
    response = send(client, "patch", f"/api/v1/patients/{cast.patient_a.uuid}", token, body)
    assert response.status_code in (400, 422), response.content
    error_shape(response)


def test_a_time_with_an_offset_is_refused_not_guessed(client, cast, token):
    response = send(
        client,
        "put",
        f"/api/v1/scheduling/patients/{cast.patient_a.uuid}/availability",
        token,
        json.dumps({"windows": [{"weekday": 0, "start_time": "18:00+02:00", "end_time": "21:00"}]}),
    )
    assert response.status_code == 422
    assert "offset" in error_shape(response)["message"]


def test_a_negative_radius_is_a_field_error(client, db):
    response = client.get("/api/v1/directory/facilities", {"near": "97201", "radius_miles": -5})
    assert response.status_code == 422
    assert "radius_miles" in error_shape(response)["fields"]


def test_deeply_nested_json_is_exit_2_with_one_sentence(db, tmp_path):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    from openiop.directory.models import FacilityImport

    nested = tmp_path / "nested.json"
    nested.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(CommandError) as err:
        call_command("import-facilities", str(nested))
    assert err.value.returncode == 2 and "too deeply" in str(err.value)
    assert not FacilityImport.objects.exists()


def test_an_import_whose_every_row_is_refused_records_no_import(db, tmp_path):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    from openiop.directory.models import Facility, FacilityImport

    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"rows": [{"name1": ""}, "not an object", {"name1": "X"}]}))
    with pytest.raises(CommandError) as err:
        call_command("import-facilities", str(bad))
    assert err.value.returncode == 2
    assert not FacilityImport.objects.exists() and not Facility.objects.exists()


def test_the_relapse_page_of_an_episode_without_a_plan_is_an_audited_read(cast):
    from openiop.audit.models import AuditEvent

    response = cast.client("clinician_a").get(
        f"/care/episodes/{cast.episode_a.uuid}/relapse-prevention/"
    )
    assert response.status_code == 200
    assert AuditEvent.objects.filter(
        event="relapse_plan.read", patient=cast.patient_a, actor=cast.clinician_a
    ).exists()


@pytest.mark.parametrize(
    ("path", "scope"),
    [("/m/{}/", "patient-link"), ("/calendar/{}.ics", "calendar-feed")],
)
def test_links_opened_without_signing_in_are_rate_limited(client, db, settings, path, scope):
    import secrets

    from django.core.cache import cache

    cache.clear()
    settings.RATE_LIMITS = {scope: "3/minute"}
    statuses = [client.get(path.format(secrets.token_urlsafe(16))).status_code for _ in range(5)]
    assert statuses[:3] == [404] * 3 and statuses[3:] == [429] * 2


def test_a_raw_nul_byte_in_a_query_is_a_400(cast, token):
    from django.test import Client

    client = Client()
    for path in ("/api/v1/patients", "/fhir/R4/Patient"):
        response = client.get(
            path, QUERY_STRING="q=a\x00b&family=a\x00b", HTTP_AUTHORIZATION=f"Bearer {token}"
        )
        assert response.status_code == 400, path
    page = cast.client("clinician_a").get("/patients/", QUERY_STRING="q=a\x00b")
    assert page.status_code == 400


def test_an_api_body_sent_as_a_form_is_refused_even_multipart(client, cast, token):
    response = client.patch(
        f"/api/v1/patients/{cast.patient_a.uuid}",
        data='{"preferred_name": "a\\u0000b"}',
        content_type="multipart/form-data; boundary=x",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 415
    error_shape(response)


@pytest.mark.parametrize("body", ["[" * 50_000 + "]" * 50_000, '{"a":' * 5_000 + "1" + "}" * 5_000])
def test_a_json_body_nested_too_deeply_is_a_400(client, cast, token, body):
    response = send(client, "patch", f"/api/v1/patients/{cast.patient_a.uuid}", token, body)
    assert response.status_code == 400
    error_shape(response)
