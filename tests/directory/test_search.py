"""The radius search and its API: the Portland check by hand, the fast path
against the full scan, bad input, rate limits, OpenIOP programs in the results."""

import math
import random

import pytest
import zipcodes
from django.test import override_settings
from hypothesis import given, settings
from hypothesis import strategies as st

from openiop.core import ratelimit
from openiop.directory import features as FT
from openiop.directory.geo import bounding_box, distance_miles
from openiop.directory.models import Facility
from openiop.directory.search import full_scan, make_query, ranked
from openiop.organizations.services import track_update
from tests.directory.helpers import list_program
from tests.test_api import assert_error_shape

pytestmark = pytest.mark.django_db
SEARCH = "/api/v1/directory/facilities"


def all_results(client, params) -> list[dict]:
    out, page = [], 1
    while True:
        body = client.get(SEARCH, {**params, "page": page, "page_size": 50}).json()
        out += body["results"]
        if page >= body["pages"]:
            return out
        page += 1


# ----- the Portland check, by hand -------------------------------------------------


def by_hand(rows, zip_code, radius, setting, payment):
    """Straight from the JSON file, with its own haversine: no project code. A
    row without coordinates is at its ZIP code's centre (the `zipcodes` data)."""
    centre = zipcodes.matching(zip_code)[0]
    lat0, lon0 = math.radians(float(centre["lat"])), math.radians(float(centre["long"]))
    found = []
    for r in rows:
        if not r["latitude"]:
            own = zipcodes.matching(r["zip"][:5])[0]
            r = {**r, "latitude": own["lat"], "longitude": own["long"]}
        values = {
            (s["f2"], v.strip()) for s in r["services"] for v in s["f3"].split(";") if v.strip()
        }
        if ("SET", setting) not in values or ("PAY", payment) not in values:
            continue
        lat, lon = math.radians(float(r["latitude"])), math.radians(float(r["longitude"]))
        h = (
            math.sin((lat - lat0) / 2) ** 2
            + math.cos(lat0) * math.cos(lat) * math.sin((lon - lon0) / 2) ** 2
        )
        miles = 2 * 3958.8 * math.asin(math.sqrt(h))
        if miles <= radius:
            found.append((round(miles, 1), r["name1"], r["name2"]))
    return sorted(found)


@pytest.mark.parametrize(("zip_code", "radius"), [("97204", 10), ("97204", 25), ("97232", 50)])
def test_portland_iop_medicaid_search_matches_a_hand_computation_on_the_file(
    client, oregon, oregon_rows, zip_code, radius
):
    expected = by_hand(oregon_rows, zip_code, radius, "Intensive outpatient treatment", "Medicaid")
    results = all_results(
        client,
        {"near": zip_code, "radius_miles": radius, "level_of_care": "iop", "payment": "medicaid"},
    )
    got = [(r["distance_miles"], r["name"], r["name2"]) for r in results]

    assert len(expected) >= 15
    assert sorted(got) == expected
    assert [d for d, _n, _s in got] == sorted(d for d, _n, _s in got)  # nearest first
    for r in results:
        assert r["reasons"][:2] == ["intensive outpatient", "accepts Medicaid"]
        if r["location_approximate"]:  # placed at its ZIP code's centre
            assert r["reasons"][-1] in (
                f"about {round(r['distance_miles'])} miles",
                f"in ZIP code {r['zip'][:5]}",
            )
        else:
            assert r["reasons"][-1] == f"{r['distance_miles']:.1f} miles"
        assert r["state"] == "OR" and r["zip"] and r["city"]


def test_the_answer_has_the_documented_shape(client, oregon):
    body = client.get(SEARCH, {"near": "97204", "level_of_care": "iop"}).json()
    assert set(body) >= {"count", "results", "page", "pages", "near"}
    assert body["near"]["label"] == "Portland, OR 97204"
    first = body["results"][0]
    assert {"name", "city", "state", "zip", "distance_miles", "reasons"} <= set(first)
    assert body["count"] > len(body["results"]) == 20


def test_a_city_works_like_a_zip_code(client, oregon):
    body = client.get(SEARCH, {"near": "Portland, OR", "radius_miles": 10}).json()
    assert body["near"]["label"] == "Portland, OR"
    assert body["count"] > 10
    assert (
        client.get(SEARCH, {"near": "portland oregon", "radius_miles": 10}).json()["count"]
        == body["count"]
    )


# ----- fast path == full scan ----------------------------------------------------------

FILTERS = {
    "level_of_care": ["iop", "php", "op"],
    "payment": ["medicaid", "medicare", "private", "military", "self_pay", "sliding_scale"],
    "focus": ["substance_use", "co_occurring"],
    "age": ["adults", "adolescents", "seniors"],
    "special": ["veterans", "pregnant", "trauma", "adolescents", "lgbtq"],
    "accreditation": ["carf", "joint_commission"],
    "family": ["family_counseling"],
    "telehealth": ["telehealth"],
}


