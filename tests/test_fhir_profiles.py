"""FHIR profiles that hold: every Goal satisfies gol-1, chosen answers are codings
with a system, and each US Core 5.0.1 profile a resource declares in
`meta.profile` has the profile's mandatory elements.

The invariants are FHIRPath as the R4 specification and US Core write them,
evaluated by fhirpathpy (an engine we did not write); the mandatory elements
of each profile are copied from its published "Mandatory and Must Support"
list. `.ci/interop` validates the demo's whole export with Medplum and FHIR.js;
the last test here runs that validator too where it is installed.
"""

import datetime as dt
import json
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from django.utils import timezone
from fhirpathpy import evaluate
from fhirpathpy.models import models

from openiop.care.plans.services.plan import plan_item_save
from openiop.interop.fhir.patient import patient_resource
from openiop.interop.fhir.practitioner import practitioner_resource
from openiop.interop.measures_bridge import _answers
from openiop.interop.selectors import Scope
from openiop.interop.services.bundle import patient_export
from tests.fhir_helpers import bundle_resources, validate
from tests.interop_helpers import scores
from tests.plans_helpers import sign_all, small_plan
from tests.test_interop_attendance import attended_group

TODAY = timezone.localdate()
US_CORE = "http://hl7.org/fhir/us/core/StructureDefinition"
VALIDATOR = Path(__file__).resolve().parent.parent / ".ci" / "validators" / "fhir"

# FHIR R4 invariants, as the specification writes them
GOL_1 = "(detail.exists() and measure.exists()) or detail.exists().not()"
CON_4 = (
    "abatement.empty() or clinicalStatus.coding.where(system='http://terminology.hl7.org/"
    "CodeSystem/condition-clinical' and (code='resolved' or code='remission' or "
    "code='inactive')).exists()"
)
CON_5 = (
    "verificationStatus.coding.where(system='http://terminology.hl7.org/CodeSystem/"
    "condition-ver-status' and code='entered-in-error').empty() or clinicalStatus.empty()"
)
# US Core 5.0.1 Patient
US_CORE_6 = (
    "(name.family.exists() or name.given.exists()) xor extension.where(url='http://hl7.org/"
    "fhir/StructureDefinition/data-absent-reason').exists()"
)
# value sets with a required binding (FHIR R4)
ADMINISTRATIVE_GENDER = {"male", "female", "other", "unknown"}
GOAL_LIFECYCLE = {
    "proposed",
    "planned",
    "accepted",
    "active",
    "on-hold",
    "completed",
    "cancelled",
    "entered-in-error",
    "rejected",
}
OBSERVATION_STATUS = {
    "registered",
    "preliminary",
    "final",
    "amended",
    "corrected",
    "cancelled",
    "entered-in-error",
    "unknown",
}
REQUEST_STATUS = {
    "draft",
    "active",
    "on-hold",
    "revoked",
    "completed",
    "entered-in-error",
    "unknown",
}
ENCOUNTER_STATUS = {
    "planned",
    "arrived",
    "triaged",
    "in-progress",
    "onleave",
    "finished",
    "cancelled",
    "entered-in-error",
    "unknown",
}


def holds(resource: dict, expression: str, path: str | None = None) -> bool:
    """An invariant on the resource, or on every element at `path`."""
    base = f"{resource['resourceType']}.{path}" if path else resource["resourceType"]
    return all(evaluate(resource, f"{base}.all({expression})", {}, models["r4"]))


def has_coding(concepts, system: str, code: str) -> bool:
    if isinstance(concepts, dict):
        concepts = [concepts]
    return any(
        c.get("system") == system and c.get("code") == code
        for concept in concepts or []
        for c in concept.get("coding", [])
    )


def is_patient_ref(value) -> bool:
    return bool(value) and value.get("reference", "").startswith("Patient/")


# the mandatory elements of each profile ("Each ... must have"), US Core 5.0.1


def us_core_patient(r):
    assert r["identifier"] and all(i.get("system") and i.get("value") for i in r["identifier"])
    assert r["name"] and holds(r, US_CORE_6)
    assert r["gender"] in ADMINISTRATIVE_GENDER
    for e in r.get("extension", []):
        if e["url"] == f"{US_CORE}/us-core-birthsex":
            assert e["valueCode"] in {"F", "M", "UNK"}


