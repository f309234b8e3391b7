"""FHIR search that never lies (R4 3.1.1.4 and 3.1.1.5): each finding of the
outside check first, then every parameter of the CapabilityStatement, read
from /metadata, tried with a value that matches and one that does not.

The expected answers follow the specification's text, not our code: a
partial date is a range (3.1.1.5.3: `birthdate=1992` is every day of 1992;
`ge` is "the range above the search value intersects the target, or the
search value contains it"), a token is exact system|code (3.1.1.5.4), an
unknown parameter is ignored and left out of the self link unless strict
handling is asked for (3.1.1.5.9 / 3.1.1.4.1), `_count` is a hint the
server may cap (3.1.1.5.10)."""

import datetime as dt
import json
import uuid
from urllib.parse import parse_qs, urlparse

import pytest

from openiop.accounts.services import api_token_create
from openiop.consent.models import Disclosure
from openiop.interop.fhir.common import mrn_system
from openiop.patients.models import Patient
from tests.fhir_helpers import bundle_resources, validate
from tests.interop_helpers import consent_for, full_record, recipient, scores
from tests.test_interop_attendance import attended_group


def get(client, path, token, headers=None, **params):
    extra = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    for k, v in (headers or {}).items():
        extra["HTTP_" + k.upper().replace("-", "_")] = v
    return client.get(f"/fhir/R4/{path}", params, **extra)


def body(response) -> dict:
    return json.loads(response.content)


def ids(bundle) -> list[str]:
    return [
        e["resource"]["id"]
        for e in bundle.get("entry", [])
        if e.get("search", {}).get("mode") == "match"
    ]


def self_params(bundle) -> dict:
    link = next(x["url"] for x in bundle["link"] if x["relation"] == "self")
    return parse_qs(urlparse(link).query)


@pytest.fixture
def token(cast):
    return api_token_create(actor=cast.clinician_a, name="search")[1]


@pytest.fixture
def everyone(cast):
    """Patient A's full record, scores and attendance; patient A2 in the same program."""
    full_record(cast)
    scores(cast)
    attended_group(cast)
    consent_for(cast, recipient(cast))
    from tests.factories import EpisodeFactory

    other = EpisodeFactory(
        program=cast.program_a, track=cast.track_a, primary_clinician=cast.clinician_a
    ).patient
    Patient.objects.filter(pk=other.pk).update(
        legal_given_name="Quinn",
        legal_family_name="Zephyrine",
        date_of_birth=dt.date(1992, 6, 15),
        sex_at_birth="female",
    )
    Patient.objects.filter(pk=cast.patient_a.pk).update(
        date_of_birth=dt.date(1969, 12, 31), sex_at_birth="male"
    )
    return cast.patient_a, Patient.objects.get(pk=other.pk)


# the findings ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        {"name": "zzzzzz"},
        {"gender": "other"},
        {"family:exact": "testperson"},  # exact is case-sensitive
        {"_lastUpdated": "lt2000-01-01"},
        {"identifier": "http://other.example/mrn|X"},
    ],
)
def test_a_non_matching_patient_parameter_returns_nothing(client, everyone, token, params):
    found = body(get(client, "Patient", token, **params))
    assert found["total"] == 0 and ids(found) == []


def test_an_unknown_parameter_is_left_out_of_the_self_link_and_said(client, everyone, token):
    found = body(get(client, "Patient", token, phone="555-0199", family="Zephyrine"))
    assert found["total"] == 1
    assert "phone" not in self_params(found) and self_params(found)["family"] == ["Zephyrine"]
    outcome = [e for e in found["entry"] if e["search"]["mode"] == "outcome"]
    assert "phone" in outcome[0]["resource"]["issue"][0]["diagnostics"]
    validate(found)
    strict = get(client, "Patient", token, {"Prefer": "handling=strict"}, phone="555-0199")
    assert strict.status_code == 400 and "phone" in body(strict)["issue"][0]["diagnostics"]


def test_observation_code_is_applied(client, everyone, token):
    patient = str(everyone[0].uuid)
    all_obs = body(get(client, "Observation", token, patient=patient))
    codes = {c["code"] for r in bundle_resources(all_obs) for c in r["code"].get("coding", [])}
    assert all_obs["total"] >= 2 and "44261-6" in codes  # PHQ-9 total score (LOINC)
    phq9 = body(get(client, "Observation", token, patient=patient, code="http://loinc.org|44261-6"))
    assert 1 <= phq9["total"] < all_obs["total"]
    assert body(get(client, "Observation", token, patient=patient, code="0000-0"))["total"] == 0


