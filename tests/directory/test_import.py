"""Importing facility files: the real Oregon export, re-imports, bad files and
bad rows, the CSV format, and the command's counts and exit status."""

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openiop.audit.models import AuditEvent
from openiop.directory import features as FT
from openiop.directory.importer import ImportFileError, RowInvalid, facility_key, validate
from openiop.directory.models import Facility, FacilityImport
from openiop.directory.services import facilities_import
from tests.directory.helpers import require_data_file, row, write_json

pytestmark = pytest.mark.django_db


def run(*args):
    """Call the command; (stdout, stderr)."""
    import io

    out, err = io.StringIO(), io.StringIO()
    call_command("import-facilities", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


# ----- the real file --------------------------------------------------------------


@pytest.mark.parametrize("ci", ["true", "1"])
def test_a_missing_data_file_fails_when_ci_is_set(tmp_path, monkeypatch, ci):
    monkeypatch.setenv("CI", ci)
    with pytest.raises(pytest.fail.Exception, match="CI is set: the data tests must run on CI"):
        require_data_file(tmp_path / "oregon-2026-02.json")


@pytest.mark.parametrize("ci", [None, "", "false"])
def test_a_missing_data_file_is_skipped_with_its_reason_locally(tmp_path, monkeypatch, ci):
    if ci is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci)
    missing = tmp_path / "oregon-2026-02.json"
    with pytest.raises(pytest.skip.Exception, match="the real FindTreatment.gov file is not at"):
        require_data_file(missing)
    missing.write_text("{}")
    assert require_data_file(missing) == missing


def test_the_real_oregon_file_imports_with_counts_that_add_up(oregon_file, oregon_rows):
    without = [i for i, r in enumerate(oregon_rows, 1) if not r["latitude"] and not r["longitude"]]
    out, err = run(str(oregon_file))

    assert out.strip() == (
        f"Imported oregon-2026-02.json: {len(oregon_rows)} created, 0 updated "
        f"(0 with changes), 0 skipped ({len(oregon_rows)} rows). "
        f"{len(without)} without coordinates placed at their ZIP code's centre."
    )
    assert (len(oregon_rows), len(without)) == (195, 21)
    assert Facility.objects.count() == 195
    assert Facility.objects.filter(location_approximate=True).count() == 21
    # every row placed by its ZIP code is named by its position and says so
    for i in without:
        assert f"row {i} (" in err
    assert err.count("no coordinates; placed at the centre of ZIP code") == 21
    assert "row 183 (CODA Inc, Tigard Recovery Center Residential)" in err


def test_reimporting_the_same_file_updates_instead_of_duplicating(oregon_file):
    run(str(oregon_file))
    before = dict(Facility.objects.values_list("source_key", "uuid"))

    out, _ = run(str(oregon_file))

    assert "0 created, 195 updated (0 with changes), 0 skipped" in out
    assert dict(Facility.objects.values_list("source_key", "uuid")) == before
    assert FacilityImport.objects.count() == 2


def test_every_value_of_the_file_is_kept_including_unknown_codes(oregon, oregon_rows):
    first = oregon_rows[0]
    facility = Facility.objects.get(source_key=facility_key(validate_json_row(first)))
    kept = {s["code"]: s["values"] for s in facility.services}
    for service in first["services"]:
        values = [v.strip() for v in service["f3"].split(";") if v.strip()]
        assert kept[service["f2"]] == values
    # codes the finder has no use for (smoking policy, ...) are stored too
    assert {"SMP", "FVP", "OT", "AUT"} <= set(kept)


def validate_json_row(r: dict) -> dict:
    return validate(
        {
            "name": r["name1"],
            "name2": r["name2"],
            "street1": r["street1"],
            "city": r["city"],
            "state": r["state"],
            "zip": r["zip"],
            "latitude": r["latitude"],
            "longitude": r["longitude"],
            "services": r["services"],
        }
    )


def test_feature_bits_follow_the_f2_codes_of_the_file(oregon, oregon_rows):
    """Counted straight from the file, by hand: IOP is SET 'Intensive outpatient
    treatment', Medicaid is PAY 'Medicaid'."""

    def values(r, code):
        return {v.strip() for s in r["services"] if s["f2"] == code for v in s["f3"].split(";")}

    placed = oregon_rows  # every row is on the map now, 21 at their ZIP code's centre
    iop = sum(1 for r in placed if "Intensive outpatient treatment" in values(r, "SET"))
    medicaid = sum(1 for r in placed if "Medicaid" in values(r, "PAY"))
    sliding = sum(1 for r in placed if any(v.startswith("Sliding") for v in values(r, "PYAS")))
    spanish = sum(1 for r in placed if "Spanish" in values(r, "SL"))

    def count(key):
        mask = FT.BY_KEY[key].mask
        return sum(1 for bits in Facility.objects.values_list("features", flat=True) if bits & mask)

    assert count("level_of_care:iop") == iop
    assert count("payment:medicaid") == medicaid
    assert count("payment:sliding_scale") == sliding
    assert Facility.objects.filter(languages__contains="|spanish|").count() == spanish


