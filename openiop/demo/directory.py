"""The program finder's demo: the real Oregon FindTreatment.gov file (when it is
next to the repository) and the demo organization's programs, listed with
rates, wait times and a few testimonials. Safe to run again: it only adds
what is missing, and re-importing the file updates it.
"""

import os
from decimal import Decimal
from pathlib import Path

from openiop.accounts.models import User
from openiop.directory import services
from openiop.directory.importer import ImportFileError
from openiop.directory.models import DirectoryProfile, Testimonial
from openiop.organizations.models import Organization

SAMPLE_NAME = "oregon-2026-02.json"
# the Oregon export kept with the package (openiop/directory/data/README.md)
FINDTREATMENT_FILE = Path(
    os.environ.get("OPENIOP_FINDTREATMENT_FILE")
    or Path(__file__).resolve().parents[1] / "directory" / "data" / SAMPLE_NAME
)

# program name -> what its director publishes
PROFILES = {
    "Adult Substance Use IOP": {
        "summary": "Three-hour groups three days a week, morning, evening or weekend, so you "
        "can keep working. Individual counseling every week, medication management with our "
        "prescriber, and a relapse prevention plan you leave with. (Synthetic demo program.)",
        "payments": ["medicaid", "private", "military", "self_pay"],
        "insurance_plans": "Oregon Health Plan, Providence, Regence, Kaiser Permanente",
        "self_pay_weekly_rate": Decimal("425.00"),
        "sliding_scale": True,
        "typical_weeks_min": 8,
        "typical_weeks_max": 12,
        "languages": ["spanish"],
        "telehealth": True,
        "accreditations": ["carf"],
        "family_program": True,
        "family_program_description": "Family education night every other Tuesday, and family "
        "sessions with your counselor when you want them.",
        "specialties": [
            "relapse_prevention",
            "medications",
            "trauma_counseling",
            "veterans",
            "peer_support",
            "aftercare",
            "outcome_followup",
        ],
        "wait_days": 5,
    },
    "Adult Mental Health IOP": {
        "summary": "For depression, anxiety and trauma, with a dual diagnosis evening track for "
        "people who also use alcohol or drugs. (Synthetic demo program.)",
        "payments": ["medicaid", "medicare", "private"],
        "self_pay_weekly_rate": Decimal("380.00"),
        "typical_weeks_min": 6,
        "typical_weeks_max": 10,
        "telehealth": True,
        "accreditations": ["joint_commission"],
        "specialties": ["trauma_counseling", "lgbtq", "women", "aftercare"],
        "wait_days": 12,
    },
    "Adolescent IOP": {
        "summary": "After school and Saturday groups for 13 to 17 year olds, with schoolwork "
        "support and a weekly multi-family group. (Synthetic demo program.)",
        "payments": ["medicaid", "private"],
        "self_pay_weekly_rate": Decimal("350.00"),
        "sliding_scale": True,
        "typical_weeks_min": 8,
        "typical_weeks_max": 12,
        "languages": ["spanish"],
        "accreditations": ["carf"],
        "family_program": True,
        "family_program_description": "Parents and carers join a multi-family group every "
        "Thursday evening.",
        "specialties": ["adolescents", "trauma_counseling", "relapse_prevention"],
        "wait_days": 0,
    },
}

TESTIMONIALS = {
    "Adult Substance Use IOP": [
        (
            "Marcus",
            "participant",
            "The evening track meant I never had to tell my boss why I was leaving early. "
            "The group was the first place I didn't feel judged.",
            True,
        ),
        (
            "L.T.",
            "family",
            "Family night helped us understand what relapse prevention actually means, "
            "and what we could do besides worry.",
            True,
        ),
        (
            "Dee",
            "participant",
            "Twelve weeks felt long at the start. By week six I was the one welcoming new people.",
            False,
        ),
    ],
    "Adolescent IOP": [
        (
            "Ana R.",
            "family",
            "Our son could stay in school, and the Thursday parents' group gave us a place "
            "to ask the questions we were afraid to ask.",
            True,
        ),
    ],
}


def build_directory_demo(*, log=None) -> None:
    log = log or (lambda _msg: None)
    if FINDTREATMENT_FILE.exists():
        try:
            result = services.facilities_import(path=FINDTREATMENT_FILE)
        except ImportFileError as exc:  # pragma: no cover - the shared file is well-formed
            log(f"Program finder: {exc}")
        else:
            log(f"Program finder: {result.summary}")
    org = Organization.objects.filter(slug="demo").first()
    if org is None:
        return
    admin = User.objects.filter(username="admin").first()
    director = User.objects.filter(username="director").first()
    for program in org.programs.all():
        wanted = PROFILES.get(program.name)
        if wanted is None or DirectoryProfile.objects.filter(program=program).exists():
            continue
        data = {k: v for k, v in wanted.items() if k != "wait_days"}
        services.profile_update(actor=admin, program=program, listed=True, **data)
        services.wait_time_update(actor=admin, program=program, wait_days=wanted["wait_days"])
        facility = program.directory_facility
        if not Testimonial.objects.filter(facility=facility).exists():
            for name, relationship, body, publish in TESTIMONIALS.get(program.name, []):
                t = services.testimonial_submit(
                    facility=facility,
                    author_name=name,
                    relationship=relationship,
                    body=body,
                    consent=True,
                )
                if publish:
                    services.testimonial_moderate(actor=admin, testimonial=t, publish=True)
    if director is not None and not director.show_name_in_directory:
        services.directory_name_set(actor=director, show=True)
    log("Program finder: the demo programs are listed at /find/.")
