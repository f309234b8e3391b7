"""FHIR export: every resource validates with fhir.resources (R4B), references
resolve inside the export, identifiers are stable across exports, and records
from substance use programs carry the Part 2 labels."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from openiop.interop.services.bundle import patient_export
from tests.fhir_helpers import bundle_resources, dangling, validate
from tests.interop_helpers import consent_for, full_record, recipient, scores


def test_a_patient_bundle_validates_and_its_references_resolve(cast):
    patient = full_record(cast)
    consent_for(cast, recipient(cast))
    export = patient_export(patient=patient)
    validate(export.bundle)
    resources = bundle_resources(export.bundle)
    for r in resources:
        validate(r)
    assert dangling(resources) == set()
    types = {r["resourceType"] for r in resources}
    assert {
        "Patient",
        "RelatedPerson",
        "EpisodeOfCare",
        "Condition",
        "CarePlan",
        "Goal",
        "Consent",
        "Organization",
        "Location",
        "HealthcareService",
        "Practitioner",
    } <= types
    condition = next(r for r in resources if r["resourceType"] == "Condition")
    assert condition["code"]["coding"][0] == {
        "system": "http://hl7.org/fhir/sid/icd-10-cm",
        "code": "F10.20",
        "display": condition["code"]["coding"][0]["display"],
    }
    plan = next(r for r in resources if r["resourceType"] == "CarePlan")
    assert plan["status"] == "active"
    assert plan["activity"][0]["detail"]["scheduledTiming"]["repeat"]["frequency"] == 3


def test_identifiers_are_stable_across_exports(cast):
    patient = full_record(cast)
    first = {
        (r["resourceType"], r["id"])
        for r in bundle_resources(patient_export(patient=patient).bundle)
    }
    second = {
        (r["resourceType"], r["id"])
        for r in bundle_resources(patient_export(patient=patient).bundle)
    }
    assert first == second
    assert ("Patient", str(patient.uuid)) in first


def test_records_of_a_substance_use_program_are_labelled_part2(cast):
    patient = full_record(cast)  # program A is a substance use program (factory)
    export = patient_export(patient=patient)
    codes = {s["code"] for s in export.bundle["meta"]["security"]}
    assert "42CFRPart2" in codes
    patient_res = bundle_resources(export.bundle)[0]
    assert {s["code"] for s in patient_res["meta"]["security"]} == {"42CFRPart2", "R", "NORDSCLCD"}


def test_a_mental_health_only_record_is_not_labelled(cast):
    cast.program_b.focus = "mental_health"
    cast.program_b.save()
    export = patient_export(patient=cast.patient_b)
    assert "security" not in export.bundle["meta"]
    assert all("security" not in r.get("meta", {}) for r in bundle_resources(export.bundle))


def test_the_bundle_costs_the_same_queries_for_a_bigger_record(cast):
    patient = full_record(cast)
    with CaptureQueriesContext(connection) as small:
        patient_export(patient=patient)
    from openiop.care.plans.services.assessment import diagnosis_add

    diagnosis_add(actor=cast.clinician_a, episode=cast.episode_a, code="F41.1")
    diagnosis_add(actor=cast.clinician_a, episode=cast.episode_a, code="F33.1")
    scores(cast)
    scores(cast)
    with CaptureQueriesContext(connection) as big:
        patient_export(patient=patient)
    assert len(big.captured_queries) == len(small.captured_queries)
