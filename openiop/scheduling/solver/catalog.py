"""Default session types, as data a program can change.

Billing codes follow the project's domain reference (docs: DOMAIN.md):
90853 group psychotherapy, H0015 the per-day SUD intensive outpatient code
that covers psychoeducation and skills groups, 90834 individual
psychotherapy (38-52 minutes), 90847 family psychotherapy with the patient,
99213 an established-patient E/M visit for medication management. Drug
testing is billed per test by the laboratory or the program's own codes,
so it carries none here. Which licences may lead which session is
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

GROUP_THERAPY = SessionType.group(
    "group_therapy", "Group therapy", 90, credentials=GROUP_LEADERS, billing_code="90853"
)
PSYCHOEDUCATION = SessionType.group(
    "psychoeducation", "Psychoeducation workshop", 60, credentials=EDUCATORS, billing_code="H0015"
)
SKILLS = SessionType.group(
    "skills_group", "Mindfulness and skills group", 30, credentials=EDUCATORS, billing_code="H0015"
)
INDIVIDUAL = SessionType(
    "individual_therapy",
    "Individual therapy",
    Modality.INDIVIDUAL,
    50,
    credentials=THERAPISTS,
    billing_code="90834",
)
FAMILY = SessionType(
    "family_therapy",
    "Family therapy",
    Modality.FAMILY,
    50,
    credentials=FAMILY_THERAPISTS,
    billing_code="90847",
    extra_seats=2,
)
MEDICATION = SessionType(
    "medication_management",
    "Medication management",
    Modality.MEDICATION,
    25,
    credentials=PRESCRIBERS,
    billing_code="99213",
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
