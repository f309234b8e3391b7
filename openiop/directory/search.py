"""The radius search: where, what, sorted, with the reasons each result matches.

How it stays fast (docs/adr/0006-directory-search.md): the database narrows
the rows to a latitude/longitude box around the place (an index range) and to
the requested feature bits (`features & mask`), and returns four columns per
candidate. Python then computes the exact great-circle distance of those few
candidates, drops the ones outside the circle, sorts, and fetches the one page
it shows. `full_scan` answers the same query by reading every facility; the
benchmark and the tests check that both give identical results.
"""

import math
import uuid as uuid_module
from dataclasses import dataclass, field

from openiop.core.replica import read_connection
from openiop.directory import features as FT
from openiop.directory.geo import (
    EARTH_RADIUS_MILES,
    Place,
    bounding_box,
    distance_words,
    place_for,
)
from openiop.directory.models import Facility, Source

SORTS = ("distance", "fit")
MAX_RADIUS_MILES = 500
DEFAULT_RADIUS_MILES = 25
PAGE_SIZE = 20
MAX_PAGE_SIZE = 50
# groups that can be filtered on, in the order their reasons are given
FILTER_GROUPS = (
    "level_of_care",
    "schedule",
    "payment",
    "focus",
    "age",
    "sex",
    "special",
    "family",
    "telehealth",
    "accreditation",
    "services",
    "outcomes",
)
# shown as reasons when a search asked for little
NOTABLE = (
    "level_of_care:iop",
    "schedule:evening",
    "schedule:weekend",
    "focus:co_occurring",
    "family:family_counseling",
    "outcomes:published",
)


@dataclass(frozen=True)
class Query:
    place: Place
    radius_miles: float = DEFAULT_RADIUS_MILES
    filters: tuple[tuple[str, tuple[str, ...]], ...] = ()
    languages: tuple[str, ...] = ()
    sort: str = "distance"
    page: int = 1
    page_size: int = PAGE_SIZE

    @property
    def filter_map(self) -> dict[str, tuple[str, ...]]:
        return dict(self.filters)

    def conditions(self) -> list[tuple[int, str]]:
        """(mask, "any"|"all") per filtered group."""
        out = []
        for group, slugs in self.filters:
            mask = FT.mask_of(f"{group}:{s}" for s in slugs)
            out.append((mask, FT.GROUPS[group].combine))
        return out

    @property
    def requested(self) -> list[int]:
        return [FT.BY_KEY[f"{g}:{s}"].mask for g, slugs in self.filters for s in slugs]


def make_query(
    *,
    near: str | None,
    radius_miles: float | None = None,
    filters: dict[str, list[str]] | None = None,
    languages: list[str] | None = None,
    sort: str = "distance",
    page: int = 1,
    page_size: int = PAGE_SIZE,
) -> Query:
    """Check and normalise a search; raise ApplicationError naming the bad field."""
    from openiop.core.errors import ApplicationError

    place = place_for(near)
    radius = DEFAULT_RADIUS_MILES if radius_miles is None else float(radius_miles)
    if not math.isfinite(radius) or not 0 < radius <= MAX_RADIUS_MILES:
        raise ApplicationError.for_field(
            "radius_miles", f"The radius must be more than 0 and at most {MAX_RADIUS_MILES} miles."
        )
    clean: list[tuple[str, tuple[str, ...]]] = []
    for group, slugs in (filters or {}).items():
        if group not in FT.GROUPS:
            raise ApplicationError.for_field(group, f"There is no filter called {group!r}.")
        slugs = tuple(dict.fromkeys(s for s in slugs if s))
        bad = [s for s in slugs if f"{group}:{s}" not in FT.BY_KEY]
        if bad:
            allowed = ", ".join(f.slug for f in FT.BY_GROUP[group])
            raise ApplicationError.for_field(
                group, f"{bad[0]!r} is not a {group} value; choose from {allowed}."
            )
        if slugs:
            clean.append((group, slugs))
    langs = tuple(dict.fromkeys(x for x in (languages or []) if x and x != "english"))
    bad_lang = [x for x in langs if not FT.LANGUAGE_SLUG.match(x)]
    if bad_lang:
        raise ApplicationError.for_field(
            "language", f"{bad_lang[0]!r} is not a language name like spanish or asl."
        )
    if sort not in SORTS:
        raise ApplicationError.for_field("sort", "Sort by distance or by fit.")
    if not isinstance(page, int) or page < 1:
        raise ApplicationError.for_field("page", "Pages start at 1.")
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ApplicationError.for_field("page_size", f"A page holds 1 to {MAX_PAGE_SIZE} results.")
    return Query(
        place=place,
        radius_miles=radius,
        filters=tuple(sorted(clean)),
        languages=langs,
        sort=sort,
        page=page,
        page_size=page_size,
    )