def us_core_condition_encounter_diagnosis(r):
    assert has_coding(
        r["category"],
        "http://terminology.hl7.org/CodeSystem/condition-category",
        "encounter-diagnosis",
    )
    assert r["code"]["coding"] or r["code"].get("text")
    assert is_patient_ref(r["subject"])
    assert holds(r, CON_4) and holds(r, CON_5)


def us_core_observation_survey(r):
    assert r["status"] in OBSERVATION_STATUS
    assert has_coding(
        r["category"], "http://terminology.hl7.org/CodeSystem/observation-category", "survey"
    )
    assert r["code"]["coding"]
    assert is_patient_ref(r["subject"])


def us_core_goal(r):
    assert r["lifecycleStatus"] in GOAL_LIFECYCLE
    assert r["description"].get("text") or r["description"].get("coding")
    assert is_patient_ref(r["subject"])
    assert holds(r, GOL_1, "target")


def us_core_careplan(r):
    assert r["text"]["status"] in {"generated", "additional"}  # US Core Narrative Status
    div = ET.fromstring(r["text"]["div"])  # well-formed XHTML, a div in its namespace
    assert div.tag == "{http://www.w3.org/1999/xhtml}div" and "".join(div.itertext()).strip()
    assert r["status"] in REQUEST_STATUS
    assert r["intent"] in {"proposal", "plan", "order", "option"}  # US Core: plan's codes
    assert has_coding(
        r["category"], "http://hl7.org/fhir/us/core/CodeSystem/careplan-category", "assess-plan"
    )
    assert is_patient_ref(r["subject"])


def us_core_encounter(r):
    assert r["status"] in ENCOUNTER_STATUS
    assert r["class"].get("system") and r["class"].get("code")
    assert r["type"] and all(t.get("coding") or t.get("text") for t in r["type"])
    assert is_patient_ref(r["subject"])


def us_core_practitioner(r):
    assert r["identifier"] and all(i.get("system") and i.get("value") for i in r["identifier"])
    assert r["name"] and all(n.get("family") for n in r["name"])


PROFILES = {
    f"{US_CORE}/us-core-patient|5.0.1": ("Patient", us_core_patient),
    f"{US_CORE}/us-core-condition-encounter-diagnosis|5.0.1": (
        "Condition",
        us_core_condition_encounter_diagnosis,
    ),
    f"{US_CORE}/us-core-observation-survey|5.0.1": ("Observation", us_core_observation_survey),
    f"{US_CORE}/us-core-goal|5.0.1": ("Goal", us_core_goal),
    f"{US_CORE}/us-core-careplan|5.0.1": ("CarePlan", us_core_careplan),
    f"{US_CORE}/us-core-encounter|5.0.1": ("Encounter", us_core_encounter),
    f"{US_CORE}/us-core-practitioner|5.0.1": ("Practitioner", us_core_practitioner),
}


def plan_with_objectives(cast):
    """A signed plan whose goal has a group objective (small_plan's), one measured
    by the PHQ-9 and one by the BAM (no LOINC code)."""
    plan = small_plan(cast.clinician_a, cast.episode_a)
    goal = plan.versions.get().problems.get().goals.get()
    for statement in (
        "Lower the PHQ-9 score by 5 points or more from intake.",
        "A BAM use score of 0 for 4 weeks.",
    ):
        objective = plan_item_save(
            actor=cast.clinician_a,
            plan=plan,
            revision=plan.revision,
            kind="objective",
            parent=goal,
            statement=statement,
            target_on=TODAY + dt.timedelta(days=42),
        )
        plan_item_save(
            actor=cast.clinician_a,
            plan=plan,
            revision=plan.revision,
            kind="intervention",
            parent=objective,
            modality="individual",
            topic="Coping skills & <triggers>",  # escaped in the narrative
            sessions=1,
            period="week",
            minutes=50,
            responsible=cast.clinician_a,
        )
    sign_all(plan, cast.clinician_a)
    return plan


def whole_record(cast):
    cast.clinician_a.first_name, cast.clinician_a.last_name = "Casey", "Testclinician"
    cast.clinician_a.save()
    plan_with_objectives(cast)
    scores(cast)
    attended_group(cast)
    return bundle_resources(patient_export(patient=cast.patient_a).bundle)


