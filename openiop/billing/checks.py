"""The checks of a defensible day, as data: their codes (stored on each day), in
the order they are shown, what each means and who fixes it.

Sources: HCPCS H0015 (a program of at least 3 hours a day and 3 days a week,
based on an individualized treatment plan) and the Medicare IOP benefit (CAA
2023 s.4124; certification of need for at least 9 hours a week, condition code
92, two payment tiers, an IOP claim overlapping a PHP claim returned): see
DOMAIN.md. The thresholds themselves are the payer's rule (`BillingRule`).
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Check:
    code: str
    label: str
    fixed_by: str  # who usually fixes it: "clinician", "intake", "billing", "prescriber"


CHECKS: tuple[Check, ...] = (
    Check("coverage", "Coverage active on the day with a known payer", "intake"),
    Check("rule", "A billing rule of the payer for the program's level", "billing"),
    Check("minutes", "Attended minutes at or above the payer's minimum", "clinician"),
    Check("services", "Enough qualifying services that day", "clinician"),
    Check("week", "Days attended in the week at or above the payer's minimum", "clinician"),
    Check(
        "notes", "Every attended service has a signed note linked to a plan objective", "clinician"
    ),
    Check("cloned", "No note part near-identical to another attendee's", "clinician"),
    Check("plan", "A signed treatment plan in effect", "clinician"),
    Check("review", "The plan's review not overdue", "clinician"),
    Check("diagnosis", "A primary diagnosis on the episode", "clinician"),
    Check("authorization", "An authorization covers the day with units left", "intake"),
    Check("certification", "A current signed certification (Medicare)", "prescriber"),
    Check("php_overlap", "No partial hospitalization day for the patient that day", "billing"),
)
BY_CODE = {c.code: c for c in CHECKS}
CODES = tuple(c.code for c in CHECKS)
# a check a billing user may not override: without them there is nothing to bill
NOT_OVERRIDABLE = frozenset({"coverage", "rule"})


def label(code: str) -> str:
    return BY_CODE[code].label