def test_the_indexed_search_gives_exactly_the_full_scan_answer(oregon):
    rng = random.Random(7)
    places = ["97204", "97301", "97401", "97701", "97501", "Bend, OR", "97838", "98660"]
    for _ in range(150):
        filters = {}
        for group in rng.sample(sorted(FILTERS), rng.randint(0, 3)):
            filters[group] = rng.sample(FILTERS[group], rng.randint(1, min(2, len(FILTERS[group]))))
        query = make_query(
            near=rng.choice(places),
            radius_miles=rng.choice([1, 5, 10, 25, 60, 150, 500]),
            filters=filters,
            languages=rng.choice([[], [], ["spanish"], ["asl", "russian"]]),
            sort=rng.choice(["distance", "fit"]),
        )
        fast = [(h.id, h.distance, h.fit) for h in ranked(query)]
        assert fast == [(h.id, h.distance, h.fit) for h in full_scan(query)], query


@settings(max_examples=300, deadline=None)
@given(
    lat=st.floats(-89.9, 89.9),
    lon=st.floats(-180, 180),
    radius=st.floats(0.1, 500),
    bearing=st.floats(0, 2 * math.pi),
    share=st.floats(0, 1),
)
def test_every_point_within_the_radius_is_inside_the_box(lat, lon, radius, bearing, share):
    """Walk `share` of the radius in any direction (also across the 180th meridian)."""
    r = radius * share / 3958.8
    p1, l1 = math.radians(lat), math.radians(lon)
    p2 = math.asin(math.sin(p1) * math.cos(r) + math.cos(p1) * math.sin(r) * math.cos(bearing))
    l2 = l1 + math.atan2(
        math.sin(bearing) * math.sin(r) * math.cos(p1), math.cos(r) - math.sin(p1) * math.sin(p2)
    )
    lat2, lon2 = math.degrees(p2), (math.degrees(l2) + 540) % 360 - 180
    if distance_miles(lat, lon, lat2, lon2) > radius:
        return
    lat_min, lat_max, ranges = bounding_box(lat, lon, radius)
    assert lat_min <= lat2 <= lat_max
    assert any(lo <= lon2 <= hi for lo, hi in ranges)


def test_the_box_splits_at_the_180th_meridian():
    _lo, _hi, ranges = bounding_box(51.8, 179.9, 50)
    assert len(ranges) == 2
    assert ranges[1][0] == -180.0


# ----- sorting, reasons --------------------------------------------------------------


def test_fit_puts_the_facility_matching_more_wanted_values_first(client, oregon):
    params = {"near": "97204", "radius_miles": 25, "payment": ["medicaid", "private"]}
    results = all_results(client, {**params, "sort": "fit"})
    fits = [r["fit"] for r in results]
    assert fits == sorted(fits, reverse=True)
    both = FT.mask_of(["payment:medicaid", "payment:private"])
    top = Facility.objects.get(uuid=results[0]["uuid"])
    assert top.features & both == both
    assert "accepts Medicaid" in results[0]["reasons"]
    assert "accepts private insurance" in results[0]["reasons"]


def test_a_search_reads_a_constant_number_of_queries(
    client, oregon, settings, django_assert_max_num_queries
):
    # the programs' listing check runs at most once a second per process (and
    # re-syncs after earlier tests changed programs): not part of a search's cost
    client.get(SEARCH, {"near": "97204"})
    settings.DIRECTORY_SYNC_CHECK_SECONDS = 3600
    with django_assert_max_num_queries(4):
        body = client.get(SEARCH, {"near": "97204", "radius_miles": 500}).json()
    assert body["count"] == 195


def test_paging_past_the_end_gives_an_empty_page_not_an_error(client, oregon):
    body = client.get(SEARCH, {"near": "97204", "radius_miles": 5, "page": 99}).json()
    assert body["results"] == [] and body["count"] > 0


# ----- bad input --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "status", "field", "words"),
    [
        ({"near": "00000"}, 400, "near", "00000 is not a known US ZIP code."),
        ({"near": "9720"}, 400, "near", "is not a ZIP code"),
        ({"near": "Atlantis, OR"}, 400, "near", "No US city called"),
        ({"near": "Portland"}, 400, "near", "add the state, e.g. Portland,"),
        ({"near": "Portland, XX"}, 400, "near", "is not a US state"),
        ({}, 422, "near", "Field required"),
        ({"near": "97204", "radius_miles": 0}, 422, "radius_miles", "greater than 0"),
        ({"near": "97204", "radius_miles": 501}, 422, "radius_miles", "less than or equal to 500"),
        ({"near": "97204", "radius_miles": "far"}, 422, "radius_miles", "valid number"),
        ({"near": "97204", "radius_miles": "nan"}, 422, "radius_miles", ""),
        ({"near": "97204", "level_of_care": "inpatient"}, 400, "level_of_care", "iop, php, op"),
        ({"near": "97204", "payment": "cash"}, 400, "payment", "medicaid"),
        ({"near": "97204", "language": "Sp@nish"}, 400, "language", "not a language name"),
        ({"near": "97204", "sort": "rating"}, 422, "sort", ""),
        ({"near": "97204", "page": 0}, 422, "page", ""),
        ({"near": "97204", "page_size": 500}, 422, "page_size", ""),
        ({"near": "97204", "family": "maybe"}, 422, "family", ""),
    ],
)
def test_bad_input_gets_a_4xx_naming_the_field(client, db, params, status, field, words):
    response = client.get(SEARCH, params)
    assert_error_shape(response, status, field)
    assert words in response.json()["error"]["message"]


