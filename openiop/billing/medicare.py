"""Medicare IOP facts as data, and the small pure functions that read them
(DOMAIN.md, "Medicare IOP benefit" and "Revenue cycle facts"): the type of
bill per provider kind, the day's payment tier, who may certify, how long a
certification lasts when the payer's rule does not say."""

from decimal import Decimal

from openiop.billing.models import BILL_TYPES, MEDICARE_MIN_WEEKLY_HOURS

__all__ = [
    "CONDITION_CODE",
    "PHP_CONDITION_CODE",
    "CERTIFYING_LICENCES",
    "DEFAULT_RECERTIFICATION_DAYS",
    "RECERTIFICATION_WARNING_DAYS",
    "MIN_WEEKLY_HOURS",
    "FREQUENCIES",
    "bill_type",
    "payment_tier",
]

# institutional claims for IOP carry condition code 92; a partial hospitalization claim 41
CONDITION_CODE = "92"
PHP_CONDITION_CODE = "41"

# the patient needs at least 9 hours of services a week
MIN_WEEKLY_HOURS: Decimal = MEDICARE_MIN_WEEKLY_HOURS

# Licences that let their holder sign a Medicare IOP certification: a physician
# (MD, DO) or a qualified practitioner (here a psychiatric nurse practitioner).
# The exact list of qualified practitioners is to be confirmed against the CMS
# rule (the 2024 OPPS final rule on IOP certification); DOMAIN.md says
# "physician" only. Keep this set as the one place to change.
CERTIFYING_LICENCES = frozenset({"MD", "DO", "PMHNP"})

# recertification "no less often than every other month" when the payer's rule
# has no recertification_days of its own
DEFAULT_RECERTIFICATION_DAYS = 60
# the worklist and the episode page warn this many days before a recertification is due
RECERTIFICATION_WARNING_DAYS = 7

# the third digit of a type of bill: the claim's frequency (NUBRC codes,
# 1 admit through discharge, 2 interim first claim, 3 continuing, 4 last,
# 7 replacement, 8 void)
FREQUENCIES = frozenset("0123456789")

TIER_3 = "3"
TIER_4 = "4"


def bill_type(provider_kind: str, frequency: str = "1") -> str:
    """The institutional type of bill, e.g. '131' for a hospital outpatient
    department's admit-through-discharge claim; '' when the provider bills
    professional claims only (a freestanding program)."""
    frequency = str(frequency)
    if len(frequency) != 1 or frequency not in FREQUENCIES:
        raise ValueError(f"A claim frequency is one digit, not {frequency!r}.")
    prefix = BILL_TYPES.get(provider_kind, "")
    return f"{prefix}{frequency}" if prefix else ""


def payment_tier(services: int) -> str:
    """Medicare pays an IOP day in two tiers: '3' for a day with 3 qualifying
    services, '4' for 4 or more; '' for fewer (not an IOP day)."""
    if services >= 4:
        return TIER_4
    if services == 3:
        return TIER_3
    return ""
