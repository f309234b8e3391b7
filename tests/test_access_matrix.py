"""Role x endpoint matrix, and a walk of every URL route that fails when a route
is missing from the matrix (after netbox utilities/testing/views.py).

Expected statuses are written out by hand from the permission design in
THREAT_MODEL.md, not computed from the registry, so a change in the registry
that opens a route shows up here.
"""

import json

import pytest
from django.urls import URLResolver, get_resolver

from openiop.accounts.services import api_token_create
from tests.matrix import MATRIX
from tests.matrix.common import EVERYONE


def walk(patterns, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from walk(p.url_patterns, prefix + str(p.pattern))
        else:
            yield prefix + str(p.pattern), p.name


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
