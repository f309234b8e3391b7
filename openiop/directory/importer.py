"""Reading facility files: the FindTreatment.gov JSON export, and a CSV file.

Both readers turn a file into validated rows plus one problem per row they
refuse, naming the row's position. A file that cannot be read at all (not
JSON, not the export's shape, a CSV without the required columns) raises
`ImportFileError` with one sentence, and nothing is written.

JSON: the locator's `/locator/exportsAsJson/v2` shape, see
`openiop/directory/data/README.md`: `{"recordCount", "totalPages", "page", "rows": [...]}`,
each row with `name1`, `name2`, `street1`, `street2`, `city`, `state`, `zip`,
`phone`, `intake1`, `hotline1`, `website`, `latitude`, `longitude`,
`type_facility` and `services` (`[{"f1": label, "f2": code, "f3": "a; b"}]`).

CSV (UTF-8, comma-separated, one header row), documented in docs/directory.md:

    name,name2,street1,street2,city,state,zip,phone,intake_phone,hotline,website,
    latitude,longitude,type_facility,SET,TC,PAY,...

`name`, `city`, `state` and `zip` are required; every other lower-case column
is optional; every upper-case column (2 to 10 letters or digits) is a
FindTreatment.gov service category code (`f2`) whose cell
holds its values separated by semicolons, e.g. `SET` = `Intensive outpatient
treatment; Regular outpatient treatment`. Unknown codes are kept.

A row without coordinates (both empty: 21 of the 195 rows of the Oregon export)
is placed at the centre of its ZIP code and flagged `location_approximate`;
the finder says so wherever it shows the facility or its distance.
"""

import csv
import hashlib
import io
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

from openiop.directory.features import split_values
from openiop.directory.geo import distance_miles, zip_centroid

# Our own names for the categories (the f1 labels of some exports differ
# from the live service's; key on the code, show these).
CATEGORY_LABELS = {
    "TC": "Type of care",
    "SET": "Service setting",
    "FOP": "Facility operation",
    "PHR": "Pharmacotherapies",
    "OM": "Opioid medications used in treatment",
    "OMSC": "External opioid medications source",
    "SMAT": "External source of medications for alcohol use disorder",
    "AUT": "Alcohol use disorder treatment",
    "OT": "Opioid treatment",
    "LCA": "Licence, certification or accreditation",
    "PAY": "Payment, insurance or funding accepted",
    "PYAS": "Payment assistance",
    "SG": "Special programs or groups",
    "ASPT": "Assessment and pre-treatment",
    "SCR": "Testing",
    "TAP": "Treatment approaches",
    "TRSRV": "Transitional services",
    "RSS": "Recovery support services",
    "ECS": "Education and counseling services",
    "AS": "Ancillary services",
    "OTHR": "Other services",
    "EXCL": "Exclusive services",
    "DETOX": "Detoxification (medical withdrawal) services",
    "MSRV": "Medical services",
    "HOSP": "Hospitals",
    "AGE": "Age groups accepted",
    "SN": "Sex accepted",
    "SL": "Language services",
    "OL": "Other languages",
    "SMP": "Smoking policy",
    "FVP": "Vaping policy",
}

CODE_RE = re.compile(r"^[A-Z][A-Z0-9_]{0,15}$")
CSV_CODE_RE = re.compile(r"^[A-Z][A-Z0-9]{1,9}$")
STATE_RE = re.compile(r"^[A-Z]{2}$")
ZIP_RE = re.compile(r"^\d{5}(?:-?\d{4})?$")
# Coordinates this far from the centre of the row's own ZIP code contradict
# the address: one of them is wrong, so the row is not placed on the map.
MAX_MILES_FROM_ZIP = 150.0

MAX_LENGTHS = {
    "name": 300,
    "name2": 300,
    "street1": 200,
    "street2": 200,
    "city": 100,
    "phone": 40,
    "intake_phone": 40,
    "hotline": 40,
    "website": 300,
    "type_facility": 100,
}
JSON_FIELDS = {  # export field -> our field
    "name1": "name",
    "name2": "name2",
    "street1": "street1",
    "street2": "street2",
    "city": "city",
    "state": "state",
    "zip": "zip",
    "phone": "phone",
    "intake1": "intake_phone",
    "hotline1": "hotline",
    "website": "website",
    "latitude": "latitude",
    "longitude": "longitude",
    "type_facility": "type_facility",
}
CSV_COLUMNS = [
    "name",
    "name2",
    "street1",
    "street2",
    "city",
    "state",
    "zip",
    "phone",
    "intake_phone",
    "hotline",
    "website",
    "latitude",
    "longitude",
    "type_facility",
]
CSV_REQUIRED = ["name", "city", "state", "zip"]


class ImportFileError(Exception):
    """The whole file is unreadable; the message is one plain sentence."""


class RowInvalid(Exception):
    pass


