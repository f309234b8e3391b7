"""Role x endpoint matrix, and a walk of every URL route that fails when a route
is missing from the matrix (after netbox utilities/testing/views.py).

Expected statuses are written out by hand from the permission design in
THREAT_MODEL.md, not computed from the registry, so a change in the registry
that opens a route shows up here.
"""

import datetime as dt
import json

import pytest
from django.urls import URLResolver, get_resolver
from django.utils import timezone

from openiop.accounts.services import api_token_create

STAFF = [
    "clinician_a",
    "readonly_a",
    "clinician_b",
    "director_a",
    "prescriber_a",
    "intake",
    "auditor",
    "admin",
]
EVERYONE = [*STAFF, "patient_user", None]
PATIENT_READERS = {"clinician_a", "readonly_a", "director_a", "prescriber_a", "intake"}
PATIENT_WRITERS = {"clinician_a", "director_a", "intake"}
CONFIG_READERS = set(STAFF) - {"auditor"}
MANAGERS = {"director_a", "admin"}


def walk(patterns, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from walk(p.url_patterns, prefix + str(p.pattern))
        else:
            yield prefix + str(p.pattern), p.name


def page(allowed, *, hidden=(), ok=200, denied=403, anon=302):
    """Expected status per cast member for a page."""
    out = {}
    for who in EVERYONE:
        if who is None:
            out[who] = anon
        elif who in allowed:
            out[who] = ok
        elif who in hidden:
            out[who] = 404
        else:
            out[who] = denied
    return out


def api(allowed, *, hidden=(), ok=200):
    return page(allowed, hidden=hidden, ok=ok, anon=401)


TODAY = timezone.localdate().isoformat()

# (route, url name) -> (method, path builder, payload builder or None, expected statuses)
MATRIX = {
    ("", "dashboard"): ("get", lambda c: "/", None, page(set(STAFF) | {"patient_user"})),
    ("healthz", "healthz"): ("get", lambda c: "/healthz", None, page(EVERYONE, anon=200)),
    ("favicon.ico", "favicon"): (
        "get",
        lambda c: "/favicon.ico",
        None,
        page(EVERYONE, ok=302, anon=302),
    ),
    ("accounts/login/", "login"): (
        "get",
        lambda c: "/accounts/login/",
        None,
        page(EVERYONE, ok=302, anon=200),
    ),
    ("accounts/verify/", "verify"): (
        "get",
        lambda c: "/accounts/verify/",
        None,
        page(set(STAFF) | {"patient_user"}),
    ),
    ("accounts/two-factor/", "2fa_setup"): (
        "get",
        lambda c: "/accounts/two-factor/",
        None,
        page(set(STAFF) | {"patient_user"}),
    ),
    ("accounts/logout/", "logout"): (
        "post",
        lambda c: "/accounts/logout/",
        None,
        page(EVERYONE, ok=302),
    ),
    ("accounts/tokens/", "api_tokens"): (
        "get",
        lambda c: "/accounts/tokens/",
        None,
        page(set(STAFF) | {"patient_user"}),
    ),
    ("accounts/tokens/<uuid:token_uuid>/revoke/", "api_token_revoke"): (
        "post",
        lambda c: f"/accounts/tokens/{c.token.uuid}/revoke/",
        None,
        page({"clinician_a"}, hidden=set(EVERYONE) - {"clinician_a"}, ok=302),
    ),
    ("patients/", "search"): (
        "get",
        lambda c: "/patients/",
        None,
        page(PATIENT_READERS | {"clinician_b"}),
    ),
    ("patients/new/", "register"): (
        "get",
        lambda c: "/patients/new/",
        None,
        page({"director_a", "intake"}),
    ),
    ("patients/<uuid:patient_uuid>/", "chart"): (
        "get",
        lambda c: f"/patients/{c.patient_a.uuid}/",
        None,
        page(PATIENT_READERS, hidden={"clinician_b"}),
    ),
    ("patients/<uuid:patient_uuid>/edit/", "edit"): (
        "get",
        lambda c: f"/patients/{c.patient_a.uuid}/edit/",
        None,
        page(PATIENT_WRITERS, hidden={"clinician_b"}),
    ),
    ("patients/<uuid:patient_uuid>/support-persons/new/", "support_person_add"): (
        "get",
        lambda c: f"/patients/{c.patient_a.uuid}/support-persons/new/",
        None,
        page(PATIENT_WRITERS, hidden={"clinician_b"}),
    ),
    ("patients/<uuid:patient_uuid>/coverage/new/", "coverage_add"): (
        "get",
        lambda c: f"/patients/{c.patient_a.uuid}/coverage/new/",
        None,
        page(PATIENT_WRITERS, hidden={"clinician_b"}),
    ),
    ("care/caseload/", "caseload"): (
        "get",
        lambda c: "/care/caseload/",
        None,
        page({"clinician_a", "clinician_b", "director_a", "prescriber_a"}),
    ),
    ("care/census/", "census"): (
        "get",
        lambda c: "/care/census/",
        None,
        page({"director_a", "intake", "readonly_a"}),
    ),
    ("care/patients/<uuid:patient_uuid>/admit/", "admit"): (
        "get",
        lambda c: f"/care/patients/{c.patient_a.uuid}/admit/",
        None,
        page({"director_a", "intake"}),
    ),
    ("care/episodes/<uuid:episode_uuid>/edit/", "episode_edit"): (
        "get",
        lambda c: f"/care/episodes/{c.episode_a.uuid}/edit/",
        None,
        page(PATIENT_WRITERS, hidden={"clinician_b"}),
    ),
    ("care/episodes/<uuid:episode_uuid>/discharge/", "discharge"): (
        "get",
        lambda c: f"/care/episodes/{c.episode_a.uuid}/discharge/",
        None,
        page({"clinician_a", "director_a"}, hidden={"clinician_b"}),
    ),
    ("organization/programs/", "programs"): (
        "get",
        lambda c: "/organization/programs/",
        None,
        page(CONFIG_READERS),
    ),
    ("organization/programs/<uuid:program_uuid>/edit/", "program_edit"): (
        "get",
        lambda c: f"/organization/programs/{c.program_a.uuid}/edit/",
        None,
        page(MANAGERS),
    ),
    ("organization/programs/<uuid:program_uuid>/tracks/new/", "track_new"): (
        "get",
        lambda c: f"/organization/programs/{c.program_a.uuid}/tracks/new/",
        None,
        page(MANAGERS),
    ),
    ("organization/tracks/<uuid:track_uuid>/edit/", "track_edit"): (
        "get",
        lambda c: f"/organization/tracks/{c.track_a.uuid}/edit/",
        None,
        page(MANAGERS),
    ),
    ("organization/staff/", "staff"): (
        "get",
        lambda c: "/organization/staff/",
        None,
        page(MANAGERS),
    ),
    ("audit/", "search"): ("get", lambda c: "/audit/", None, page({"auditor", "admin"})),
    # API
    ("api/v1/openapi.json", "openapi-json"): (
        "get",
        lambda c: "/api/v1/openapi.json",
        None,
        page(EVERYONE, anon=200),
    ),
    ("api/v1/docs", "openapi-view"): (
        "get",
        lambda c: "/api/v1/docs",
        None,
        page(EVERYONE, anon=200),
    ),
    ("api/v1/", "api-root"): ("get", lambda c: "/api/v1/", None, page((), denied=404, anon=404)),
    ("api/v1/me", "me"): ("get", lambda c: "/api/v1/me", None, api(set(STAFF) | {"patient_user"})),
    ("api/v1/programs", "list_programs"): (
        "get",
        lambda c: "/api/v1/programs",
        None,
        api(CONFIG_READERS),
    ),
    ("api/v1/programs/<program_uuid>", "get_program"): (
        "get",
        lambda c: f"/api/v1/programs/{c.program_a.uuid}",
        None,
        api(CONFIG_READERS - {"clinician_b"}, hidden={"clinician_b"}),
    ),
    ("api/v1/programs/<program_uuid>", "update_program"): (
        "patch",
        lambda c: f"/api/v1/programs/{c.program_a.uuid}",
        lambda c: {"plan_review_days": 28},
        api(MANAGERS, hidden=()),
    ),
    ("api/v1/tracks", "list_tracks"): (
        "get",
        lambda c: "/api/v1/tracks",
        None,
        api(CONFIG_READERS),
    ),
    ("api/v1/programs/<program_uuid>/tracks", "create_track"): (
        "post",
        lambda c: f"/api/v1/programs/{c.program_a.uuid}/tracks",
        lambda c: {
            "name": "Weekend",
            "kind": "weekend",
            "weekdays": [6, 7],
            "start_time": "09:00",
            "end_time": "13:30",
        },
        api(MANAGERS, ok=201),
    ),
    ("api/v1/tracks/<track_uuid>", "update_track"): (
        "patch",
        lambda c: f"/api/v1/tracks/{c.track_a.uuid}",
        lambda c: {"capacity": 10},
        api(MANAGERS),
    ),
    ("api/v1/sites", "list_sites"): ("get", lambda c: "/api/v1/sites", None, api(CONFIG_READERS)),
    ("api/v1/staff", "list_staff"): ("get", lambda c: "/api/v1/staff", None, api(MANAGERS)),
    ("api/v1/patients", "list_patients"): (
        "get",
        lambda c: "/api/v1/patients",
        None,
        api(PATIENT_READERS | {"clinician_b"}),
    ),
    ("api/v1/patients", "create_patient"): (
        "post",
        lambda c: "/api/v1/patients",
        lambda c: {
            "legal_given_name": "Testy",
            "legal_family_name": "Matrixson",
            "date_of_birth": "1991-02-03",
            "admission": {
                "program": str(c.program_a.uuid),
                "admitted_on": TODAY,
                "admission_type": "direct",
                "referral_source": "self",
            },
        },
        api({"director_a", "intake"}, ok=201),
    ),
    ("api/v1/patients/<patient_uuid>", "get_patient"): (
        "get",
        lambda c: f"/api/v1/patients/{c.patient_a.uuid}",
        None,
        api(PATIENT_READERS, hidden={"clinician_b"}),
    ),
    ("api/v1/patients/<patient_uuid>", "update_patient"): (
        "patch",
        lambda c: f"/api/v1/patients/{c.patient_a.uuid}",
        lambda c: {"pronouns": "they/them"},
        api(PATIENT_WRITERS, hidden={"clinician_b"}),
    ),
    ("api/v1/episodes", "list_episodes"): (
        "get",
        lambda c: "/api/v1/episodes",
        None,
        api(PATIENT_READERS | {"clinician_b"}),
    ),
    ("api/v1/episodes", "admit"): (
        # patient_a already has an open episode in A: those allowed get the domain's 400
        "post",
        lambda c: "/api/v1/episodes",
        lambda c: {
            "patient": str(c.patient_a.uuid),
            "program": str(c.program_a.uuid),
            "admitted_on": TODAY,
            "admission_type": "direct",
            "referral_source": "self",
        },
        api({"director_a", "intake"}, ok=400),
    ),
    ("api/v1/episodes/<episode_uuid>", "get_episode"): (
        "get",
        lambda c: f"/api/v1/episodes/{c.episode_a.uuid}",
        None,
        api(PATIENT_READERS, hidden={"clinician_b"}),
    ),
    ("api/v1/episodes/<episode_uuid>", "update_episode"): (
        "patch",
        lambda c: f"/api/v1/episodes/{c.episode_a.uuid}",
        lambda c: {"track": str(c.track_a.uuid)},
        api(PATIENT_WRITERS, hidden={"clinician_b"}),
    ),
    ("api/v1/episodes/<episode_uuid>/discharge", "discharge"): (
        "post",
        lambda c: f"/api/v1/episodes/{c.episode_a.uuid}/discharge",
        lambda c: {"discharged_on": TODAY, "discharge_reason": "completed"},
        api({"clinician_a", "director_a"}, hidden={"clinician_b"}),
    ),
}
ADMIN_PREFIX = "admin/"


def test_every_route_is_in_the_matrix():
    routes = {
        (r, n) for r, n in walk(get_resolver().url_patterns) if not r.startswith(ADMIN_PREFIX)
    }
    missing = routes - set(MATRIX)
    stale = set(MATRIX) - routes
    assert not missing, f"Routes missing from the access matrix: {sorted(missing)}"
    assert not stale, f"Matrix entries for routes that no longer exist: {sorted(stale)}"


CASES = [(key, who) for key in MATRIX for who in EVERYONE]


@pytest.mark.parametrize(
    ("key", "who"), CASES, ids=[f"{k[1]}-{k[0] or 'root'}-{w or 'anonymous'}" for k, w in CASES]
)
def test_access_matrix(cast, key, who):
    method, path, payload, expected = MATRIX[key]
    cast.token, _raw = api_token_create(actor=cast.clinician_a, name="matrix")
    client = cast.client(who)
    kwargs = {}
    if payload is not None:
        kwargs = {"data": json.dumps(payload(cast)), "content_type": "application/json"}
    response = getattr(client, method)(path(cast), **kwargs)
    assert response.status_code == expected[who], (
        f"{method.upper()} {path(cast)} as {who or 'anonymous'}: "
        f"{response.status_code} {response.content[:300]!r}"
    )


@pytest.mark.parametrize("who", ["clinician_a", "director_a", None])
def test_admin_site_is_for_superusers_only(cast, who):
    response = cast.client(who).get("/admin/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_a_view_that_declares_no_permission_is_refused(rf, cast):
    from openiop.core.middleware import DenyByDefaultMiddleware

    def undeclared(request):  # pragma: no cover - never reached
        raise AssertionError("reached")

    request = rf.get("/x")
    request.user = cast.clinician_a
    response = DenyByDefaultMiddleware(lambda r: None).process_view(request, undeclared, (), {})
    assert response.status_code == 403


def test_unused_date_helper():
    assert dt.date.fromisoformat(TODAY) == timezone.localdate()
