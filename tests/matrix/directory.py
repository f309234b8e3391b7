"""Routes of the program finder: public pages and API (200 for everyone,
anonymous included) and the staff pages behind `directory.*` permissions.

The public routes are rate-limited per client address and every matrix
request comes from 127.0.0.1, so each path builder starts a fresh window.
"""

from openiop.core import ratelimit
from openiop.directory.models import DirectoryProfile, Facility, Testimonial
from openiop.directory.services import program_sync, shortlist_create
from tests.matrix.common import EVERYONE, MANAGERS, STAFF, page

ANSWERS = {
    "near": "97201",
    "max_miles": 25,
    "times": ["evening"],
    "need": "substance_use",
    "age": "26_64",
    "insurance": "medicaid",
    "family": "no",
    "language": "english",
}


def fresh(path: str) -> str:
    ratelimit.reset()
    return path


def listed(c) -> Facility:
    """Program A, listed on the finder."""
    profile, _ = DirectoryProfile.objects.get_or_create(
        program=c.program_a, defaults={"organization": c.org, "listed": True}
    )
    return program_sync(profile)


def imported(c) -> Facility:
    facility, _ = Facility.objects.get_or_create(
        source_key="matrix-imported",
        defaults={
            "source": "findtreatment",
            "name": "Matrix Recovery Center",
            "city": "Portland",
            "state": "OR",
            "zip_code": "97204",
            "latitude": 45.5181,
            "longitude": -122.6745,
            "features": 1,
        },
    )
    return facility


def testimonial(c) -> Testimonial:
    facility = listed(c)
    found, _ = Testimonial.objects.get_or_create(
        facility=facility,
        defaults={
            "organization": c.org,
            "author_name": "Sam",
            "relationship": "participant",
            "body": "The evening group let me keep my job.",
            "consent_to_publish": True,
        },
    )
    return found


def shortlist(c) -> str:
    return shortlist_create(answers=ANSWERS, facility_uuids=[listed(c).uuid]).token


PUBLIC = page(EVERYONE, anon=200)


def public_api(ok=200):
    return page(EVERYONE, ok=ok, anon=ok)


MATRIX = {
    # public pages
    ("find/", "finder"): (
        "get",
        lambda c: fresh(f"/find/?near=97201&level_of_care=iop&f={imported(c).uuid}"),
        None,
        PUBLIC,
    ),
    ("find/match/", "match"): ("get", lambda c: fresh("/find/match/"), None, PUBLIC),
    ("find/shortlist/<str:token>/", "shortlist"): (
        "get",
        lambda c: fresh(f"/find/shortlist/{shortlist(c)}/"),
        None,
        PUBLIC,
    ),
    ("find/shortlist/<str:token>/delete/", "shortlist_delete"): (
        "post",
        lambda c: fresh(f"/find/shortlist/{shortlist(c)}/delete/"),
        None,
        page(EVERYONE, ok=302, anon=302),
    ),
    ("find/compare/", "compare"): (
        "get",
        lambda c: fresh(f"/find/compare/?f={imported(c).uuid}&f={listed(c).uuid}"),
        None,
        PUBLIC,
    ),
    ("find/about/", "about"): ("get", lambda c: fresh("/find/about/"), None, PUBLIC),
    ("find/<uuid:facility_uuid>/", "facility"): (
        "get",
        lambda c: fresh(f"/find/{listed(c).uuid}/"),
        None,
        PUBLIC,
    ),
    ("find/<uuid:facility_uuid>/testimonial/", "testimonial_new"): (
        "get",
        lambda c: fresh(f"/find/{listed(c).uuid}/testimonial/"),
        None,
        PUBLIC,
    ),
    # staff pages
    ("directory/", "manage"): ("get", lambda c: "/directory/", None, page(MANAGERS | {"intake"})),
    ("directory/testimonials/", "testimonials"): (
        "get",
        lambda c: "/directory/testimonials/",
        None,
        page(MANAGERS),
    ),
    ("directory/testimonials/<uuid:testimonial_uuid>/", "testimonial_moderate"): (
        "post",
        lambda c: f"/directory/testimonials/{testimonial(c).uuid}/",
        None,
        page(MANAGERS, ok=302),
    ),
    ("directory/me/", "my_listing"): (
        "get",
        lambda c: "/directory/me/",
        None,
        page(set(STAFF) | {"patient_user"}),
    ),
    ("directory/<uuid:program_uuid>/", "profile_edit"): (
        "get",
        lambda c: f"/directory/{c.program_a.uuid}/",
        None,
        page(MANAGERS),
    ),
    ("directory/<uuid:program_uuid>/wait-time/", "wait_time"): (
        "get",
        lambda c: f"/directory/{c.program_a.uuid}/wait-time/",
        None,
        page(MANAGERS | {"intake"}),
    ),
    # public API
    ("api/v1/directory/facilities", "search_facilities"): (
        "get",
        lambda c: fresh(f"/api/v1/directory/facilities?near=97201&x={imported(c).pk}"),
        None,
        public_api(),
    ),
    ("api/v1/directory/facilities/<facility_uuid>", "get_facility"): (
        "get",
        lambda c: fresh(f"/api/v1/directory/facilities/{listed(c).uuid}"),
        None,
        public_api(),
    ),
    ("api/v1/directory/compare", "compare_facilities"): (
        "get",
        lambda c: fresh(f"/api/v1/directory/compare?ids={imported(c).uuid}&ids={listed(c).uuid}"),
        None,
        public_api(),
    ),
    ("api/v1/directory/filters", "filters"): (
        "get",
        lambda c: fresh("/api/v1/directory/filters"),
        None,
        public_api(),
    ),
    ("api/v1/directory/match", "guided_match"): (
        "post",
        lambda c: fresh("/api/v1/directory/match"),
        lambda c: ANSWERS,
        public_api(201),
    ),
    ("api/v1/directory/shortlists/<token>", "get_shortlist"): (
        "get",
        lambda c: fresh(f"/api/v1/directory/shortlists/{shortlist(c)}"),
        None,
        public_api(),
    ),
    ("api/v1/directory/shortlists/<token>", "delete_shortlist"): (
        "delete",
        lambda c: fresh(f"/api/v1/directory/shortlists/{shortlist(c)}"),
        None,
        public_api(204),
    ),
    ("api/v1/directory/facilities/<facility_uuid>/testimonials", "submit_testimonial"): (
        "post",
        lambda c: fresh(f"/api/v1/directory/facilities/{listed(c).uuid}/testimonials"),
        lambda c: {
            "author_name": "Jo",
            "relationship": "family",
            "body": "They helped our whole family understand recovery.",
            "consent": True,
        },
        public_api(202),
    ),
}
