"""Import of a patient Bundle: a preview of what it will create, then all of
it or nothing; what cannot be mapped is reported; bad input is refused with an
OperationOutcome and nothing half-imported. A patient exported and imported
into a fresh organization round-trips."""

import copy
import datetime as dt

import pytest

from openiop.care.plans.models import Diagnosis
from openiop.care.plans.plan_models import PlanGoal, PlanObjective
from openiop.interop.services.bundle import patient_export
from openiop.interop.services.import_run import import_run
from openiop.interop.services.importer import ImportRefused, import_plan, parse_bundle
from openiop.patients.models import Patient, SupportPerson
from tests.factories import OrganizationFactory, ProgramFactory, staff
from tests.fhir_helpers import validate
from tests.interop_helpers import TODAY, full_record


@pytest.fixture
def fresh(db):
    org = OrganizationFactory(name="Receiving Org (synthetic)")
    program = ProgramFactory(organization=org, name="Receiving IOP")
    director = staff("program_director", organization=org, username="recv.director")
    return org, program, director


def exported(cast) -> dict:
    full_record(cast)
    return patient_export(patient=cast.patient_a).bundle


def run(fresh, bundle, **over):
    org, program, director = fresh
    plan = import_plan(organization=org, data=parse_bundle(__import__("json").dumps(bundle)))
    kwargs = dict(actor=director, organization=org, plan=plan, program=program, admitted_on=TODAY)
    kwargs.update(over)
    return plan, import_run(**kwargs)


def test_a_patient_round_trips_into_a_fresh_organization(cast, fresh):
    bundle = exported(cast)
    source = cast.patient_a
    plan, result = run(fresh, bundle)
    p = result.patient
    assert p.organization == fresh[0] and p.pk != source.pk
    for f in (
        "legal_given_name",
        "legal_family_name",
        "preferred_name",
        "date_of_birth",
        "phone",
        "email",
        "street",
        "city",
        "state",
        "zip_code",
    ):
        assert getattr(p, f) == getattr(source, f), f
    people = list(SupportPerson.objects.filter(patient=p))
    assert [(s.name, s.relationship, s.is_emergency_contact) for s in people] == [
        ("Robin Testperson (synthetic)", "spouse", True)
    ]
    assert result.episode.admitted_on == TODAY and result.episode.program == fresh[1]
    assert list(Diagnosis.objects.filter(patient=p).values_list("code", "is_primary")) == [
        ("F10.20", True)
    ]
    goals = list(PlanGoal.objects.filter(problem__version__plan__patient=p))
    assert [g.statement for g in goals] == ["“I want to stay sober.”"]
    assert goals[0].problem.statement == "Drinking despite harm (synthetic)."
    assert [d.code for d in goals[0].problem.diagnoses.all()] == ["F10.20"]
    objective = PlanObjective.objects.get(goal=goals[0])
    assert objective.statement == "Attend 90% of groups for 4 weeks."
    assert objective.target_on == TODAY + dt.timedelta(days=28)
    assert any(s.kind == "CarePlan.activity" for s in plan.skipped)
    # and the imported record exports again as valid FHIR
    again = patient_export(patient=p).bundle
    validate(again)


def test_the_preview_writes_nothing(cast, fresh):
    bundle = exported(cast)
    before = Patient.objects.count()
    plan = import_plan(organization=fresh[0], data=parse_bundle(__import__("json").dumps(bundle)))
    assert plan.patient_name.endswith(cast.patient_a.legal_family_name)
    assert [d["code"] for d in plan.diagnoses] == ["F10.20"]
    assert Patient.objects.count() == before


def test_unmappable_resources_are_reported_and_the_rest_imported(cast, fresh):
    bundle = exported(cast)
    pid = cast.patient_a.uuid
    bundle["entry"].append(
        {
            "resource": {
                "resourceType": "Condition",
                "id": "snomed-only",
                "subject": {"reference": f"Patient/{pid}"},
                "code": {
                    "coding": [{"system": "http://snomed.info/sct", "code": "7200002"}],
                    "text": "Alcoholism",
                },
            }
        }
    )
    bundle["entry"].append(
        {
            "resource": {
                "resourceType": "MedicationStatement",
                "id": "m1",
                "status": "active",
                "subject": {"reference": f"Patient/{pid}"},
                "medicationCodeableConcept": {"text": "Naltrexone 50 mg"},
            }
        }
    )
    plan, result = run(fresh, bundle)
    assert any("snomed-only" in str(s) and "no ICD-10-CM code" in str(s) for s in plan.skipped)
    assert any(s.kind == "MedicationStatement" for s in plan.skipped)
    assert result.created["diagnoses"] == 1 and result.created["goals"] == 1