@settings(max_examples=120, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(
            ["near", "radius_miles", "level_of_care", "payment", "sort", "page", "language", "age"]
        ),
        st.text(max_size=12),
        max_size=5,
    )
)
def test_no_query_string_makes_a_500(params):
    from django.test import Client

    ratelimit.reset()
    response = Client().get(SEARCH, params)
    assert response.status_code < 500, (params, response.content[:200])


# ----- rate limit ------------------------------------------------------------------------------


@override_settings(RATE_LIMITS={"directory-api": "3/minute"})
def test_the_api_is_rate_limited_per_client_address(client, db):
    for _ in range(3):
        assert client.get(SEARCH, {"near": "97204"}).status_code == 200
    response = client.get(SEARCH, {"near": "97204"})
    assert_error_shape(response, 429)
    assert response.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(response["Retry-After"]) <= 60
    # another address has its own window
    assert client.get(SEARCH, {"near": "97204"}, REMOTE_ADDR="10.0.0.9").status_code == 200


def test_rates_parse_and_windows_reset():
    assert ratelimit.Rate.parse("120/minute") == ratelimit.Rate(120, 60)
    assert ratelimit.Rate.parse("20 / hour") == ratelimit.Rate(20, 3600)
    assert ratelimit.Rate.parse("5/10 seconds") == ratelimit.Rate(5, 10)
    with pytest.raises(ValueError):
        ratelimit.Rate.parse("lots")
    rate = ratelimit.Rate(2, 60)
    assert ratelimit.hit("t", "a", rate, now=120.0) == (True, 60)
    assert ratelimit.hit("t", "a", rate, now=130.0)[0] is True
    assert ratelimit.hit("t", "a", rate, now=179.5) == (False, 1)
    assert ratelimit.hit("t", "a", rate, now=180.0)[0] is True  # the next window


@override_settings(RATE_LIMITS={"directory-page": "off", "directory-api": "off"})
def test_a_limit_can_be_switched_off(client, db):
    for _ in range(5):
        assert client.get(SEARCH, {"near": "97204"}).status_code == 200


# ----- OpenIOP programs in the results ----------------------------------------------------


def test_a_listed_program_is_found_with_its_evening_track(client, cast, oregon):
    list_program(cast.program_a, payments=["medicaid"])
    body = client.get(
        SEARCH,
        {"near": "97201", "radius_miles": 5, "schedule": "evening", "payment": "medicaid"},
    ).json()
    assert [r["name"] for r in body["results"]] == ["Program A"]
    first = body["results"][0]
    assert first["openiop_program"] is True
    assert first["reasons"][:2] == ["evening track", "accepts Medicaid"]
    assert first["reasons"][-1].endswith(" miles")


def test_an_unlisted_program_is_not_found(client, cast):
    list_program(cast.program_a, listed=False)
    body = client.get(SEARCH, {"near": "97201", "radius_miles": 5}).json()
    assert body["count"] == 0


@override_settings(DIRECTORY_SYNC_CHECK_SECONDS=0)
def test_a_track_change_shows_in_the_next_search(client, cast):
    list_program(cast.program_a)
    params = {"near": "97201", "radius_miles": 5, "schedule": "weekend"}
    assert client.get(SEARCH, params).json()["count"] == 0
    track_update(actor=cast.director_a, track=cast.track_a, kind="weekend", weekdays=[6, 7])
    assert client.get(SEARCH, params).json()["count"] == 1


def test_the_openapi_document_has_the_public_directory(client, db):
    doc = client.get("/api/v1/openapi.json").json()
    op = doc["paths"]["/api/v1/directory/facilities"]["get"]
    assert not op.get("security")
    names = {p["name"] for p in op["parameters"]}
    assert {"near", "radius_miles", "level_of_care", "payment", "sort", "page"} <= names
    payment = next(p for p in op["parameters"] if p["name"] == "payment")
    assert "medicaid" in str(payment["schema"])


def test_a_track_change_shows_within_the_check_interval(client, cast, monkeypatch):
    from openiop.directory import services

    list_program(cast.program_a)
    params = {"near": "97201", "radius_miles": 5, "schedule": "weekend"}
    clock = [1000.0]
    monkeypatch.setattr(services.time, "monotonic", lambda: clock[0])
    services.programs_sync_if_changed(force=True)
    track_update(actor=cast.director_a, track=cast.track_a, kind="weekend", weekdays=[6, 7])
    assert client.get(SEARCH, params).json()["count"] == 0  # checked under a second ago
    clock[0] += 1.5
    assert client.get(SEARCH, params).json()["count"] == 1