@dataclass
class Hit:
    id: int
    distance: float
    features: int
    languages: str
    fit: int | None  # computed for every hit only when sorting by fit


@dataclass
class SearchResult:
    query: Query
    count: int
    hits: list[Hit]  # this page, in order
    facilities: list = field(default_factory=list)  # Cards

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.count / self.query.page_size))


def fit_score(query: Query, bits: int, languages: str) -> int:
    """10 points per requested value matched (payment=medicaid&payment=private:
    both beat one), 10 per requested language, plus the quality signals."""
    score = 10 * sum(1 for m in query.requested if bits & m)
    score += 10 * sum(1 for lang in query.languages if f"|{lang}|" in languages)
    return score + FT.quality(bits)


def _passes(conditions, bits: int) -> bool:
    for mask, combine in conditions:
        hit = bits & mask
        if (combine == FT.ALL and hit != mask) or (combine == FT.ANY and not hit):
            return False
    return True


_COLUMNS = "id, latitude, longitude, features, languages"


def candidates(query: Query) -> list[tuple]:
    """Rows in the box around the place that have the requested features.

    Plain SQL (the same on SQLite and PostgreSQL): building it through the ORM
    cost more than running it. The `facility_geo` index covers every column
    read, so the database answers from the index alone.
    """
    lat_min, lat_max, lon_ranges = bounding_box(
        query.place.latitude, query.place.longitude, query.radius_miles
    )
    where = ["is_active = %s", "latitude >= %s", "latitude <= %s"]
    params: list = [True, lat_min, lat_max]
    if lon_ranges != [(-180.0, 180.0)]:
        where.append(
            "(" + " OR ".join("(longitude >= %s AND longitude <= %s)" for _ in lon_ranges) + ")"
        )
        for lo, hi in lon_ranges:
            params += [lo, hi]
    for mask, combine in query.conditions():
        if combine == FT.ALL:
            where.append("(features & %s) = %s")
            params += [mask, mask]
        else:
            where.append("(features & %s) <> 0")
            params.append(mask)
    if query.languages:
        where.append("(" + " OR ".join("languages LIKE %s" for _ in query.languages) + ")")
        params += [f"%|{lang}|%" for lang in query.languages]
    table = Facility._meta.db_table  # every value below is a parameter
    sql = f"SELECT {_COLUMNS} FROM {table} WHERE {' AND '.join(where)}"  # noqa: S608
    with read_connection(Facility).cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _rank(query: Query, rows, *, recheck: bool) -> list[tuple]:
    """Exact distance of each row, the circle, the order, as plain tuples
    (h, id, bits, languages), or (-fit, h, id, bits, languages) when sorting by
    fit, where h is the haversine term: the distance is 2R asin(sqrt(h)),
    which grows with h, so h alone decides the circle and the order and the
    arc sine is taken only for the page shown. Kept lean: on a wide radius
    this loop is the time."""
    lat0 = math.radians(query.place.latitude)
    lon0 = math.radians(query.place.longitude)
    cos0 = math.cos(lat0)
    h_max = math.sin(min(math.pi / 2, query.radius_miles / (2 * EARTH_RADIUS_MILES))) ** 2
    conditions = query.conditions()
    langs_wanted = [f"|{x}|" for x in query.languages]
    radians, sin, cos = math.radians, math.sin, math.cos
    kept = []
    for pk, lat, lon, bits, langs in rows:
        if recheck:
            if not _passes(conditions, bits):
                continue
            if langs_wanted and not any(x in langs for x in langs_wanted):
                continue
        p = radians(lat)
        h = sin((p - lat0) / 2) ** 2 + cos0 * cos(p) * sin((radians(lon) - lon0) / 2) ** 2
        if h <= h_max:
            kept.append((h, pk, bits, langs))
    if query.sort == "fit":
        kept = [(-fit_score(query, b, lg), h, pk, b, lg) for h, pk, b, lg in kept]
    kept.sort()
    return kept


def miles(h: float) -> float:
    return 2 * EARTH_RADIUS_MILES * math.asin(min(1.0, math.sqrt(h)))


def _hit(query: Query, row: tuple) -> Hit:
    if query.sort == "fit":
        f, h, pk, b, lg = row
        return Hit(pk, miles(h), b, lg, -f)
    h, pk, b, lg = row
    return Hit(pk, miles(h), b, lg, None)