@dataclass
class RowProblem:
    label: str  # "row 12" (JSON) or "line 13" (CSV)
    name: str
    message: str

    def __str__(self) -> str:
        who = f" ({self.name})" if self.name else ""
        return f"{self.label}{who}: {self.message}"


@dataclass
class FacilityRow:
    label: str
    data: dict
    key: str = ""


@dataclass
class ParsedFile:
    source: str
    rows: list[FacilityRow] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    total: int = 0


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


def facility_key(data: dict) -> str:
    """Identity across re-imports: the same name, second name and address is the
    same facility, whatever its phone, coordinates or services became."""
    parts = [
        data["name"],
        data.get("name2", ""),
        data.get("street1", ""),
        data["city"],
        data["state"],
        data["zip"][:5],
    ]
    return hashlib.sha256("|".join(_norm(p) for p in parts).encode()).hexdigest()


def _text(raw: dict, name: str, value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise RowInvalid(f"{name} must be text")
    text = " ".join(str(value).split())
    limit = MAX_LENGTHS.get(name)
    if limit and len(text) > limit:
        raise RowInvalid(f"{name} is longer than {limit} characters")
    return text


def _coordinate(name: str, value, low: float, high: float) -> float:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise RowInvalid("no coordinates (latitude and longitude are empty)")
    if isinstance(value, bool):
        raise RowInvalid(f"{name} {value!r} is not a number")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise RowInvalid(f"{name} {value!r} is not a number") from None
    if not math.isfinite(number) or not low <= number <= high:
        raise RowInvalid(f"{name} {value!r} is outside {low:g} to {high:g}")
    return number


def _services(value) -> list[dict]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise RowInvalid("services is not a list")
    merged: dict[str, dict] = {}
    for i, item in enumerate(value, 1):
        if not isinstance(item, dict):
            raise RowInvalid(f"service {i} is not an object")
        code = item.get("f2")
        if not isinstance(code, str) or not CODE_RE.match(code.strip().upper()):
            raise RowInvalid(f"service {i} has no category code (f2)")
        code = code.strip().upper()
        f3 = item.get("f3")
        if f3 is not None and not isinstance(f3, str):
            raise RowInvalid(f"service {i} ({code}) values (f3) are not text")
        label = item.get("f1") if isinstance(item.get("f1"), str) else ""
        entry = merged.setdefault(code, {"code": code, "label": label.strip(), "values": []})
        for v in split_values(f3):
            if v not in entry["values"]:
                entry["values"].append(v)
    return list(merged.values())


def validate(raw: dict) -> dict:
    """One row of our fields -> clean data, or RowInvalid with the reason."""
    data = {name: _text(raw, name, raw.get(name)) for name in MAX_LENGTHS}
    if not data["name"]:
        raise RowInvalid("no name")
    if not data["city"]:
        raise RowInvalid("no city")
    state = _text(raw, "state", raw.get("state")).upper()
    if not STATE_RE.match(state):
        raise RowInvalid(f"state {raw.get('state')!r} is not a two-letter state code")
    zip_code = _text(raw, "zip", raw.get("zip"))
    if not ZIP_RE.match(zip_code):
        raise RowInvalid(f"ZIP code {raw.get('zip')!r} is not five digits")
    lat_raw, lon_raw = raw.get("latitude"), raw.get("longitude")
    empty = [v is None or (isinstance(v, str) and not v.strip()) for v in (lat_raw, lon_raw)]
    centre = zip_centroid(zip_code[:5])
    if all(empty):
        lat, lon = _zip_centre(centre, zip_code[:5], state)
    elif any(empty):
        raise RowInvalid("only one of latitude and longitude is given")
    else:
        lat = _coordinate("latitude", lat_raw, -90, 90)
        lon = _coordinate("longitude", lon_raw, -180, 180)
        if lat == 0 and lon == 0:
            raise RowInvalid("coordinates 0, 0 are not a real location")
    if centre is not None and not all(empty):
        off = distance_miles(lat, lon, centre.latitude, centre.longitude)
        if off > MAX_MILES_FROM_ZIP:
            raise RowInvalid(
                f"its coordinates are {off:,.0f} miles from ZIP code {zip_code[:5]}; "
                "one of them is wrong"
            )
    data.update(
        state=state,
        zip=zip_code,
        latitude=lat,
        longitude=lon,
        location_approximate=all(empty),
        services=_services(raw.get("services")),
    )
    return data


def _zip_centre(centre, zip_code: str, state: str) -> tuple[float, float]:
    """Where a row without coordinates is placed: its ZIP code's centre, if
    that ZIP code is known and in the row's state."""
    if centre is None:
        raise RowInvalid(
            f"no coordinates (latitude and longitude are empty), and ZIP code {zip_code} "
            "is not a known US ZIP code to place it by"
        )
    if centre.state != state:
        raise RowInvalid(
            f"no coordinates (latitude and longitude are empty), and ZIP code {zip_code} "
            f"is in {centre.state}, not {state}"
        )
    return centre.latitude, centre.longitude


def _name_of(raw) -> str:
    """How a row is named in a message: "OnTrack Inc, Dads Program"."""
    if not isinstance(raw, dict):
        return ""
    parts = [raw.get(k) for k in ("name1", "name", "name2")]
    return ", ".join(" ".join(p.split()) for p in parts if isinstance(p, str) and p.strip())[:120]


def _add(parsed: ParsedFile, label: str, raw: dict, name: str) -> None:
    try:
        data = validate(raw)
    except RowInvalid as exc:
        parsed.problems.append(RowProblem(label, name, f"{exc}; skipped."))
        return
    parsed.rows.append(FacilityRow(label=label, data=data, key=facility_key(data)))


def read_json(content: bytes, name: str) -> ParsedFile:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFileError(f"{name} is not UTF-8 text, so it cannot be JSON.") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportFileError(
            f"{name} is not JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})."
        ) from None
    except RecursionError:
        raise ImportFileError(
            f"{name} nests its JSON too deeply to be a FindTreatment.gov export."
        ) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("rows"), list):
        raise ImportFileError(
            f'{name} is not a FindTreatment.gov export: it needs an object with a "rows" list.'
        )
    parsed = ParsedFile(source="findtreatment", total=len(doc["rows"]))
    for i, raw in enumerate(doc["rows"], 1):
        label = f"row {i}"
        if not isinstance(raw, dict):
            parsed.problems.append(RowProblem(label, "", "is not an object; skipped."))
            continue
        ours = {ours: raw.get(theirs) for theirs, ours in JSON_FIELDS.items()}
        ours["services"] = raw.get("services")
        _add(parsed, label, ours, _name_of(raw))
    declared = doc.get("recordCount")
    if isinstance(declared, int) and declared != len(doc["rows"]):
        parsed.notes.append(
            f"The file says it holds {declared} records but has {len(doc['rows'])} rows."
        )
    pages, page = doc.get("totalPages"), doc.get("page")
    if isinstance(pages, int) and pages > 1:
        parsed.notes.append(
            f"This is page {page} of {pages} of the export: import the other pages too."
        )
    return parsed


