"""The measures API and `openiop score`: the same JSON, the same errors."""

import io
import json

import pytest
from django.core.management import CommandError, call_command

from openiop.measures.instruments import ensure_shipped
from openiop.measures.models import Response, SafetyAlert

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def instruments(db):
    ensure_shipped()


def post(client, url, body):
    return client.post(url, data=json.dumps(body), content_type="application/json")


def cli(*args) -> dict:
    out = io.StringIO()
    call_command("score", *args, stdout=out)
    return json.loads(out.getvalue())


@pytest.mark.parametrize(
    ("code", "answers", "sex", "total", "band"),
    [
        ("phq9", [0, 1, 2, 3, 0, 1, 2, 3, 1], None, 13, "moderate"),
        ("gad7", [3, 3, 3, 3, 3, 0, 0], None, 15, "severe"),
        ("audit", [4, 4, 4, 4, 4, 0, 0, 0, 4, 0], None, 24, "zone_4"),
        ("auditc", [1, 1, 1], "male", 3, "negative"),
        (
            "dast10",
            ["yes", "no", "no", "yes", "no", "no", "no", "no", "no", "no"],
            None,
            3,
            "moderate",
        ),
        ("pcl5", [2] * 20, None, 40, "probable_ptsd"),
    ],
)
def test_the_score_endpoint_and_the_cli_print_the_same_json(cast, code, answers, sex, total, band):
    body = {"answers": answers, **({"sex": sex} if sex else {})}
    response = post(cast.client("clinician_a"), f"/api/v1/instruments/{code}/score", body)
    assert response.status_code == 200
    data = response.json()
    assert (data["total"], data["band"]) == (total, band)
    args = [code, "--answers", ",".join(str(a) for a in answers)]
    if sex:
        args += ["--sex", sex]
    assert cli(*args) == data
    assert Response.objects.count() == 0  # scoring saves nothing


def test_the_self_harm_alert_and_bam_subscales_in_the_json(cast):
    data = cli("phq9", "--answers", "0,0,0,0,0,0,0,0,2")
    assert data["alerts"] == ["self_harm_item"]
    bam = cli("bam", "--answers", "1,2,1,0,0,0,,,,,,,,1,3,0,1,2,0,4,1,2,3")
    assert bam["total"] is None
    assert {k: v["score"] for k, v in bam["subscales"].items()} == {
        "use": 0,
        "risk": 1 + 2 + 1 + 1 + 1 + 1,
        "protective": 3 + 0 + 2 + 0 + 4 + 2,
    }


def test_a_bad_answer_is_a_422_naming_the_item_and_exit_2(cast):
    response = post(
        cast.client("clinician_a"), "/api/v1/instruments/audit/score", {"answers": [0] * 8 + [1, 0]}
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_answers" and "answers.9" in error["fields"]
    with pytest.raises(CommandError) as exc:
        cli("audit", "--answers", "0,0,0,0,0,0,0,0,1,0")
    assert exc.value.returncode == 2 and "Item 9" in str(exc.value)


def test_an_unknown_instrument_is_a_404_and_exit_2(cast):
    response = post(cast.client("clinician_a"), "/api/v1/instruments/hamd/score", {"answers": [1]})
    assert response.status_code == 404
    assert "phq9" in response.json()["error"]["message"]
    with pytest.raises(CommandError) as exc:
        cli("hamd", "--answers", "1")
    assert exc.value.returncode == 2


def test_recording_through_the_api_scores_and_raises_the_alert(cast):
    client = cast.client("clinician_a")
    body = {"patient": str(cast.patient_a.uuid), "instrument": "phq9", "answers": [1] * 8 + [1]}
    response = post(client, "/api/v1/responses", body)
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["total"] == 9 and data["score"]["alerts"] == ["self_harm_item"]
    assert len(data["safety_alerts"]) == 1
    listed = client.get(f"/api/v1/responses?patient={cast.patient_a.uuid}&instrument=phq9").json()
    assert listed["count"] == 1 and listed["results"][0]["uuid"] == data["uuid"]
    alerts = client.get("/api/v1/alerts?mine=true").json()
    assert alerts["count"] == 1 and alerts["results"][0]["kind"] == "self_harm_item"


def test_bad_responses_through_the_api_write_nothing(cast):
    client = cast.client("clinician_a")
    patient = str(cast.patient_a.uuid)
    cases = [
        ({"patient": patient, "instrument": "nope", "answers": [1]}, 422, "instrument"),
        ({"patient": patient, "instrument": "gad7", "answers": [1] * 6}, 422, "answers"),
        ({"patient": patient, "instrument": "gad7", "answers": {"8": 1}}, 422, "answers.8"),
        (
            {
                "patient": patient,
                "instrument": "gad7",
                "answers": [1] * 7,
                "administered_on": "2099-01-01",
            },
            400,
            "administered_on",
        ),
        (
            {"patient": str(cast.patient_b.uuid), "instrument": "gad7", "answers": [1] * 7},
            400,
            "patient",
        ),
    ]
    for body, status, field in cases:
        response = post(client, "/api/v1/responses", body)
        assert response.status_code == status, (body, response.content)
        assert field in response.json()["error"]["fields"], body
    assert Response.objects.count() == 0


def test_acknowledging_through_the_api(cast):
    client = cast.client("director_a")
    post(
        cast.client("clinician_a"),
        "/api/v1/responses",
        {"patient": str(cast.patient_a.uuid), "instrument": "phq9", "answers": [0] * 8 + [3]},
    )
    alert = SafetyAlert.objects.get()
    url = f"/api/v1/alerts/{alert.uuid}/acknowledge"
    assert post(client, url, {"note": ""}).status_code == 400
    done = post(client, url, {"note": "Saw the patient today; safe."})
    assert done.status_code == 200 and done.json()["status"] == "acknowledged"
    again = post(client, url, {"note": "Again."})
    assert again.status_code == 409 and "already acknowledged" in again.json()["error"]["message"]


def test_the_instrument_definition_is_served_with_its_licence(cast):
    data = cast.client("readonly_a").get("/api/v1/instruments/dast10").json()
    assert data["definition"]["scoring"]["reverse"] == ["3"]
    assert "Skinner" in data["licence"]
    codes = {i["code"] for i in cast.client("readonly_a").get("/api/v1/instruments").json()}
    assert {"phq9", "gad7", "audit", "auditc", "dast10", "pcl5", "bam"} <= codes
