"""Import that degrades gracefully: a Bundle's patient is checked as the
registration form checks one (same lengths, same validators), values that
cannot be taken are listed with the reason instead of dropped or mangled,
conditional references resolve inside the Bundle, DELETE entries are
skipped, and whatever the input, the answer is a plan or an ImportRefused,
never another exception."""

import datetime as dt
import json

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openiop.interop.services.import_run import import_run
from openiop.interop.services.importer import ImportRefused, import_plan, parse_bundle
from openiop.patients.forms import PatientForm
from openiop.patients.models import Patient
from tests.factories import OrganizationFactory, ProgramFactory, staff
from tests.fhir_helpers import validate

PID = "3f1b6c9e-0000-4000-8000-000000000001"
ICD = "http://hl7.org/fhir/sid/icd-10-cm"


@pytest.fixture
def fresh(db):
    org = OrganizationFactory(name="Receiving Org (synthetic)")
    program = ProgramFactory(organization=org, name="Receiving IOP")
    director = staff("program_director", organization=org, username="recv.director")
    return org, program, director


def patient(**over) -> dict:
    p = {
        "resourceType": "Patient",
        "id": PID,
        "name": [{"use": "official", "family": "Quillfeather", "given": ["Ada"]}],
        "gender": "female",
        "birthDate": "1980-04-02",
    }
    p.update(over)
    return {k: v for k, v in p.items() if v is not None}


def bundle(p: dict | None = None, *resources, entries=()) -> dict:
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"fullUrl": f"urn:uuid:{PID}", "resource": p or patient()},
            *({"resource": r} for r in resources),
            *entries,
        ],
    }


def plan_of(fresh, data: dict, **kw):
    return import_plan(organization=fresh[0], data=parse_bundle(json.dumps(data)), **kw)


def refused(fresh, data, **kw) -> ImportRefused:
    before = Patient.objects.count()
    with pytest.raises(ImportRefused) as err:
        plan_of(fresh, data, **kw)
    assert Patient.objects.count() == before
    validate(err.value.operation_outcome)
    return err.value


def form_error(field: str, value: str) -> str:
    """What the registration form says about this value (Django's validators)."""
    data = {
        "legal_given_name": "Ada",
        "legal_family_name": "Quillfeather",
        "date_of_birth": "1980-04-02",
        "sex_at_birth": "female",
        "preferred_language": "English",
        field: value,
    }
    form = PatientForm(data=data)
    assert not form.is_valid()
    return form.errors[field][0]


def reasons(plan, kind: str) -> list[str]:
    return [f"{s.item} {s.reason}" for s in plan.skipped if s.kind == kind]


# names ------------------------------------------------------------------------------


def test_a_name_that_is_only_blank_text_is_refused_with_a_reason(fresh):
    err = refused(fresh, bundle(patient(name=[{"text": " "}])))
    assert "no given name or family name" in err.message


def test_a_given_name_longer_than_the_form_allows_is_refused(fresh):
    long = "Ada" * 40  # 120 characters
    err = refused(fresh, bundle(patient(name=[{"family": "Quillfeather", "given": [long]}])))
    assert form_error("legal_given_name", long) in err.message
    assert "Patient.name.given" in err.message


def test_a_family_name_longer_than_the_form_allows_is_refused(fresh):
    long = "Q" * 101
    err = refused(fresh, bundle(patient(name=[{"family": long, "given": ["Ada"]}])))
    assert form_error("legal_family_name", long) in err.message


def test_a_preferred_name_too_long_is_listed_and_the_rest_imported(fresh):
    long = "Addie" * 30
    names = [
        {"use": "official", "family": "Quillfeather", "given": ["Ada", "Lovelace"]},
        {"use": "usual", "given": [long]},
    ]
    plan = plan_of(fresh, bundle(patient(name=names)))
    assert "preferred_name" not in plan.patient
    assert any(form_error("preferred_name", long) in r for r in reasons(plan, "Patient.name"))
    # the middle name is not kept: listed, not dropped without a word
    assert any("Lovelace" in r for r in reasons(plan, "Patient.name"))