def test_identifier_search_honours_the_system(client, everyone, token, cast):
    a = everyone[0]
    mrn = mrn_system(cast.org.uuid)
    assert ids(body(get(client, "Patient", token, identifier=f"{mrn}|{a.mrn}"))) == [str(a.uuid)]
    assert ids(body(get(client, "Patient", token, identifier=f"http://other/mrn|{a.mrn}"))) == []
    urn = f"urn:ietf:rfc:3986|urn:uuid:{a.uuid}"
    assert ids(body(get(client, "Patient", token, identifier=urn))) == [str(a.uuid)]
    assert ids(body(get(client, "Patient", token, identifier=a.mrn))) == [str(a.uuid)]


def test_count_zero_and_summary_count_give_the_total_only(client, everyone, token):
    for params in ({"_count": "0"}, {"_summary": "count"}):
        found = body(get(client, "Patient", token, **params))
        assert found["total"] == 2 and "entry" not in found
        assert [x["relation"] for x in found["link"]] == ["self"]


def test_a_large_count_is_capped_not_refused(client, everyone, token):
    found = body(get(client, "Patient", token, _count="500"))
    assert found["total"] == 2 and self_params(found)["_count"] == ["100"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1992", "Z"),
        ("1992-06", "Z"),
        ("1992-07", ""),
        ("ge1970-01-01", "Z"),
        ("ge1969-12-31", "AZ"),
        ("gt1969-12-31", "Z"),
        ("gt1969-12", "Z"),
        ("lt1970", "A"),
        ("le1969-12-31", "A"),
        ("ne1992", "A"),
        ("eq1969", "A"),
        ("1969-12-31,1992-06-15", "AZ"),
    ],
)
def test_birthdate_prefixes_and_partial_dates(client, everyone, token, value, expected):
    """A born 1969-12-31, Z born 1992-06-15 (3.1.1.5.3's table of prefixes)."""
    a, z = everyone
    who = {str(a.uuid): "A", str(z.uuid): "Z"}
    found = body(get(client, "Patient", token, birthdate=value))
    assert "".join(sorted(who[i] for i in ids(found))) == expected


def test_id_lists_and_post_search(client, everyone, token):
    a, b = everyone
    both = body(get(client, "Patient", token, _id=f"{a.uuid},{b.uuid}"))
    assert sorted(ids(both)) == sorted([str(a.uuid), str(b.uuid)])
    posted = client.post(
        "/fhir/R4/Patient/_search",
        "family=Zephyrine",
        content_type="application/x-www-form-urlencoded",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert posted.status_code == 200 and ids(body(posted)) == [str(b.uuid)]
    wrong = client.post(
        "/fhir/R4/Patient/_search",
        "{}",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert wrong.status_code == 415


def test_sort_and_elements(client, everyone, token):
    a, b = everyone
    by_birth = body(get(client, "Patient", token, _sort="-birthdate"))
    assert ids(by_birth) == [str(b.uuid), str(a.uuid)]
    assert ids(body(get(client, "Patient", token, _sort="birthdate"))) == [str(a.uuid), str(b.uuid)]
    slim = bundle_resources(body(get(client, "Patient", token, _elements="birthDate")))[0]
    assert set(slim) == {"resourceType", "id", "meta", "birthDate"}
    assert any(t["code"] == "SUBSETTED" for t in slim["meta"]["tag"])
    validate(slim)


def test_fhir_xml_is_not_acceptable(client, everyone, token):
    xml = get(client, "Patient", token, {"Accept": "application/fhir+xml"})
    assert xml.status_code == 406 and body(xml)["resourceType"] == "OperationOutcome"
    both = {"Accept": "application/fhir+xml, application/json;q=0.5"}
    either = get(client, "Patient", token, both)
    assert either.status_code == 200
    assert get(client, "Patient", token, {"Accept": "*/*"}).status_code == 200


def test_everything_is_a_paged_searchset_with_type_and_since(client, everyone, token):
    a = everyone[0]
    path = f"Patient/{a.uuid}/$everything"
    whole = body(get(client, path, token, _count="100"))
    assert whole["type"] == "searchset" and whole["total"] == len(ids(whole))
    first = body(get(client, path, token, _count="3"))
    assert len(ids(first)) == 3 and any(x["relation"] == "next" for x in first["link"])
    goals = body(get(client, path, token, _type="Goal,Condition"))
    assert {r["resourceType"] for r in bundle_resources(goals)} == {"Goal", "Condition"}
    future = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    later = body(get(client, path, token, _since=future, _type="Patient,Condition"))
    assert later["total"] == 0
    assert get(client, path, token, _type="Medication").status_code == 400
    assert get(client, path, token, _since="yesterday").status_code == 400


# bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        {"birthdate": "1992-13"},
        {"birthdate": "1992-02-30"},
        {"_count": "-1"},
        {"name:sounds": "x"},
        {"_lastUpdated": "ap2026"},
        {"gender:missing": "maybe"},
        {"_elements": "name;drop"},
        {"_page": "0"},
    ],
)
def test_bad_values_are_a_400_operation_outcome_naming_the_parameter(
    client, everyone, token, params
):
    response = get(client, "Patient", token, **params)
    assert response.status_code == 400
    outcome = body(response)
    validate(outcome)
    name = next(iter(params)).split(":")[0]
    assert name in json.dumps(outcome)


