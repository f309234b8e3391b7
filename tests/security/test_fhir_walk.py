"""A walk of every FHIR interaction (read of every resource, search of every
type, `$everything`, every page) as an external recipient and as a user with
roles in two programs: nothing outside consent and scope comes back, and every
answer to the outside party is in its accounting of disclosures."""

import json

import pytest

from openiop.accounts.models import Membership
from openiop.accounts.services import api_token_create
from openiop.consent.models import Disclosure
from openiop.consent.services import recipient_issue_token
from openiop.interop.fhir.record import CATEGORY_OF, TYPES
from openiop.interop.services.bundle import patient_export
from tests.interop_helpers import consent_for, full_record, recipient, scores

DIRECTORY = {"Organization", "Location", "HealthcareService", "Practitioner"}


def _resources(body: dict) -> list[dict]:
    if body.get("resourceType") == "Bundle":
        return [e["resource"] for e in body.get("entry", [])]
    return [body]


def _patient_of(resource: dict) -> str | None:
    if resource["resourceType"] == "Patient":
        return resource["id"]
    for key in ("subject", "patient", "beneficiary"):
        ref = (resource.get(key) or {}).get("reference", "")
        if ref.startswith("Patient/"):
            return ref.split("/")[1]
    return None


def walk(client, token, cast) -> list[tuple[str, int, list[dict]]]:
    """Every interaction; (request, status, resources returned)."""
    everything = {}
    for p in (cast.patient_a, cast.patient_b):
        everything[p] = [e["resource"] for e in patient_export(patient=p).bundle["entry"]]
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    requests = []
    for resources in everything.values():
        for r in resources:
            requests.append((f"{r['resourceType']}/{r['id']}", {}))
    for p in (cast.patient_a, cast.patient_b):
        for rtype in TYPES:
            if rtype == "Patient":
                for params in ({"_id": str(p.uuid)}, {"family": p.legal_family_name}):
                    requests.append(("Patient", params))
            else:
                for page in (1, 2):
                    requests.append((rtype, {"patient": str(p.uuid), "_count": 1, "_page": page}))
        requests.append((f"Patient/{p.uuid}/$everything", {}))
    requests.append(("Patient", {"_count": 100}))
    out = []
    for path, params in requests:
        response = client.get(f"/fhir/R4/{path}", params, **auth)
        body = json.loads(response.content)
        shown = _resources(body) if response.status_code == 200 else []
        out.append((f"{path} {params}", response.status_code, shown))
    return out


def test_an_external_recipient_walking_everything_gets_only_its_consent(client, cast):
    full_record(cast)
    scores(cast)
    scores(cast, patient=cast.patient_b)
    rcpt = recipient(cast)
    consent_for(cast, rcpt, categories=["diagnoses"], program=cast.program_a)
    token = recipient_issue_token(actor=cast.director_a, recipient=rcpt)[1]
    allowed = {"demographics", "diagnoses"}
    answered = 0
    for request, status, shown in walk(client, token, cast):
        assert status in (200, 403, 404), (request, status)
        for r in shown:
            if r["resourceType"] in DIRECTORY:
                continue
            assert _patient_of(r) in (None, str(cast.patient_a.uuid)), (request, r["id"])
            assert CATEGORY_OF.get(r["resourceType"], "other") in allowed, (request, r)
            assert "note" not in r or r["resourceType"] != "Condition", request
        if status == 200 and any(r["resourceType"] in TYPES for r in shown):
            answered += 1
    assert answered > 0
    # each answer that carried patient data is one entry in the accounting
    assert Disclosure.objects.filter(recipient=rcpt).count() == answered


def test_a_user_with_roles_in_two_programs_gets_each_programs_scope(client, cast):
    full_record(cast)
    scores(cast)
    scores(cast, patient=cast.patient_b)
    Membership.objects.create(
        user=cast.clinician_a, organization=cast.org, program=cast.program_b, role="billing"
    )
    token = api_token_create(actor=cast.clinician_a, name="walk")[1]
    billing = {"demographics", "diagnoses", "attendance"}
    seen_b = set()
    for request, status, shown in walk(client, token, cast):
        assert status in (200, 403, 404), (request, status)
        for r in shown:
            if _patient_of(r) == str(cast.patient_b.uuid):
                seen_b.add(r["resourceType"])
                category = CATEGORY_OF.get(r["resourceType"], "consents")
                assert category in billing, (request, r["resourceType"])
    assert "Patient" in seen_b
    assert not Disclosure.objects.exists()  # staff reads are not disclosures


@pytest.mark.parametrize("who", ["clinician_b"])
def test_another_programs_clinician_walking_everything_sees_none_of_a(client, cast, who):
    full_record(cast)
    token = api_token_create(actor=getattr(cast, who), name="walk")[1]
    for request, _status, shown in walk(client, token, cast):
        for r in shown:
            assert _patient_of(r) != str(cast.patient_a.uuid), request