# birth and death ---------------------------------------------------------------------


def test_a_partial_birth_date_is_refused_with_a_clear_sentence(fresh):
    err = refused(fresh, bundle(patient(birthDate="1929-12")))
    assert err.message.startswith("The birth date in the Bundle is December 1929, without a day")
    assert err.partial_birth_date == "1929-12"


def test_a_partial_birth_date_completed_by_staff_is_used(fresh):
    plan = plan_of(fresh, bundle(patient(birthDate="1929-12")), date_of_birth=dt.date(1929, 12, 5))
    assert plan.patient["date_of_birth"] == dt.date(1929, 12, 5)
    assert any("1929-12" in w and "1929-12-05" in w for w in plan.warnings)


def test_a_completed_birth_date_must_agree_with_the_bundle(fresh):
    err = refused(fresh, bundle(patient(birthDate="1929-12")), date_of_birth=dt.date(1930, 1, 5))
    assert "December 1929" in err.message


def test_a_full_birth_date_is_not_overridden(fresh):
    plan = plan_of(fresh, bundle(), date_of_birth=dt.date(1990, 1, 1))
    assert plan.patient["date_of_birth"] == dt.date(1980, 4, 2)


def test_a_future_birth_date_is_refused(fresh):
    future = (timezone.localdate() + dt.timedelta(days=400)).isoformat()
    err = refused(fresh, bundle(patient(birthDate=future)))
    assert "in the future" in err.message and future in err.message


@pytest.mark.parametrize(
    "death", [{"deceasedBoolean": True}, {"deceasedDateTime": "2021-03-04T10:00:00Z"}]
)
def test_a_deceased_patient_is_refused(fresh, death):
    err = refused(fresh, bundle(patient(**death)))
    assert "died" in err.message and "cannot admit" in err.message


def test_a_patient_marked_not_deceased_imports(fresh):
    plan = plan_of(fresh, bundle(patient(deceasedBoolean=False)))
    assert plan.patient_name == "Ada Quillfeather"


# contact details ------------------------------------------------------------------


def test_contact_details_are_mapped_or_listed_with_the_reason(fresh):
    p = patient(
        telecom=[
            {"system": "email", "value": "not-an-email"},
            {"system": "phone", "value": "555-0100"},
            {"system": "phone", "value": "555-0199", "use": "work"},
        ],
        address=[
            {"line": ["12 Synthetic Lane"], "city": "Portland", "state": "Oregon"},
        ],
        communication=[{"language": {"coding": [{"system": "urn:ietf:bcp:47", "code": "es"}]}}],
    )
    p["address"][0]["postalCode"] = "9720"
    plan = plan_of(fresh, bundle(p))
    assert plan.patient["state"] == "OR"
    assert plan.patient["preferred_language"] == "Spanish"
    assert plan.patient["phone"] == "555-0100"
    assert "email" not in plan.patient and "zip_code" not in plan.patient
    assert any(form_error("email", "not-an-email") in r for r in reasons(plan, "Patient.telecom"))
    assert any("555-0199" in r for r in reasons(plan, "Patient.telecom"))
    assert any("9720" in r and "ZIP" in r for r in reasons(plan, "Patient.address"))
    assert any("Oregon" in w and "OR" in w for w in plan.warnings)


def test_a_state_that_is_not_a_us_state_is_listed(fresh):
    p = patient(address=[{"city": "Toronto", "state": "Ontario", "postalCode": "97201"}])
    plan = plan_of(fresh, bundle(p))
    assert "state" not in plan.patient
    assert any("Ontario" in r for r in reasons(plan, "Patient.address"))


@pytest.mark.parametrize(
    ("state", "code"),
    [("or", "OR"), ("District of Columbia", "DC"), ("puerto rico", "PR"), ("MA", "MA")],
)
def test_state_names_and_codes(fresh, state, code):
    plan = plan_of(fresh, bundle(patient(address=[{"state": state}])))
    assert plan.patient["state"] == code


