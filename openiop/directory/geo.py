"""Places and distances: ZIP code and city centroids (the offline `zipcodes`
package), great-circle distance, and the bounding box that lets the database
narrow a radius search before the exact distance is computed."""

import math
import re
import threading
from dataclasses import dataclass
from functools import lru_cache

import zipcodes

from openiop.core.errors import ApplicationError

EARTH_RADIUS_MILES = 3958.8
# The box is widened by this much (degrees) so that rounding can never drop a
# facility that the exact distance would keep.
BOX_MARGIN_DEG = 1e-6

ZIP_RE = re.compile(r"^\d{5}(?:-\d{4})?$")

STATES = {
    "alabama": "AL", "alaska": "AK", "arizona": "AZ", "arkansas": "AR", "california": "CA",
    "colorado": "CO", "connecticut": "CT", "delaware": "DE", "district of columbia": "DC",
    "florida": "FL", "georgia": "GA", "hawaii": "HI", "idaho": "ID", "illinois": "IL",
    "indiana": "IN", "iowa": "IA", "kansas": "KS", "kentucky": "KY", "louisiana": "LA",
    "maine": "ME", "maryland": "MD", "massachusetts": "MA", "michigan": "MI", "minnesota": "MN",
    "mississippi": "MS", "missouri": "MO", "montana": "MT", "nebraska": "NE", "nevada": "NV",
    "new hampshire": "NH", "new jersey": "NJ", "new mexico": "NM", "new york": "NY",
    "north carolina": "NC", "north dakota": "ND", "ohio": "OH", "oklahoma": "OK",
    "oregon": "OR", "pennsylvania": "PA", "rhode island": "RI", "south carolina": "SC",
    "south dakota": "SD", "tennessee": "TN", "texas": "TX", "utah": "UT", "vermont": "VT",
    "virginia": "VA", "washington": "WA", "west virginia": "WV", "wisconsin": "WI",
    "wyoming": "WY", "puerto rico": "PR", "guam": "GU", "virgin islands": "VI",
    "american samoa": "AS", "northern mariana islands": "MP",
}  # fmt: skip
STATE_CODES = set(STATES.values())


@dataclass(frozen=True)
class Place:
    label: str
    latitude: float
    longitude: float
    zip_code: str = ""
    state: str = ""

    @property
    def query(self) -> str:
        """What to put in a link's `near=` to find this place again."""
        return self.zip_code or self.label


