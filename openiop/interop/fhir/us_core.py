"""US Core profiles a resource declares in `meta.profile`, and only when it conforms.

The version is US Core 5.0.1: the one whose StructureDefinitions the independent
validator in CI loads (`.ci/interop`, ADR 0019). A resource names a profile only
when the data it was built from holds every element the profile makes mandatory;
otherwise it is exported as plain FHIR R4, without the claim. Each predicate below
lists the mandatory elements of its profile that our data may lack; the ones our
mapping always fills (a category, a status) are asserted by tests/test_fhir_profiles.py.
"""

US_CORE_VERSION = "5.0.1"
_BASE = "http://hl7.org/fhir/us/core/StructureDefinition"


def _url(name: str) -> str:
    return f"{_BASE}/{name}|{US_CORE_VERSION}"


PATIENT = _url("us-core-patient")
CONDITION = _url("us-core-condition-encounter-diagnosis")
OBSERVATION_SURVEY = _url("us-core-observation-survey")
GOAL = _url("us-core-goal")
CAREPLAN = _url("us-core-careplan")
ENCOUNTER = _url("us-core-encounter")
PRACTITIONER = _url("us-core-practitioner")

# for the CapabilityStatement (supportedProfile): what a resource of the type may claim
BY_TYPE = {
    "Patient": (PATIENT,),
    "Condition": (CONDITION,),
    "Observation": (OBSERVATION_SURVEY,),
    "Goal": (GOAL,),
    "CarePlan": (CAREPLAN,),
    "Encounter": (ENCOUNTER,),
    "Practitioner": (PRACTITIONER,),
}

# the code system of the CarePlan category slice US Core requires ("assess-plan")
CAREPLAN_CATEGORY = "http://hl7.org/fhir/us/core/CodeSystem/careplan-category"


def patient_conforms(p) -> bool:
    """US Core Patient: an identifier (the MRN, always), a gender (always, "unknown"
    at worst) and a name with a family or a given part (us-core-6)."""
    return bool((p.legal_family_name or "").strip() or (p.legal_given_name or "").strip())


def practitioner_conforms(user) -> bool:
    """US Core Practitioner: an identifier (the UUID) and a name with a family part."""
    return bool((user.last_name or "").strip())


def declared(profile: str, conforms: bool) -> tuple[str, ...]:
    return (profile,) if conforms else ()
