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
