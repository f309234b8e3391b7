"""Every write route, driven by someone who holds every staff role, but only in
another program. The access matrix checks status codes; a per-program check
that a service forgot is invisible to it when the role is held somewhere.
Here the outsider has the role (director, clinician, prescriber, intake,
billing: all of them, in program B) and targets program A's records: each
write must be refused and leave every table as it was (the audit trail aside,
which records the refusal)."""

import hashlib
import json

import pytest
from django.apps import apps

from openiop.accounts.models import Membership
from openiop.accounts.services import api_token_create
from tests.factories import UserFactory
from tests.matrix import MATRIX

SKIP_MODELS = {
    "audit.auditevent",
    "audit.auditsubject",
    "audit.audithead",
    "sessions.session",
    "accounts.user",  # last_login moves when the outsider signs in
}
STAFF_ROLES = ["program_director", "clinician", "prescriber", "intake_coordinator", "billing"]
# the matrix's own expectation for program B's clinician: refused there means the
# route acts on program A's records (routes everyone may use are not for this test)
REFUSED = {400, 403, 404}
# Routes that act on the organization's shared configuration or on what the
# actor may see themselves: a role in any of its programs is enough, by design.
ORGANIZATION_WIDE = {
    # recipients are the organization's, managed by the directors of any program
    "recipient_deactivate": "recipients are organization rows",
    "recipient_token": "recipients are organization rows",
    "recipient_revoke_tokens": "recipients are organization rows",
    # an export holds what its requester may read (here: program B's patients)
    "export_start": "the export is of the requester's own scope",
}
WRITES = sorted(
    key
    for key, (method, _p, _b, expected) in MATRIX.items()
    if method != "get" and expected["clinician_b"] in REFUSED and key[1] not in ORGANIZATION_WIDE
)


def fingerprint() -> dict[str, str]:
    out = {}
    for model in apps.get_models():
        label = model._meta.label_lower
        if label in SKIP_MODELS or model._meta.proxy:
            continue
        fields = [f.attname for f in model._meta.concrete_fields]
        rows = model._base_manager.order_by("pk").values_list(*fields)
        out[label] = hashlib.sha256(repr(list(rows)).encode()).hexdigest()
    return out


@pytest.fixture
def outsider(cast):
    user = UserFactory(username="every.role.in.b")
    for role in STAFF_ROLES:
        Membership.objects.create(
            user=user, organization=cast.org, program=cast.program_b, role=role
        )
    return user


@pytest.mark.parametrize("key", WRITES, ids=[k[1] for k in WRITES])
def test_a_role_held_only_in_another_program_writes_nothing(cast, outsider, key, client):
    method, path, payload, _expected = MATRIX[key]
    cast.token, _raw = api_token_create(actor=cast.clinician_a, name="matrix")
    url = path(cast)  # builds the records the route needs, before the snapshot
    kwargs = {}
    if payload is not None:
        kwargs = {"data": json.dumps(payload(cast)), "content_type": "application/json"}
    client.force_login(outsider)
    before = fingerprint()
    response = getattr(client, method)(url, **kwargs)
    changed = sorted(k for k, v in fingerprint().items() if before.get(k) != v)
    assert not changed, f"{method.upper()} {url} by an outsider changed {changed}"
    if url.startswith("/api/"):
        assert response.status_code in (400, 403, 404, 409, 422), response.content[:300]
    else:
        assert response.status_code != 201