def test_an_import_is_audited_without_patient_data(oregon):
    event = AuditEvent.objects.get(event="directory.import")
    assert event.action == "execute"
    assert event.detail["created"] == 195
    assert event.patient_id is None if hasattr(event, "patient_id") else True


# ----- files that cannot be read ----------------------------------------------------


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"this is not json", "is not JSON (Expecting value at line 1, column 1)."),
        (b"\xff\xfe\x00", "is not UTF-8 text"),
        (b"[1, 2, 3]", 'it needs an object with a "rows" list.'),
        (b'{"rows": {"a": 1}}', 'it needs an object with a "rows" list.'),
    ],
)
def test_a_broken_file_exits_2_with_one_sentence_and_writes_nothing(tmp_path, content, message):
    path = tmp_path / "broken.json"
    path.write_bytes(content)
    with pytest.raises(CommandError) as exc:
        run(str(path))
    assert exc.value.returncode == 2
    assert message in str(exc.value)
    assert str(exc.value).count(".") >= 1 and "\n" not in str(exc.value)
    assert Facility.objects.count() == 0
    assert FacilityImport.objects.count() == 0


def test_a_missing_file_exits_2(tmp_path):
    with pytest.raises(CommandError) as exc:
        run(str(tmp_path / "nope.json"))
    assert exc.value.returncode == 2
    assert "There is no file" in str(exc.value)


def test_a_file_whose_every_row_is_bad_exits_2(tmp_path):
    path = write_json(tmp_path, [row(latitude=""), row(name1="")])
    with pytest.raises(CommandError) as exc:
        run(str(path))
    assert exc.value.returncode == 2
    assert "None of the 2 rows could be imported" in str(exc.value)
    assert Facility.objects.count() == 0


# ----- bad rows ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"latitude": "", "longitude": "", "zip": "00000"}, "is not a known US ZIP code"),
        ({"latitude": "", "longitude": "", "zip": "98101"}, "ZIP code 98101 is in WA, not OR"),
        ({"longitude": ""}, "only one of latitude and longitude is given"),
        ({"latitude": "north"}, "latitude 'north' is not a number"),
        ({"latitude": "95"}, "latitude '95' is outside -90 to 90"),
        ({"latitude": "0", "longitude": "0"}, "coordinates 0, 0 are not a real location"),
        ({"longitude": "122.6745"}, "miles from ZIP code 97204; one of them is wrong"),
        ({"name1": "  "}, "no name"),
        ({"state": "Oregon"}, "is not a two-letter state code"),
        ({"zip": "9720"}, "is not five digits"),
        ({"services": "SET=IOP"}, "services is not a list"),
        ({"services": [{"f1": "x", "f3": "y"}]}, "service 1 has no category code (f2)"),
        ({"services": [{"f2": "SET", "f3": 7}]}, "service 1 (SET) values (f3) are not text"),
        ({"city": ["Portland"]}, "city must be text"),
    ],
)
def test_a_malformed_row_is_reported_by_position_and_the_rest_import(tmp_path, changes, reason):
    good_before = row(name1="Alpha Clinic")
    bad = row(**changes)
    good_after = row(name1="Omega Clinic")
    path = write_json(tmp_path, [good_before, bad, good_after])

    out, err = run(str(path))

    assert "2 created, 0 updated (0 with changes), 1 skipped (3 rows)." in out
    assert err.startswith("row 2")
    assert reason in err
    assert set(Facility.objects.values_list("name", flat=True)) == {"Alpha Clinic", "Omega Clinic"}


def test_a_row_that_is_not_an_object_is_skipped(tmp_path):
    path = write_json(tmp_path, [row(), "oops"])
    out, err = run(str(path))
    assert "1 created" in out
    assert "row 2: is not an object; skipped." in err


def test_a_repeated_row_is_skipped_naming_the_first(tmp_path):
    path = write_json(tmp_path, [row(), row(phone="503-555-0199")])
    out, err = run(str(path))
    assert "1 created" in out and "1 skipped" in err + out
    assert "row 2 (Example Recovery Center, Downtown): repeats row 1" in err


def test_a_partial_export_says_so(tmp_path):
    path = write_json(tmp_path, [row()], recordCount=40, totalPages=2)
    _, err = run(str(path))
    assert "says it holds 40 records but has 1 rows" in err
    assert "page 1 of 2" in err