def _refused(fresh, raw):
    before = Patient.objects.count()
    with pytest.raises(ImportRefused) as err:
        data = parse_bundle(raw)
        import_plan(organization=fresh[0], data=data)
    assert Patient.objects.count() == before
    validate(err.value.operation_outcome)
    return err.value


def test_a_file_that_is_not_json_is_refused(fresh):
    assert "not JSON" in _refused(fresh, "<Bundle>not json</Bundle>").message


def test_json_that_is_not_a_bundle_is_refused(fresh):
    assert "not a FHIR Bundle" in _refused(fresh, '{"resourceType": "Patient"}').message


def test_a_resource_that_fails_validation_is_refused(cast, fresh):
    bundle = exported(cast)
    bundle["entry"][0]["resource"]["birthDate"] = ["not", "a", "date"]
    err = _refused(fresh, __import__("json").dumps(bundle))
    assert "birthDate" in err.message


def test_a_reference_to_nothing_is_refused(cast, fresh):
    bundle = exported(cast)
    cond = next(e for e in bundle["entry"] if e["resource"]["resourceType"] == "Condition")
    cond["resource"]["subject"] = {"reference": "Patient/does-not-exist"}
    err = _refused(fresh, __import__("json").dumps(bundle))
    assert "Patient/does-not-exist" in err.message and "not in the Bundle" in err.message


def test_a_failure_midway_leaves_nothing_half_imported(cast, fresh):
    bundle = copy.deepcopy(exported(cast))
    goal = next(e for e in bundle["entry"] if e["resource"]["resourceType"] == "Goal")
    goal["resource"]["description"]["text"] = "x" * 2500  # longer than a goal may be... trimmed
    org, program, director = fresh
    plan = import_plan(organization=org, data=parse_bundle(__import__("json").dumps(bundle)))
    plan.goals[0]["objectives"][0]["statement"] = ""  # the plan service refuses an empty one
    with pytest.raises(Exception):  # noqa: B017 - the service's own refusal
        import_run(actor=director, organization=org, plan=plan, program=program, admitted_on=TODAY)
    assert not Patient.objects.filter(organization=org).exists()


def test_the_import_page_previews_then_imports(cast, fresh):
    import json

    from django.core.files.uploadedfile import SimpleUploadedFile

    org, program, director = fresh
    bundle = exported(cast)
    client = cast.client(None)
    client.force_login(director)
    upload = SimpleUploadedFile("referral.json", json.dumps(bundle).encode(), "application/json")
    preview = client.post(
        "/interop/import/",
        {
            "bundle": upload,
            "program": program.pk,
            "admission_type": "step_down",
            "referral_source": "inpatient",
        },
    )
    text = preview.content.decode()
    assert "What the import will do" in text and "F10.20" in text
    assert not Patient.objects.filter(organization=org).exists()
    upload_ref = text.split('name="upload" value="')[1].split('"')[0]
    done = client.post(
        "/interop/import/",
        {
            "upload": upload_ref,
            "program": program.pk,
            "admission_type": "step_down",
            "referral_source": "inpatient",
            "admitted_on": TODAY.isoformat(),
            "confirm": "1",
        },
    )
    assert done.status_code == 302
    assert Patient.objects.filter(organization=org).count() == 1


def test_the_import_page_shows_why_a_bundle_is_refused(cast, fresh):
    from django.core.files.uploadedfile import SimpleUploadedFile

    org, program, director = fresh
    client = cast.client(None)
    client.force_login(director)
    upload = SimpleUploadedFile("bad.json", b"{not json", "application/json")
    response = client.post(
        "/interop/import/",
        {
            "bundle": upload,
            "program": program.pk,
            "admission_type": "step_down",
            "referral_source": "inpatient",
        },
    )
    assert "Nothing was imported" in response.content.decode()