def distance_miles(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle (haversine) distance in miles."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dl = math.radians(lon2) - math.radians(lon1)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_MILES * math.asin(min(1.0, math.sqrt(a)))


def distance_words(
    miles: float, *, approximate: bool = False, zip_code: str = "", unit: str = "miles"
) -> str:
    """How far, in words: "3.3 miles". To a facility placed at its ZIP code's
    centre (its location is approximate): "about 3 miles", or "in ZIP code
    97501" when that centre is under half a mile away (it says nothing finer)."""
    if not approximate:
        return f"{miles:.1f} {unit}"
    if round(miles) == 0:
        return f"in ZIP code {zip_code[:5]}"
    return f"about {round(miles)} {unit}"


def distance_from(
    miles: float, where: str, *, approximate: bool = False, zip_code: str = ""
) -> str:
    """ "3.3 miles from Portland, OR 97204", "about 3 miles from ...", "in ZIP
    code 97501, near ..."."""
    words = distance_words(miles, approximate=approximate, zip_code=zip_code)
    return f"{words}, near {where}" if words.startswith("in ZIP") else f"{words} from {where}"


def bounding_box(
    lat: float, lon: float, radius_miles: float
) -> tuple[float, float, list[tuple[float, float]]]:
    """(lat_min, lat_max, longitude ranges) that contain every point within the
    radius. Two longitude ranges when the box crosses the 180th meridian."""
    r = radius_miles / EARTH_RADIUS_MILES  # angular radius
    dlat = math.degrees(r) + BOX_MARGIN_DEG
    lat_min, lat_max = lat - dlat, lat + dlat
    if lat_min <= -90 or lat_max >= 90 or math.sin(r) >= math.cos(math.radians(lat)):
        return max(lat_min, -90.0), min(lat_max, 90.0), [(-180.0, 180.0)]
    dlon = math.degrees(math.asin(math.sin(r) / math.cos(math.radians(lat)))) + BOX_MARGIN_DEG
    lo, hi = lon - dlon, lon + dlon
    if dlon >= 180:
        ranges = [(-180.0, 180.0)]
    elif lo < -180:
        ranges = [(lo + 360, 180.0), (-180.0, hi)]
    elif hi > 180:
        ranges = [(lo, 180.0), (-180.0, hi - 360)]
    else:
        ranges = [(lo, hi)]
    return lat_min, lat_max, ranges


@lru_cache(maxsize=8192)
def zip_centroid(code: str) -> Place | None:
    """The centroid of a US ZIP code, or None if there is no such code."""
    if not ZIP_RE.match(code or ""):
        return None
    try:
        found = zipcodes.matching(code[:5])
    except (TypeError, ValueError):
        return None
    if not found:
        return None
    z = found[0]
    return Place(
        label=f"{z['city'].title()}, {z['state']} {z['zip_code']}",
        latitude=float(z["lat"]),
        longitude=float(z["long"]),
        zip_code=z["zip_code"],
        state=z["state"],
    )


_cities: dict[tuple[str, str], list[tuple]] | None = None
_cities_lock = threading.Lock()


def _city_index() -> dict[tuple[str, str], list[tuple]]:
    """(city, state) -> ZIP centroids, built once per process (about a second)."""
    global _cities
    if _cities is None:
        with _cities_lock:
            if _cities is None:
                index: dict[tuple[str, str], list[tuple]] = {}
                for z in zipcodes.list_all():
                    if not z.get("lat") or not z.get("long"):
                        continue
                    lat, lon, kind = float(z["lat"]), float(z["long"]), z["zip_code_type"]
                    for i, name in enumerate([z["city"], *z.get("acceptable_cities", [])]):
                        # (lat, lon, ZIP type, name, is the ZIP's own city)
                        entry = (lat, lon, kind, name, i == 0)
                        index.setdefault((name.casefold(), z["state"]), []).append(entry)
                _cities = index
    return _cities


def _city_state(text: str) -> tuple[str, str | None]:
    text = " ".join(text.replace(",", " , ").split())
    if "," in text:
        city, _, state = text.rpartition(",")
        city, state = city.strip(" ,"), state.strip()
    else:
        parts = text.split(" ")
        city, state = text, None
        if len(parts) > 1 and parts[-1].upper() in STATE_CODES:
            city, state = " ".join(parts[:-1]), parts[-1]
        else:
            for name in sorted(STATES, key=len, reverse=True):
                if text.casefold().endswith(" " + name):
                    city, state = text[: -len(name)].strip(), name
                    break
    if state is not None:
        code = state.upper() if state.upper() in STATE_CODES else STATES.get(state.casefold())
        if code is None:
            raise ApplicationError.for_field(
                "near", f"{state!r} is not a US state; write it like OR or Oregon."
            )
        state = code
    return city, state


_ABBREVIATIONS = {
    "st": "saint",
    "st.": "saint",
    "ft": "fort",
    "ft.": "fort",
    "mt": "mount",
    "mt.": "mount",
}


def _spellings(key: str) -> list[str]:
    """Other ways the city may be written: "st helens" <-> "saint helens"."""
    first, _, rest = key.partition(" ")
    if not rest:
        return []
    out = []
    if first in _ABBREVIATIONS:
        out.append(f"{_ABBREVIATIONS[first]} {rest}")
    for short, long in _ABBREVIATIONS.items():
        if first == long and not short.endswith("."):
            out += [f"{short} {rest}", f"{short}. {rest}"]
    return out


def city_centroid(text: str) -> Place | None:
    """The centre of a city's ZIP codes ("Portland, OR"); None if unknown.

    Raises ApplicationError when the name is in several states and none was given.
    """
    city, state = _city_state(text)
    index = _city_index()
    key = city.casefold()
    if state is None:
        names = {key, *_spellings(key)}
        states = sorted({s for (c, s) in index if c in names})
        if not states:
            return None
        if len(states) > 1:
            example = f"{city.title()}, {states[0]}"
            raise ApplicationError.for_field(
                "near",
                f"There is a {city.title()} in {len(states)} states ({', '.join(states)}); "
                f"add the state, e.g. {example}.",
            )
        state = states[0]
    entries = index.get((key, state)) or next(
        (index[(alt, state)] for alt in _spellings(key) if (alt, state) in index), None
    )
    if not entries:
        return None
    own = [e for e in entries if e[4]] or entries  # not the suburbs that share the name
    standard = [e for e in own if e[2] == "STANDARD"] or own
    lat = sum(e[0] for e in standard) / len(standard)
    lon = sum(e[1] for e in standard) / len(standard)
    name = standard[0][3]
    return Place(label=f"{name}, {state}", latitude=round(lat, 6), longitude=round(lon, 6))


def place_for(text: str | None, *, field: str = "near") -> Place:
    """A ZIP code or "City, ST" -> its centroid, or a clear error naming the field."""
    text = (text or "").strip()
    if not text:
        raise ApplicationError.for_field(
            field, "Enter a ZIP code or a city, e.g. 97201 or Portland, OR."
        )
    if len(text) > 80:
        raise ApplicationError.for_field(field, "That place name is too long.")
    if text[:1].isdigit():
        if not ZIP_RE.match(text):
            raise ApplicationError.for_field(
                field, f"{text!r} is not a ZIP code: write five digits, e.g. 97201."
            )
        place = zip_centroid(text)
        if place is None:
            raise ApplicationError.for_field(field, f"{text} is not a known US ZIP code.")
        return place
    try:
        place = city_centroid(text)
    except ApplicationError as exc:
        raise ApplicationError.for_field(field, exc.message) from None
    if place is None:
        raise ApplicationError.for_field(
            field, f"No US city called {text!r} is known; try its ZIP code."
        )
    return place