def test_unknown_codes_are_kept_and_codes_are_keyed_on_f2_not_f1(tmp_path):
    services = [
        {"f1": "Something else entirely", "f2": "SET", "f3": "Intensive outpatient treatment"},
        {"f1": "Brand new category", "f2": "NEWX", "f3": "Value one; Value two"},
    ]
    run(str(write_json(tmp_path, [row(services=services)])))
    facility = Facility.objects.get()
    assert {
        "code": "NEWX",
        "label": "Brand new category",
        "values": ["Value one", "Value two"],
    } in (facility.services)
    assert FT.has(facility.features, "level_of_care:iop")


def test_a_changed_row_updates_the_same_facility(tmp_path):
    run(str(write_json(tmp_path, [row()])))
    first = Facility.objects.get()
    services = [*row()["services"], {"f1": "", "f2": "PYAS", "f3": "Sliding fee scale"}]
    out, _ = run(str(write_json(tmp_path, [row(phone="503-555-0111", services=services)])))
    assert "0 created, 1 updated (1 with changes)" in out
    facility = Facility.objects.get()
    assert facility.uuid == first.uuid
    assert facility.phone == "503-555-0111"
    assert FT.has(facility.features, "payment:sliding_scale")


def test_dry_run_counts_but_writes_nothing(tmp_path):
    out, _ = run(str(write_json(tmp_path, [row()])), "--dry-run")
    assert out.startswith("Would import export.json: 1 created")
    assert Facility.objects.count() == 0
    assert FacilityImport.objects.count() == 0


def test_retire_missing_hides_facilities_the_new_file_no_longer_lists(tmp_path):
    run(str(write_json(tmp_path, [row(name1="Stays"), row(name1="Closes")])))
    out, _ = run(str(write_json(tmp_path, [row(name1="Stays")])), "--retire-missing")
    assert "1 retired" in out
    assert set(Facility.objects.filter(is_active=True).values_list("name", flat=True)) == {"Stays"}


# ----- CSV ----------------------------------------------------------------------------

CSV_HEADER = "name,name2,street1,city,state,zip,phone,latitude,longitude,SET,PAY,TC,ZZZ\n"


def test_a_csv_file_with_the_documented_header_imports(tmp_path):
    path = tmp_path / "facilities.csv"
    path.write_text(
        CSV_HEADER
        + '"Bridge Clinic",,1 Elm St,Portland,OR,97204,503-555-0100,45.52,-122.67,'
        + '"Intensive outpatient treatment; Regular outpatient treatment",Medicaid,'
        + '"Substance use treatment",Kept value\n'
        + "Broken Clinic,,2 Elm St,Portland,OR,97204,,not-a-number,-122.67,,,,\n"
        + "Short,row\n"
    )
    out, err = run(str(path))
    assert "1 created, 0 updated (0 with changes), 2 skipped (3 rows)." in out
    assert "line 3 (Broken Clinic): latitude 'not-a-number' is not a number; skipped." in err
    assert "line 4: has 2 cells but the header has 13; skipped." in err
    facility = Facility.objects.get()
    assert facility.source == "csv"
    assert FT.has(facility.features, "level_of_care:iop")
    assert FT.has(facility.features, "payment:medicaid")
    assert {"code": "ZZZ", "label": "", "values": ["Kept value"]} in facility.services


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("name,city,state,zip,latitude\n", "lacks the required column(s) longitude."),
        ("name,city,state,zip,latitude,longitude,colour\n", "has a column 'colour'"),
        ("", "is empty: it needs a header row."),
    ],
)
def test_a_csv_file_with_a_bad_header_exits_2(tmp_path, header, message):
    path = tmp_path / "bad.csv"
    path.write_text(header)
    with pytest.raises(CommandError) as exc:
        run(str(path))
    assert exc.value.returncode == 2
    assert message in str(exc.value)


# ----- property: any row either imports or is refused with a reason ------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=6,
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    field=st.sampled_from(
        ["name", "city", "state", "zip", "latitude", "longitude", "services", "website", "street1"]
    ),
    value=json_values,
)
def test_validate_never_crashes_on_any_json_value(field, value):
    raw = {
        "name": "X",
        "city": "Portland",
        "state": "OR",
        "zip": "97204",
        "latitude": "45.5",
        "longitude": "-122.6",
        "services": [],
    }
    raw[field] = value
    try:
        data = validate(raw)
    except RowInvalid as exc:
        assert str(exc)
    else:
        assert -90 <= data["latitude"] <= 90 and -180 <= data["longitude"] <= 180
        json.dumps(data["services"])


def test_read_errors_are_import_file_errors(tmp_path):
    with pytest.raises(ImportFileError):
        facilities_import(path=tmp_path)
