"""The `/api/v1/` OpenAPI document: one schema per component name, valid
OpenAPI 3.1 (checked by openapi-spec-validator), and bounds a client can see."""

from decimal import Decimal

import pytest
from ninja import NinjaAPI, Router, Schema
from openapi_spec_validator import OpenAPIV31SpecValidator, validate

from openiop.api import api
from tests.openapi_helpers import answer_problems, duplicate_names, free_form_objects


def _document(client) -> dict:
    answer = client.get("/api/v1/openapi.json")
    assert answer.status_code == 200
    return answer.json()


def test_no_two_schemas_share_a_component_name():
    assert duplicate_names(api) == {}


def _colliding_api() -> NinjaAPI:
    """A throw-away API with two routers whose answers use different classes of
    one name, one of them nested (as the finder's track once replaced the staff
    API's TrackOut)."""
    first = type("TrackOut", (Schema,), {"__annotations__": {"uuid": str, "capacity": int}})
    second = type("TrackOut", (Schema,), {"__annotations__": {"name": str, "schedule": str}})
    second.__module__ = "elsewhere"
    holder = type("ListingOut", (Schema,), {"__annotations__": {"tracks": list[second]}})
    one, two = Router(), Router()
    one.get("/tracks", response=list[first])(lambda request: [])
    two.get("/listing", response=holder)(lambda request: {"tracks": []})
    made = NinjaAPI(urls_namespace=f"collision-{id(first)}")
    made.add_router("/a", one)
    made.add_router("/b", two)
    return made


def test_the_check_sees_the_collision_the_document_hides():
    made = _colliding_api()
    components = made.get_openapi_schema(path_prefix="")["components"]["schemas"]
    # django-ninja keeps one of the two silently: the document alone looks fine
    assert set(components) == {"TrackOut", "ListingOut"}
    assert set(components["TrackOut"]["properties"]) in ({"uuid", "capacity"}, {"name", "schedule"})
    found = duplicate_names(made)
    assert list(found) == ["TrackOut"]
    assert len(found["TrackOut"]) == 2


def test_the_check_sees_a_class_documented_two_ways():
    """A class in a request and in an answer whose schemas differ is two schemas
    under one name too: a Decimal is read from a number or a string, and
    written as a string."""
    rate = type("RateIO", (Schema,), {"__annotations__": {"weekly": Decimal}})
    router = Router()

    def save(request, payload: rate):
        return payload

    router.post("/rates", response=rate)(save)
    made = NinjaAPI(urls_namespace=f"modes-{id(rate)}")
    made.add_router("/", router)
    assert list(duplicate_names(made)) == ["RateIO"]


def test_the_document_is_valid_openapi_3_1(client, db):
    doc = _document(client)
    assert doc["openapi"].startswith("3.1.")
    validate(doc, cls=OpenAPIV31SpecValidator)


def test_the_validator_refuses_a_document_with_a_dangling_reference(client, db):
    doc = _document(client)
    doc["paths"]["/api/v1/sites"]["get"]["responses"]["200"]["content"]["application/json"][
        "schema"
    ]["items"]["$ref"] = "#/components/schemas/NoSuchSchema"
    with pytest.raises(Exception, match="NoSuchSchema"):
        validate(doc, cls=OpenAPIV31SpecValidator)


# Answers whose objects the document leaves open: JSON kept as recorded (an
# instrument's definition is data with its own checker; a plan version's content,
# a discharge summary's snapshots, a response's score and answers, a shortlist's
# answers). Anything new here is a shape a generated client cannot see: give it
# a schema instead.
OPEN_BY_DESIGN = {
    "AssessmentOut.dimensions",
    "DischargeSummaryOut.diagnoses_at_discharge",
    "DischargeSummaryOut.goal_progress",
    "InstrumentDetailOut.definition",
    "ResponseOut.answers",
    "ResponseOut.score",
    "ScoreOut.subscales",
    "ShortlistOut.answers",
    "VersionDetailOut.content",
}


def test_answers_have_no_other_shapeless_objects(client, db):
    assert free_form_objects(_document(client)) == OPEN_BY_DESIGN


def test_who_am_i_documents_the_roles(client, db):
    roles = _document(client)["components"]["schemas"]["MeOut"]["properties"]["roles"]
    assert roles["items"] == {"$ref": "#/components/schemas/MeRoleOut"}


SITE = {
    "uuid": "6f1c1c3e-3c3a-4a55-9f39-2f0f4f0c9a11",
    "name": "Riverside Clinic (synthetic)",
    "street": "100 Example Ave",
    "city": "Portland",
    "state": "OR",
    "zip_code": "97201",
    "time_zone": "America/Los_Angeles",
    "latitude": "45.5",
    "longitude": "-122.6",
}


def test_an_answer_is_checked_for_types_formats_and_undocumented_keys(client, db):
    """The response walk (tests/test_api_responses.py) relies on this check."""
    doc = _document(client)

    def problems(body):
        return answer_problems(doc, "/api/v1/sites", "get", 200, body)

    assert problems([SITE]) == []
    assert problems([{**SITE, "latitude": 45.5}]) == ["0/latitude: 45.5 is not of type 'string'"]
    assert problems([{**SITE, "uuid": "not-a-uuid"}]) == ["0/uuid: 'not-a-uuid' is not a 'uuid'"]
    assert len(problems([{**SITE, "phone": "555-0100"}])) == 1
    missing = dict(SITE)
    del missing["zip_code"]
    assert problems([missing]) == ["0: 'zip_code' is a required property"]
    assert answer_problems(doc, "/api/v1/sites", "get", 418, []) != []


@pytest.mark.parametrize(
    ("path", "name", "low", "high"),
    [
        ("/api/v1/reviews-due", "within_days", 0, 60),
        ("/api/v1/icd10cm", "limit", 1, 100),
        ("/api/v1/scheduling/patients/{patient_uuid}/hours", "weeks", 1, 52),
    ],
)
def test_bounds_the_code_enforces_are_in_the_document(cast, path, name, low, high):
    """A value out of bounds is refused as the document says it will be: a 422
    naming the parameter, like every other parameter the document bounds."""
    c = cast.client("director_a")
    doc = _document(c)
    (param,) = [p for p in doc["paths"][path]["get"]["parameters"] if p["name"] == name]
    assert (param["schema"].get("minimum"), param["schema"].get("maximum")) == (low, high)
    url = path.format(patient_uuid=cast.patient_a.uuid)
    query = {"q": "alcohol"} if name == "limit" else {}
    for good in (low, high):
        assert c.get(url, {**query, name: good}).status_code == 200
    for bad in (low - 1, high + 1):
        answer = c.get(url, {**query, name: bad})
        assert answer.status_code == 422, answer.content
        assert list(answer.json()["error"]["fields"]) == [name]