def test_an_outside_party_is_strict_and_told_no_totals(client, cast):
    from openiop.consent.services import recipient_issue_token

    rcpt = recipient(cast)
    raw = recipient_issue_token(actor=cast.director_a, recipient=rcpt)[1]
    consent_for(cast, rcpt)
    assert get(client, "Patient", raw, phone="1").status_code == 400
    assert get(client, "Patient", raw, _summary="count").status_code == 403
    lenient = get(client, "Patient", raw, {"Prefer": "handling=lenient"}, phone="1")
    assert lenient.status_code == 200 and "total" not in body(lenient)
    assert Disclosure.objects.count() == 1  # the one patient the lenient search showed


# every advertised parameter ----------------------------------------------------------

NO_MATCH = {"token": "no-such-code", "string": "Zzqxv", "date": "lt1800-01-01"}


def advertised(client) -> list[tuple[str, dict]]:
    statement = body(client.get("/fhir/R4/metadata"))
    out = []
    for resource in statement["rest"][0]["resource"]:
        for p in resource.get("searchParam", []):
            if p["name"] not in ("_count", "_sort"):
                out.append((resource["type"], p))
    return out


def _matching_value(resource: dict, name: str, ptype: str) -> str:
    """A value of this resource for the parameter, read off its FHIR JSON."""
    if name == "_id":
        return resource["id"]
    if ptype == "date":
        return "ge1800-01-01"
    names = resource["name"]
    if isinstance(names, str):  # Organization, Location, HealthcareService
        return names[:3]
    first = names[0]
    if name == "given":
        return first["given"][0][:3]
    return (first.get("family") or first.get("text"))[:3]


def test_every_advertised_parameter_filters(client, everyone, token, cast):
    """For each searchParam of /metadata: a value that cannot match returns
    nothing, and a value taken from a resource finds at least that resource."""
    director = api_token_create(actor=cast.director_a, name="all")[1]
    auditor_token = None
    checked = []
    patient = str(everyone[0].uuid)
    for rtype, p in advertised(client):
        name, ptype = p["name"], p["type"]
        tok = director
        if rtype == "AuditEvent":
            if auditor_token is None:
                auditor_token = api_token_create(actor=cast.auditor, name="audit")[1]
            tok = auditor_token
        base = (
            {}
            if rtype == "Patient"
            or "patient" not in [q["name"] for t, q in advertised(client) if t == rtype]
            else {"patient": patient}
        )
        if rtype == "AuditEvent":
            base = {}
        if name == "patient":
            if rtype == "AuditEvent":
                none = body(get(client, rtype, tok, patient=str(uuid.uuid4())))
                assert none["total"] == 0, rtype
            else:
                assert get(client, rtype, tok, patient=str(uuid.uuid4())).status_code == 404
            checked.append((rtype, name))
            continue
        everything = body(get(client, rtype, tok, _count="100", **base))
        assert everything.get("total", 0) >= 1, f"no {rtype} to search in the test record"
        miss = str(uuid.uuid4()) if name == "_id" else NO_MATCH[ptype]
        none = get(client, rtype, tok, {"Prefer": "handling=strict"}, **base, **{name: miss})
        assert none.status_code == 200, (rtype, name, body(none))
        assert body(none)["total"] == 0, (rtype, name, miss)
        if _absent(bundle_resources(everything), rtype, name):
            value = ":missing=true"  # no such element in the record: find them by its absence
        elif ptype == "token" and name != "_id":
            value = _token_value(bundle_resources(everything), rtype, name)
        else:
            value = _matching_value(bundle_resources(everything)[0], name, ptype)
        key = name
        if value.startswith(":"):  # a concept with text only, or an absent element
            modifier, _, value = value[1:].partition("=")
            key = f"{name}:{modifier}"
        hit = body(get(client, rtype, tok, {"Prefer": "handling=strict"}, **base, **{key: value}))
        assert hit["total"] >= 1, (rtype, name, value)
        checked.append((rtype, name))
    assert len(checked) >= 40


