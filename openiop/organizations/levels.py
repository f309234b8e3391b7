"""Levels of care and their weekly-hours bands, as data (ASAM Criteria, 3rd ed.).

Sources (see DOMAIN.md): ASAM level summaries; DC rule 22-A DCMR 6329.1 writes
the 9-19 h (adults) / 6-19 h (under 21) intensive outpatient band. These are
defaults: each program stores its own band and may change it.
"""

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class HoursBand:
    minimum: Decimal
    maximum: Decimal | None  # None: no upper bound in the level's definition


LEVELS = {
    "1": "ASAM 1 - Outpatient",
    "2.1": "ASAM 2.1 - Intensive outpatient",
    "2.5": "ASAM 2.5 - Partial hospitalization",
}

# (level, population) -> default weekly hours band
DEFAULT_BANDS: dict[tuple[str, str], HoursBand] = {
    ("1", "adult"): HoursBand(Decimal("0"), Decimal("8.99")),
    ("1", "adolescent"): HoursBand(Decimal("0"), Decimal("5.99")),
    ("2.1", "adult"): HoursBand(Decimal("9"), Decimal("19")),
    ("2.1", "adolescent"): HoursBand(Decimal("6"), Decimal("19")),
    ("2.5", "adult"): HoursBand(Decimal("20"), None),
    ("2.5", "adolescent"): HoursBand(Decimal("20"), None),
}


def default_band(level: str, population: str) -> HoursBand:
    return DEFAULT_BANDS[(level, population)]


# population -> the ages a program admits unless it says otherwise (inclusive; None: no limit).
# Adolescents are 12 to 17 as SAMHSA's National Survey on Drug Use and Health counts them;
# a program that admits otherwise says so in its settings.
DEFAULT_AGES: dict[str, tuple[int, int | None]] = {"adult": (18, None), "adolescent": (12, 17)}


def default_ages(population: str) -> tuple[int, int | None]:
    return DEFAULT_AGES[population]