def test_every_goal_target_has_a_measure_gol_1(cast):
    resources = whole_record(cast)
    goals = [r for r in resources if r["resourceType"] == "Goal"]
    assert goals and all(holds(g, GOL_1, "target") for g in goals)
    targets = {t.get("detailString") or t["measure"]["text"]: t for t in goals[0]["target"]}
    phq9 = targets["Lower the PHQ-9 score by 5 points or more from intake."]
    # LOINC 44261-6: PHQ-9 total score, the code of the score's Observation too
    assert phq9["measure"]["coding"] == [
        {"system": "http://loinc.org", "code": "44261-6", "display": "PHQ-9 total score"}
    ]
    bam = targets["A BAM use score of 0 for 4 weeks."]
    assert bam["measure"]["coding"][0]["system"] != "http://loinc.org"
    plain = targets["Attend 90% of groups for 4 weeks."]
    assert plain == {
        "extension": plain["extension"],
        "measure": {"text": "Attend 90% of groups for 4 weeks."},
        "dueDate": plain["dueDate"],
    }


def test_chosen_answers_are_codings_with_a_system_and_read_back_the_same(cast):
    phq9, auditc = scores(cast)
    resources = bundle_resources(patient_export(patient=cast.patient_a).bundle)
    responses = {r["id"]: r for r in resources if r["resourceType"] == "QuestionnaireResponse"}
    systems = {}
    for response in (phq9, auditc):
        qr = responses[str(response.uuid)]
        validate(qr)
        for item in qr["item"]:
            for answer in item.get("answer", []):
                coding = answer["valueCoding"]
                assert coding["system"].startswith("https://") and coding["code"]
                systems[(response.instrument.code, item["linkId"])] = coding["system"]
        assert _answers(qr) == response.answers  # the import reads the same values
    # one system per option set: AUDIT-C's first two items have different answers
    assert systems[("auditc", "1")] != systems[("auditc", "2")]
    assert systems[("phq9", "1")] == systems[("phq9", "2")]


def test_an_answer_in_another_code_system_is_read_by_its_label_not_its_code():
    """LOINC's PHQ-9 answers (LA6568-5 "Not at all" ... LA6571-9 "Nearly every day")
    or another system's digits are not our option values: the label decides."""
    from openiop.measures import scoring
    from openiop.measures.instruments import shipped_definition

    labels = ["Not at all", "Several days", "More than half the days", "Nearly every day"]
    la = ["LA6568-5", "LA6569-3", "LA6570-1", "LA6571-9"]
    given = [2, 1, 3, 0, 2, 1, 0, 0, 0]
    items = [
        {
            "linkId": str(n),
            "answer": [
                {"valueCoding": {"system": "http://loinc.org", "code": la[v], "display": labels[v]}}
            ],
        }
        for n, v in enumerate(given, 1)
    ]
    # another system whose codes are digits, one off from ours
    items[0]["answer"][0]["valueCoding"] = {
        "system": "urn:oid:2.16.840.1.113883.3.9999",
        "code": "3",
        "display": "More than half the days",
    }
    answers = _answers({"item": items})
    assert scoring.score(shipped_definition("phq9"), answers).total == sum(given)


_EXPORT: list[dict] = []


def exported(cast) -> list[dict]:
    """whole_record's resources, built by the first profile test that asks and kept
    (plain JSON data: the checks below read nothing from the database)."""
    if not _EXPORT:
        _EXPORT.extend(whole_record(cast))
    return _EXPORT


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_a_declared_profile_has_its_mandatory_elements(cast, profile):
    resource_type, check = PROFILES[profile]
    claiming = [r for r in exported(cast) if profile in r.get("meta", {}).get("profile", [])]
    assert claiming, f"no resource of the record declares {profile}"
    for r in claiming:
        assert r["resourceType"] == resource_type
        check(r)


def test_no_other_profile_is_declared(cast):
    declared = {p for r in exported(cast) for p in r.get("meta", {}).get("profile", [])}
    assert declared <= set(PROFILES)


def test_a_profile_is_not_declared_where_the_data_lacks_its_mandatory_elements(cast):
    patient = cast.patient_a
    patient.legal_given_name = patient.legal_family_name = ""
    assert "profile" not in patient_resource(patient).get("meta", {})
    # staff accounts without a family name: not US Core Practitioners, and the
    # Encounters they lead do not claim US Core Encounter (it names US Core Practitioners)
    assert "profile" not in practitioner_resource(cast.clinician_a).get("meta", {})
    attended_group(cast)
    resources = bundle_resources(patient_export(patient=cast.patient_b).bundle)
    resources += bundle_resources(patient_export(patient=cast.patient_a).bundle)
    encounters = [r for r in resources if r["resourceType"] == "Encounter"]
    assert encounters and all("profile" not in e["meta"] for e in encounters)


