"""Default session types, as data a program can change.

Session types carry no billing code: what a session bills as (a per-day
code such as H0015 for the whole day, or a code per service) is each payer's
rule, kept by the billing app. Which licences may lead which session is
configurable; these defaults follow common state scope-of-practice rules
(prescribers for medication visits, marriage and family therapists and
clinical social workers for family therapy).
"""

from openiop.scheduling.solver.model import Modality, SessionType

THERAPISTS = frozenset({"LCSW", "LPC", "LMFT", "PhD/PsyD", "LADC"})
GROUP_LEADERS = THERAPISTS | {"CADC"}
EDUCATORS = GROUP_LEADERS | {"CPRS", "RN"}
FAMILY_THERAPISTS = frozenset({"LMFT", "LCSW", "PhD/PsyD"})
PRESCRIBERS = frozenset({"MD", "DO", "PMHNP"})
TESTERS = frozenset({"RN", "CADC", "LADC"})

GROUP_THERAPY = SessionType.group("group_therapy", "Group therapy", 90, credentials=GROUP_LEADERS)
PSYCHOEDUCATION = SessionType.group(
    "psychoeducation", "Psychoeducation workshop", 60, credentials=EDUCATORS
)
SKILLS = SessionType.group(
    "skills_group", "Mindfulness and skills group", 30, credentials=EDUCATORS
)
INDIVIDUAL = SessionType(
    "individual_therapy",
    "Individual therapy",
    Modality.INDIVIDUAL,
    50,
    credentials=THERAPISTS,
)
FAMILY = SessionType(
    "family_therapy",
    "Family therapy",
    Modality.FAMILY,
    50,
    credentials=FAMILY_THERAPISTS,
    extra_seats=2,
)
MEDICATION = SessionType(
    "medication_management",
    "Medication management",
    Modality.MEDICATION,
    25,
    credentials=PRESCRIBERS,
)
DRUG_TEST = SessionType(
    "drug_testing",
    "Drug and alcohol testing",
    Modality.TESTING,
    15,
    credentials=TESTERS,
    telehealth_ok=False,
)

DEFAULT_SESSION_TYPES = (
    GROUP_THERAPY,
    PSYCHOEDUCATION,
    SKILLS,
    INDIVIDUAL,
    FAMILY,
    MEDICATION,
    DRUG_TEST,
)

# what a role is called in explanations ("no evening family therapist on Thursdays")
ROLE_NOUNS = {
    Modality.GROUP: "group facilitator",
    Modality.INDIVIDUAL: "therapist",
    Modality.FAMILY: "family therapist",
    Modality.MEDICATION: "prescriber",
    Modality.TESTING: "testing nurse or counselor",
}