def ranked(query: Query) -> list[Hit]:
    """Every match of the query, sorted (the database narrows, Python measures)."""
    return [_hit(query, r) for r in _rank(query, candidates(query), recheck=False)]


def full_scan(query: Query) -> list[Hit]:
    """The same answer by reading every active facility (the naive reference)."""
    rows = Facility.objects.filter(is_active=True).values_list(
        "id", "latitude", "longitude", "features", "languages"
    )
    return [_hit(query, r) for r in _rank(query, rows, recheck=True)]


def reasons_for(
    query: Query, bits: int, languages: str, distance: float | None, *, how_far: str = ""
) -> list[str]:
    """Why a result matches, in words: "evening track; accepts Medicaid; 4.2 miles".
    `how_far` words the distance instead (an approximate location's)."""
    out: list[str] = []
    wanted = query.filter_map
    for group in FILTER_GROUPS:
        for slug in wanted.get(group, ()):
            feat = FT.BY_KEY[f"{group}:{slug}"]
            if bits & feat.mask:
                out.append(feat.reason)
    for lang in query.languages:
        if f"|{lang}|" in languages:
            out.append(f"services in {FT.language_label(lang)}")
    if query.sort == "fit":
        # what lifted it in the fit order, strongest first (at most three)
        extra = [
            FT.BY_KEY[k].reason
            for k, _w in sorted(FT.QUALITY_SIGNALS.items(), key=lambda kv: -kv[1])
            if bits & FT.BY_KEY[k].mask and FT.BY_KEY[k].reason not in out
        ]
        out += extra[:3]
    elif len(out) < 2:
        for key in NOTABLE:
            feat = FT.BY_KEY[key]
            if bits & feat.mask and feat.reason not in out:
                out.append(feat.reason)
            if len(out) >= 3:
                break
    if distance is not None:
        out.append(how_far or f"{distance:.1f} miles")
    return out


@dataclass
class Card:
    """What a result list shows of a facility: read from the columns stored
    before the services blob, so a page of results is 20 short row reads."""

    id: int
    uuid: uuid_module.UUID
    name: str
    name2: str
    street1: str
    city: str
    state: str
    zip_code: str
    phone: str
    website: str
    source: str
    latitude: float
    longitude: float
    location_approximate: bool = False  # placed at its ZIP code's centre
    features: int = 0
    languages: str = ""
    distance_miles: float | None = None
    distance_label: str = ""  # "3.3 mi", "about 3 mi", "in ZIP code 97501"
    fit: int | None = None
    reasons: list[str] = field(default_factory=list)

    def __post_init__(self):
        self.location_approximate = bool(self.location_approximate)  # SQLite says 0/1

    @property
    def is_program(self) -> bool:
        return self.source == Source.OPENIOP


_CARD_COLUMNS = (
    "id, uuid, name, name2, street1, city, state, zip_code, phone, website, source, "
    "latitude, longitude, location_approximate"
)
_UUID = Facility._meta.get_field("uuid")


def cards(ids) -> dict[int, Card]:
    """Cards of these facilities by id (one query)."""
    ids = list(ids)
    if not ids:
        return {}
    marks = ", ".join(["%s"] * len(ids))
    table = Facility._meta.db_table  # the ids are parameters
    sql = f"SELECT {_CARD_COLUMNS} FROM {table} WHERE id IN ({marks})"  # noqa: S608
    with read_connection(Facility).cursor() as cursor:
        cursor.execute(sql, ids)
        rows = cursor.fetchall()
    return {r[0]: Card(r[0], _UUID.to_python(r[1]), *r[2:]) for r in rows}


def search(query: Query) -> SearchResult:
    rows = _rank(query, candidates(query), recheck=False)
    start = (query.page - 1) * query.page_size
    page = [_hit(query, r) for r in rows[start : start + query.page_size]]
    result = SearchResult(query=query, count=len(rows), hits=page)
    found = cards(h.id for h in page)
    for h in page:
        card = found[h.id]
        card.features, card.languages = h.features, h.languages
        card.distance_miles = round(h.distance, 1)
        where = {"approximate": card.location_approximate, "zip_code": card.zip_code}
        card.distance_label = distance_words(h.distance, unit="mi", **where)
        card.fit = h.fit if h.fit is not None else fit_score(query, h.features, h.languages)
        how_far = distance_words(h.distance, **where) if card.location_approximate else ""
        card.reasons = reasons_for(query, h.features, h.languages, h.distance, how_far=how_far)
        result.facilities.append(card)
    return result