def read_csv(content: bytes, name: str) -> ParsedFile:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFileError(f"{name} is not UTF-8 text.") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise ImportFileError(f"{name} is empty: it needs a header row.") from None
    except csv.Error as exc:
        raise ImportFileError(f"{name} is not a readable CSV file ({exc}).") from None
    header = [h.strip() for h in header]
    columns: list[tuple[str, str]] = []  # (kind, name)
    for h in header:
        if h in CSV_COLUMNS:
            columns.append(("field", h))
        elif CSV_CODE_RE.match(h):
            columns.append(("code", h))
        else:
            raise ImportFileError(
                f"{name} has a column {h!r} that is neither one of {', '.join(CSV_COLUMNS)} "
                "nor an upper-case service code."
            )
    if len({h for h in header}) != len(header):
        raise ImportFileError(f"{name} names a column twice in its header.")
    missing = [c for c in CSV_REQUIRED if c not in header]
    if ("latitude" in header) != ("longitude" in header):  # both or neither
        missing += [c for c in ("latitude", "longitude") if c not in header]
    if missing:
        raise ImportFileError(f"{name} lacks the required column(s) {', '.join(missing)}.")
    parsed = ParsedFile(source="csv")
    try:
        for cells in reader:
            line = reader.line_num
            if not any(c.strip() for c in cells):
                continue
            parsed.total += 1
            label = f"line {line}"
            if len(cells) != len(header):
                parsed.problems.append(
                    RowProblem(
                        label,
                        "",
                        f"has {len(cells)} cells but the header has {len(header)}; skipped.",
                    )
                )
                continue
            raw: dict = {}
            services = []
            for (kind, col), cell in zip(columns, cells, strict=True):
                if kind == "field":
                    raw[col] = cell
                elif cell.strip():
                    services.append({"f1": CATEGORY_LABELS.get(col, ""), "f2": col, "f3": cell})
            raw["services"] = services
            _add(parsed, label, raw, _name_of(raw))
    except csv.Error as exc:
        raise ImportFileError(
            f"{name} is not a readable CSV file (line {reader.line_num}: {exc})."
        ) from None
    return parsed


def read_file(path: Path, fmt: str | None = None) -> tuple[ParsedFile, bytes]:
    """Read and validate a facility file; the raw bytes come back for the checksum."""
    try:
        content = path.read_bytes()
    except FileNotFoundError:
        raise ImportFileError(f"There is no file {path}.") from None
    except IsADirectoryError:
        raise ImportFileError(f"{path} is a folder, not a file.") from None
    except OSError as exc:
        raise ImportFileError(f"{path} cannot be read ({exc.strerror}).") from None
    fmt = fmt or ("csv" if path.suffix.lower() == ".csv" else "json")
    if fmt == "csv":
        return read_csv(content, path.name), content
    return read_json(content, path.name), content