def test_an_unknown_language_code_is_listed(fresh):
    lang = {"coding": [{"system": "urn:ietf:bcp:47", "code": "qqz"}]}
    plan = plan_of(fresh, bundle(patient(communication=[{"language": lang}])))
    assert "preferred_language" not in plan.patient
    assert any("qqz" in r for r in reasons(plan, "Patient.communication"))


def test_source_identifiers_are_listed_without_their_values(fresh):
    ssn = {
        "type": {"text": "Social Security Number"},
        "system": "http://hl7.org/fhir/sid/us-ssn",
        "value": "999-17-8717",
    }
    plan = plan_of(fresh, bundle(patient(identifier=[ssn])))
    listed = " ".join(reasons(plan, "Patient.identifier"))
    assert "Social Security Number" in listed and "999-17-8717" not in listed


def test_the_imported_patient_passes_the_registration_rules(fresh):
    p = patient(address=[{"line": ["1 Way"], "state": "Oregon", "postalCode": "97201-1234"}])
    plan = plan_of(fresh, bundle(p))
    org, program, director = fresh
    result = import_run(
        actor=director, organization=org, plan=plan, program=program, admitted_on=dt.date.today()
    )
    result.patient.refresh_from_db()
    assert (result.patient.state, result.patient.zip_code) == ("OR", "97201-1234")


# references and requests ----------------------------------------------------------


def _condition(cid: str, code: str, identifier: str) -> dict:
    return {
        "resourceType": "Condition",
        "id": cid,
        "identifier": [{"system": "urn:example:problems", "value": identifier}],
        "subject": {"reference": f"urn:uuid:{PID}"},
        "code": {"coding": [{"system": ICD, "code": code}], "text": "Alcohol dependence"},
    }


def _goal(addresses: str) -> dict:
    return {
        "resourceType": "Goal",
        "id": "g1",
        "lifecycleStatus": "active",
        "subject": {"reference": f"urn:uuid:{PID}"},
        "description": {"text": "Stay sober."},
        "addresses": [{"reference": addresses}],
    }


def test_a_conditional_reference_resolves_inside_the_bundle(fresh):
    data = bundle(
        None,
        _condition("c1", "F10.20", "prob-1"),
        _condition("c2", "F11.20", "prob-2"),
        _goal("Condition?identifier=urn:example:problems|prob-2"),
    )
    plan = plan_of(fresh, data)
    assert plan.goals[0]["codes"] == ["F11.20"]


def test_an_unresolved_reference_of_a_goal_is_listed_and_the_goal_kept(fresh):
    data = bundle(None, _goal("Condition?identifier=urn:example:problems|nowhere"))
    plan = plan_of(fresh, data)
    assert plan.goals[0]["statement"] == "Stay sober." and plan.goals[0]["codes"] == []
    assert any("nowhere" in r for r in reasons(plan, "Goal.addresses"))


def test_delete_entries_are_skipped_with_a_reason(fresh):
    delete = {"request": {"method": "DELETE", "url": "Condition/old-1"}}
    plan = plan_of(fresh, bundle(None, entries=[delete]))
    assert any("Condition/old-1" in r for r in reasons(plan, "Bundle.entry.request"))


def test_an_invalid_resource_of_a_kind_not_imported_is_listed(fresh):
    bad = {"resourceType": "Observation", "id": "o1", "status": "final", "code": 7}
    plan = plan_of(fresh, bundle(None, bad))
    assert any("Observation/o1" in r for r in reasons(plan, "Observation"))


def test_an_invalid_patient_still_refuses_the_import(fresh):
    err = refused(fresh, bundle(patient(birthDate=["not", "a", "date"])))
    assert "birthDate" in err.message


# grouping ---------------------------------------------------------------------------


