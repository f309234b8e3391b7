"""The shape of a synthetic organization, shared by the demo and the seeder."""

import datetime as dt

DAY = dt.time

SITES = [
    {
        "name": "Riverside Clinic (demo)",
        "street": "100 Example Ave",
        "zip_code": "97201",
        "phone": "555-0100",
    },
    {
        "name": "Capitol Clinic (demo)",
        "street": "200 Sample St",
        "zip_code": "97301",
        "phone": "555-0200",
    },
]

# (program name, site index, population, focus, level, tracks)
PROGRAMS = [
    (
        "Adult Substance Use IOP",
        0,
        "adult",
        "substance_use",
        "2.1",
        [
            ("Morning", "morning", [1, 2, 4], DAY(9), DAY(12), 12),
            ("Evening", "evening", [1, 3, 4], DAY(18), DAY(21), 12),
            ("Weekend", "weekend", [6, 7], DAY(9), DAY(13, 30), 10),
        ],
    ),
    (
        "Adult Mental Health IOP",
        0,
        "adult",
        "mental_health",
        "2.1",
        [
            ("Morning", "morning", [1, 3, 5], DAY(9), DAY(12), 12),
            # a track's own focus: the finder lists the program as co-occurring
            (
                "Dual diagnosis evening",
                "evening",
                [1, 2, 4],
                DAY(17, 30),
                DAY(20, 30),
                10,
                "co_occurring",
            ),
        ],
    ),
    (
        "Adolescent IOP",
        1,
        "adolescent",
        "co_occurring",
        "2.1",
        [
            ("After school", "afternoon", [1, 2, 4], DAY(15, 30), DAY(18, 30), 10),
            ("Saturday", "weekend", [6], DAY(9), DAY(12), 8),
        ],
    ),
]

# (username, display name, role, program index or None, licence)
STAFF = [
    ("admin", "Alex Admin (demo)", "administrator", None, None),
    ("director", "Dr. Dana Director (demo)", "program_director", 0, "MD"),
    ("director.mh", "Morgan Director (demo)", "program_director", 1, "LCSW"),
    ("clinician", "Casey Clinician (demo)", "clinician", 0, "LADC"),
    ("clinician2", "Jordan Counselor (demo)", "clinician", 0, "CADC"),
    ("clinician3", "Riley Therapist (demo)", "clinician", 1, "LPC"),
    # family sessions in every program (the substance use team has no family therapist)
    ("clinician4", "Sam Familytherapist (demo)", "clinician", None, "LMFT"),
    ("clinician.teen", "Taylor Youthworker (demo)", "clinician", 2, "LCSW"),
    ("prescriber", "Dr. Pat Prescriber (demo)", "prescriber", None, "PMHNP"),
    # the organization's nurse: drug testing and health education in every program
    ("nurse", "Noor Nurse (demo)", "clinician", None, "RN"),
    ("intake", "Indra Intake (demo)", "intake_coordinator", None, None),
    ("billing", "Bailey Billing (demo)", "billing", None, None),
    ("auditor", "Aud Itor (demo)", "auditor", None, None),
]
