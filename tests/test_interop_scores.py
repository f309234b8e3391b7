"""Scores in the exchange: QuestionnaireResponse (the answers) and Observation
(category survey, the LOINC-coded total), exported, read, and round-tripped.

Expected totals are the PHQ-9's published scoring (Kroenke 2001: the sum of
nine items scored 0-3; 10-14 is moderate) and the AUDIT-C's (Bush 1998: the
sum of three items scored 0-4), not the code's."""

import json

from openiop.interop.services.bundle import patient_export
from openiop.interop.services.import_run import import_run
from openiop.interop.services.importer import import_plan, parse_bundle
from openiop.measures.models import Response
from tests.fhir_helpers import bundle_resources, dangling, validate
from tests.interop_helpers import TODAY, full_record, scores
from tests.test_interop_import import fresh  # noqa: F401 - the receiving organization


def test_scores_export_as_valid_questionnaire_responses_and_observations(cast):
    full_record(cast)
    scores(cast)
    resources = bundle_resources(patient_export(patient=cast.patient_a).bundle)
    for r in resources:
        validate(r)
    assert dangling(resources) == set()
    observations = {
        r["code"]["coding"][0]["code"]: r for r in resources if r["resourceType"] == "Observation"
    }
    # PHQ-9: 2+2+1+2+1+1+2+1+0 = 12, moderate (10-14); AUDIT-C: 2+1+1 = 4
    assert observations["44261-6"]["valueInteger"] == 12
    assert observations["44261-6"]["interpretation"][0]["text"] == "Moderate"
    assert observations["44261-6"]["category"][0]["coding"][0]["code"] == "survey"
    assert observations["75626-2"]["valueInteger"] == 4
    assert {s["code"] for s in observations["75626-2"]["meta"]["security"]} >= {"42CFRPart2"}
    qr = next(r for r in resources if r["resourceType"] == "QuestionnaireResponse")
    assert qr["item"][0]["answer"][0]["valueCoding"]["display"] == "More than half the days"


def test_observations_are_searchable_by_patient(cast, client):
    from openiop.accounts.services import api_token_create

    scores(cast)
    token = api_token_create(actor=cast.clinician_a, name="t")[1]
    response = client.get(
        "/fhir/R4/Observation",
        {"patient": str(cast.patient_a.uuid)},
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    bundle = json.loads(response.content)
    assert bundle["total"] == 2
    one = bundle_resources(bundle)[0]
    read = client.get(f"/fhir/R4/Observation/{one['id']}", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert json.loads(read.content)["id"] == one["id"]


def test_scores_round_trip_into_a_fresh_organization(cast, fresh):  # noqa: F811
    full_record(cast)
    scores(cast)
    bundle = patient_export(patient=cast.patient_a).bundle
    org, program, director = fresh
    plan = import_plan(organization=org, data=parse_bundle(json.dumps(bundle)))
    assert [s["summary"].split(" of ")[0] for s in plan.extra["Scores"]] == ["PHQ-9", "AUDIT-C"]
    result = import_run(
        actor=director, organization=org, plan=plan, program=program, admitted_on=TODAY
    )
    got = {
        r.instrument.code: (r.total, r.band, r.source)
        for r in Response.objects.filter(patient=result.patient)
    }
    assert got["phq9"] == (12, "moderate", "import")
    assert got["auditc"][0] == 4
    assert result.created["scores"] == 2


def test_answers_that_do_not_fit_the_instrument_are_reported_not_imported(cast, fresh):  # noqa: F811
    full_record(cast)
    scores(cast)
    bundle = patient_export(patient=cast.patient_a).bundle
    qr = next(
        e["resource"]
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "QuestionnaireResponse"
    )
    qr["item"][8]["answer"] = [{"valueInteger": 7}]  # PHQ-9 answers are 0 to 3
    plan = import_plan(organization=fresh[0], data=parse_bundle(json.dumps(bundle)))
    assert any("do not fit the PHQ-9" in str(s) for s in plan.skipped)
    assert [s["code"] for s in plan.extra["Scores"]] == ["auditc"]