def test_what_is_not_imported_is_grouped_by_kind_and_reason(fresh):
    observations = [
        {
            "resourceType": "Observation",
            "id": f"o{i}",
            "status": "final",
            "code": {"text": f"Heart rate {i}"},
            "subject": {"reference": f"urn:uuid:{PID}"},
        }
        for i in range(40)
    ]
    plan = plan_of(fresh, bundle(None, *observations))
    groups = [g for g in plan.skipped_groups if g.kind == "Observation"]
    assert len(groups) == 1
    assert groups[0].count == 40 and len(groups[0].examples) == 3 and groups[0].more == 37
    assert sum(g.count for g in plan.skipped_groups) == len(plan.skipped)


# never a 500 ------------------------------------------------------------------------

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=20,
)
ENTRY = st.fixed_dictionaries(
    {},
    optional={
        "fullUrl": JSON,
        "resource": st.one_of(
            JSON,
            st.fixed_dictionaries(
                {"resourceType": st.sampled_from(["Patient", "Goal", "Condition", "Nope", 3])},
                optional={
                    "id": JSON,
                    "name": JSON,
                    "birthDate": JSON,
                    "subject": JSON,
                    "addresses": JSON,
                    "telecom": JSON,
                    "address": JSON,
                },
            ),
        ),
        "request": JSON,
    },
)
BUNDLES = st.one_of(
    JSON,
    st.fixed_dictionaries(
        {"resourceType": st.just("Bundle")},
        optional={"entry": st.one_of(JSON, st.lists(ENTRY, max_size=4)), "type": JSON},
    ),
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=BUNDLES)
def test_any_json_gives_a_plan_or_a_refusal(fresh, data):
    try:
        import_plan(organization=fresh[0], data=parse_bundle(json.dumps(data)))
    except ImportRefused as exc:
        assert exc.message and exc.issues


@settings(max_examples=60, deadline=None)
@given(raw=st.binary(max_size=64))
def test_any_bytes_give_a_plan_or_a_refusal(raw):
    with pytest.raises(ImportRefused):
        parse_bundle(raw)


def test_json_nested_too_deeply_is_refused():
    with pytest.raises(ImportRefused) as err:
        parse_bundle("[" * 200_000 + "]" * 200_000)
    assert "not JSON" in err.value.message or "nested" in err.value.message


# support persons ------------------------------------------------------------------


def test_a_support_persons_invalid_email_is_listed_and_the_person_kept(fresh):
    related = {
        "resourceType": "RelatedPerson",
        "id": "rp1",
        "patient": {"reference": f"urn:uuid:{PID}"},
        "name": [{"text": "Robin Testperson (synthetic)"}],
        "telecom": [{"system": "email", "value": "robin@@example"}],
    }
    plan = plan_of(fresh, bundle(None, related))
    assert [s["name"] for s in plan.support_persons] == ["Robin Testperson (synthetic)"]
    assert "email" not in plan.support_persons[0]
    assert any("robin@@example" in r for r in reasons(plan, "RelatedPerson.telecom"))


def test_patient_contacts_become_support_persons(fresh):
    contact = {
        "relationship": [{"coding": [{"code": "C"}]}, {"coding": [{"code": "SIS"}]}],
        "name": {"given": ["Wren"], "family": "Quillfeather"},
        "telecom": [{"system": "phone", "value": "555-0142"}],
    }
    plan = plan_of(fresh, bundle(patient(contact=[contact])))
    assert plan.support_persons == [
        {
            "name": "Wren Quillfeather",
            "relationship": "sibling",
            "is_emergency_contact": True,
            "phone": "555-0142",
        }
    ]


def test_a_goal_shortened_to_fit_is_said(fresh):
    goal = _goal("Condition/none")
    goal["description"]["text"] = "Stay sober. " * 200
    plan = plan_of(fresh, bundle(None, goal))
    assert len(plan.goals[0]["statement"]) == 2000
    assert any("Goal/g1" in w and "2000" in w for w in plan.warnings)