def _token_value(resources: list[dict], rtype: str, name: str) -> str:
    """system|code of the first coded value the search parameter reads, found by
    asking the table which element that is (a second reading: FHIR JSON)."""
    from openiop.interop.search.records import elements
    from openiop.interop.search.table import params_for

    if rtype == "Patient":
        if name == "gender":
            return resources[0]["gender"]
        ident = resources[0]["identifier"][0]
        return f"{ident['system']}|{ident['value']}"
    paths = params_for(rtype)[name].paths
    for r in resources:
        for path in paths:
            for e in elements(r, path):
                if isinstance(e, str):
                    return e
                if isinstance(e, dict) and "value" in e:  # an Identifier
                    return f"{e.get('system', '')}|{e['value']}"
                coding = e.get("coding", [e]) if isinstance(e, dict) else []
                for c in coding:
                    if c.get("code"):
                        return f"{c.get('system', '')}|{c['code']}"
                if isinstance(e, dict) and e.get("text"):
                    return ":text=" + e["text"][:5]  # text only: the :text modifier
    raise AssertionError(f"no {rtype}.{name} value in the test record")


def _absent(resources: list[dict], rtype: str, name: str) -> bool:
    from openiop.interop.search.records import elements
    from openiop.interop.search.table import params_for

    paths = params_for(rtype)[name].paths
    if not paths:  # searched in the database: every such element is required
        return False
    return not any(elements(r, path) for r in resources for path in paths)


def test_each_patient_parameter_costs_the_queries_of_a_plain_search(client, everyone, token):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    a = everyone[0]
    get(client, "Patient", token)  # the token's first use is recorded once
    with CaptureQueriesContext(connection) as plain:
        get(client, "Patient", token)
    asks = {
        "name": "test",
        "family:contains": "person",
        "given": a.legal_given_name[:2],
        "birthdate": "ge1900",
        "gender:not": "female",
        "identifier": a.mrn,
        "_id": str(a.uuid),
        "_lastUpdated": "ge2000-01-01",
        "_sort": "-birthdate,family",
    }
    for name, value in asks.items():
        with CaptureQueriesContext(connection) as one:
            found = body(get(client, "Patient", token, **{name: value}))
        assert found["total"] >= 1, name
        assert len(one.captured_queries) == len(plain.captured_queries), name


def test_an_included_patient_is_accounted_for_as_disclosed(client, cast):
    from openiop.consent.services import recipient_issue_token

    full_record(cast)
    rcpt = recipient(cast)
    raw = recipient_issue_token(actor=cast.director_a, recipient=rcpt)[1]
    consent_for(cast, rcpt)
    found = body(
        get(
            client,
            "Condition",
            raw,
            patient=str(cast.patient_a.uuid),
            _include="Condition:patient",
        )
    )
    assert {e["search"]["mode"] for e in found["entry"]} == {"match", "include"}
    disclosure = Disclosure.objects.get()
    assert "Patient" in disclosure.description and "Condition" in disclosure.description
    assert disclosure.resource_count == len(found["entry"])


# from the outside check ---------------------------------------------------------------


def test_too_many_values_or_an_empty_one_is_a_400_not_a_500(client, everyone, token):
    many = ",".join(f"a{i}" for i in range(500))
    for params in ({"name": many}, {"identifier": many}, {"name": ","}, {"given:contains": "a,"}):
        response = get(client, "Patient", token, **params)
        assert response.status_code == 400, params
        validate(body(response))
    repeated = client.get(
        "/fhir/R4/Patient?" + "&".join(f"birthdate=ne19{i:02d}" for i in range(60)),
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert repeated.status_code == 400
    assert get(client, "Practitioner", token, name=many).status_code == 400


def test_unknown_elements_are_said_or_refused(client, everyone, token):
    found = body(get(client, "Patient", token, _elements="bogus,birthDate"))
    assert self_params(found)["_elements"] == ["birthDate"]
    outcome = [e for e in found["entry"] if e["search"]["mode"] == "outcome"]
    assert "bogus" in outcome[0]["resource"]["issue"][0]["diagnostics"]
    strict = get(client, "Patient", token, {"Prefer": "handling=strict"}, _elements="bogus")
    assert strict.status_code == 400
    patient = str(everyone[0].uuid)
    obs = bundle_resources(
        body(get(client, "Observation", token, patient=patient, _elements="effective"))
    )[0]
    assert "effectiveDateTime" in obs and "code" not in obs


def test_no_link_leads_past_the_end(client, everyone, token):
    a = everyone[0]
    counted = body(get(client, f"Patient/{a.uuid}/$everything", token, _count="0"))
    assert counted["total"] > 0 and [x["relation"] for x in counted["link"]] == ["self"]
    past = body(get(client, "Patient", token, _page="99", _count="1"))
    previous = next(x["url"] for x in past["link"] if x["relation"] == "previous")
    assert parse_qs(urlparse(previous).query)["_page"] == ["2"]  # two patients, one a page