def test_the_capability_statement_names_the_profiles_resources_claim(client, db):
    statement = client.get("/fhir/R4/metadata").json()
    validate(statement)
    supported = {
        (r["type"], p)
        for r in statement["rest"][0]["resource"]
        for p in r.get("supportedProfile", [])
    }
    assert supported == {(t, p) for p, (t, _check) in PROFILES.items()}


def test_a_subsetted_answer_claims_no_profile(cast, client):
    """_elements leaves out what US Core makes mandatory (a Patient's name), and
    _summary=data the CarePlan's narrative: such answers claim no profile."""
    from openiop.accounts.services import api_token_create

    plan_with_objectives(cast)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {api_token_create(actor=cast.clinician_a, name='t')[1]}"}
    p = cast.patient_a.uuid
    for url, resource_type in (
        (f"/fhir/R4/Patient?_id={p}&_elements=birthDate", "Patient"),
        (f"/fhir/R4/CarePlan?patient={p}&_summary=data", "CarePlan"),
    ):
        answer = client.get(url, **auth)
        assert answer.status_code == 200
        found = [e["resource"] for e in answer.json()["entry"]]
        found = [r for r in found if r["resourceType"] == resource_type]
        assert found and all("profile" not in r["meta"] for r in found), url
        assert "Part2" in json.dumps([r["meta"]["security"] for r in found])
    # the same resources, whole, do claim it
    whole = client.get(f"/fhir/R4/CarePlan?patient={p}", **auth).json()["entry"][0]["resource"]
    assert whole["meta"]["profile"] == [f"{US_CORE}/us-core-careplan|5.0.1"]


def test_profiles_keep_the_part2_labels_and_the_narrative_names_no_diagnosis(cast):
    """A plan-only scope (a consent without diagnoses): the CarePlan still claims
    US Core and carries the Part 2 labels, and its narrative names no diagnosis."""
    plan_with_objectives(cast)
    diagnosis = cast.episode_a.diagnoses.get()
    scope = Scope(categories=frozenset({"demographics", "plan"}), consents=False)
    resources = bundle_resources(patient_export(patient=cast.patient_a, scope=scope).bundle)
    assert not [r for r in resources if r["resourceType"] == "Condition"]
    plans = [r for r in resources if r["resourceType"] == "CarePlan"]
    assert plans
    for r in resources:
        if r["resourceType"] in ("CarePlan", "Goal", "Patient"):
            assert f"{US_CORE}/us-core-{r['resourceType'].lower()}|5.0.1" in r["meta"]["profile"]
            assert {s["code"] for s in r["meta"]["security"]} >= {"42CFRPart2", "R"}
    div = plans[0]["text"]["div"]
    assert "I want to stay sober" in div  # the goal, escaped and all
    assert diagnosis.code not in div and diagnosis.description not in div
    assert "addresses" not in plans[0]


def test_the_independent_validator_accepts_the_export_and_refuses_gol_1(cast, tmp_path):
    """Medplum and FHIR.js, as .ci/interop runs them (that script is CI's gate)."""
    if shutil.which("node") is None or not (VALIDATOR / "node_modules").is_dir():
        pytest.skip("the validators are installed by .ci/interop (npm ci in .ci/validators/fhir)")
    resources = whole_record(cast)
    good = tmp_path / "export.ndjson"
    good.write_text("".join(json.dumps(r) + "\n" for r in resources))
    run = subprocess.run(
        ["node", str(VALIDATOR / "validate.mjs"), str(good)], capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
    goal = next(r for r in resources if r["resourceType"] == "Goal")
    goal["target"][0] = {"detailString": "a detail without a measure"}
    bad = tmp_path / "bad.ndjson"
    bad.write_text(json.dumps(goal) + "\n")
    run = subprocess.run(
        ["node", str(VALIDATOR / "validate.mjs"), str(bad)], capture_output=True, text=True
    )
    assert run.returncode == 1 and "gol-1" in run.stderr
