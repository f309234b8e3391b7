"""Rows without coordinates are placed at their ZIP code's centre. Found: 21 of
the 195 rows of the real Oregon export were skipped for empty coordinates,
though every one has a ZIP code. They are now on the map, flagged as an
approximate location wherever the finder shows them or a distance to them."""

import re

import pytest
import zipcodes

from openiop.directory.importer import facility_key
from openiop.directory.models import Facility
from tests.directory.helpers import row, write_json
from tests.directory.test_import import run

pytestmark = pytest.mark.django_db
SEARCH = "/api/v1/directory/facilities"


def key_of(r: dict) -> str:
    fields = {"name": "name1", "name2": "name2", "street1": "street1"}
    fields.update(city="city", state="state", zip="zip")
    return facility_key({ours: (r[theirs] or "").strip() for ours, theirs in fields.items()})


def test_the_real_rows_without_coordinates_sit_at_their_zip_centre(oregon, oregon_rows):
    without = [r for r in oregon_rows if not r["latitude"] and not r["longitude"]]
    assert len(without) == 21
    for r in without:
        f = Facility.objects.get(source_key=key_of(r))
        centre = zipcodes.matching(r["zip"][:5])[0]  # the package's own data, not ours
        assert (f.latitude, f.longitude) == (float(centre["lat"]), float(centre["long"]))
        assert f.location_approximate is True
    placed = [r for r in oregon_rows if r["latitude"]]
    for r in placed:
        f = Facility.objects.get(source_key=key_of(r))
        assert (f.latitude, f.longitude) == (float(r["latitude"]), float(r["longitude"]))
        assert f.location_approximate is False


def test_the_finder_says_which_results_are_approximate(client, oregon, oregon_rows):
    # Medford 97501: OnTrack's rows there have no coordinates in the file
    html = client.get("/find/", {"near": "97501", "radius_miles": "5"}).content.decode()
    cards = html.split('<li class="result">')[1:]
    approximate = [c for c in cards if "Approximate location" in c]
    exact = [c for c in cards if "Approximate location" not in c]
    assert approximate and exact
    for card in approximate:
        # centroid to centroid says nothing finer than the ZIP code: never "0.0 mi"
        assert re.search(r'class="distance">(about [1-9]\d* mi|in ZIP code \d{5})<', card)
        assert re.search(r"centre of ZIP code \d{5}", card)
        assert " 0.0 miles" not in card and "about 0 " not in card
    for card in exact:
        assert re.search(r'class="distance">\d+\.\d mi<', card)
    # searched from the very ZIP code: no distance, the ZIP code
    assert 'class="distance">in ZIP code 97501<' in html
    assert "family counseling; in ZIP code 97501</p>" in html
    names = {r["name1"] for r in oregon_rows if r["zip"].startswith("97501") and not r["latitude"]}
    assert names == {"OnTrack Inc"}
    assert all("OnTrack Inc" in c for c in approximate if "97501" in c)

    body = client.get(SEARCH, {"near": "97501", "radius_miles": 5}).json()
    flags = {r["location_approximate"] for r in body["results"]}
    assert flags == {True, False}


def test_the_program_page_explains_the_approximate_location(client, oregon, oregon_rows):
    r = next(r for r in oregon_rows if not r["latitude"])
    f = Facility.objects.get(source_key=key_of(r))
    html = client.get(f"/find/{f.uuid}/", {"near": "97214"}).content.decode()
    assert "Approximate location" in html
    assert f"placed at the centre of ZIP code {r['zip'][:5]}" in html
    assert re.search(r"about [1-9]\d* miles from Portland, OR 97214", html)
    assert re.search(r"About [1-9]\d* miles from the place you searched\.", html)
    detail = client.get(f"/api/v1/directory/facilities/{f.uuid}").json()
    assert detail["location_approximate"] is True

    exact = Facility.objects.filter(location_approximate=False).first()
    html = client.get(f"/find/{exact.uuid}/", {"near": "97214"}).content.decode()
    assert "Approximate location" not in html and "about " not in html.split("miles from")[0][-20:]


def test_coordinates_in_a_later_file_clear_the_flag(tmp_path):
    run(str(write_json(tmp_path, [row(latitude="", longitude="")])))
    f = Facility.objects.get()
    assert f.location_approximate and f.latitude == float(zipcodes.matching("97204")[0]["lat"])
    out, _ = run(str(write_json(tmp_path, [row()])))
    assert "1 with changes" in out
    f.refresh_from_db()
    assert not f.location_approximate and (f.latitude, f.longitude) == (45.5181, -122.6745)


def test_a_row_with_a_zip_code_of_another_state_or_none_is_not_placed(tmp_path):
    rows = [
        row(name1="Elsewhere", latitude="", longitude="", zip="98101"),
        row(name1="Nowhere", latitude="", longitude="", zip="00000"),
        row(name1="Here"),
    ]
    out, err = run(str(write_json(tmp_path, rows)))
    assert "1 created, 0 updated (0 with changes), 2 skipped (3 rows)." in out
    assert "row 1 (Elsewhere, Downtown): no coordinates" in err
    assert "ZIP code 98101 is in WA, not OR; skipped." in err
    assert "ZIP code 00000 is not a known US ZIP code" in err


def test_a_csv_file_without_coordinate_columns_imports_by_zip(tmp_path):
    path = tmp_path / "facilities.csv"
    path.write_text(
        "name,city,state,zip,SET\nBridge Clinic,Medford,OR,97501,Intensive outpatient\n"
    )
    out, err = run(str(path))
    assert "1 created" in out and "1 without coordinates placed" in out
    assert "line 2 (Bridge Clinic): no coordinates; placed at the centre of ZIP code 97501" in err
    assert Facility.objects.get().location_approximate


def test_comparison_and_guided_match_word_the_distance_too(client, oregon, oregon_rows):
    r = next(r for r in oregon_rows if r["zip"].startswith("97501") and not r["latitude"])
    f = Facility.objects.get(source_key=key_of(r))
    html = client.get("/find/compare/", {"f": str(f.uuid), "near": "97520"}).content.decode()
    distance_row = html[html.index(">Distance<") :].split("</tr>")[0]
    assert re.search(r"about [1-9]\d* miles", distance_row), distance_row
    from openiop.directory.matching import clean_answers, judge_listed, run_match

    answers, place = clean_answers({"near": "97501", "max_miles": "25", "age": "26_64"})
    [match] = judge_listed(answers, place, [f])
    assert match.distance_label == "in ZIP code 97501"
    assert "in ZIP code 97501" in match.reasons
    assert not any("0.0 miles" in x for x in match.reasons)
    for m in run_match(answers, place):
        if m.facility.location_approximate:
            assert not any(x.endswith(" miles") and "about" not in x for x in m.reasons), m
