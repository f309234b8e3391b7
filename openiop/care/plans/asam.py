"""ASAM dimensions and the level-of-care recommendation, as data.

The six dimensions are those of The ASAM Criteria, 3rd edition (2013), each
rated 0 (no risk or difficulty) to 4 (severe). The recommendation is
**decision support** computed from the program's own rules, a declarative
table a program may replace (`PlanSettings.loc_rules`); it is not ASAM's
licensed software (CONTINUUM) and not its decision logic. The clinician
accepts it or records another level with a reason.

A rule set is an ordered list; the first rule whose conditions hold gives the
level. A rule holds when *any* of its conditions holds. Conditions:

- `{"dimension": "3", "min": 3}`: that dimension is rated `min` or more;
- `{"count": 2, "min": 2}`: at least `count` dimensions are rated `min` or more;
- `{"total": 12}`: the six ratings add up to `total` or more.

The last rule has no conditions (`"any": []`) and is the fallback.
"""

from dataclasses import dataclass

EDITION = "asam3"

# (code, short name, what the clinician rates)
DIMENSIONS: list[tuple[str, str, str]] = [
    (
        "1",
        "Acute intoxication and/or withdrawal potential",
        "Current intoxication, withdrawal risk and history",
    ),
    (
        "2",
        "Biomedical conditions and complications",
        "Physical health problems that affect treatment",
    ),
    (
        "3",
        "Emotional, behavioral or cognitive conditions",
        "Mental health, risk to self or others, cognition",
    ),
    ("4", "Readiness to change", "Interest in and commitment to recovery"),
    (
        "5",
        "Relapse, continued use or continued problem potential",
        "Risk of returning to use or of symptoms coming back",
    ),
    ("6", "Recovery/living environment", "Home, work, school, relationships and supports"),
]
DIMENSION_SHORT = {
    "1": "Withdrawal",
    "2": "Biomedical",
    "3": "Emotional/behavioral",
    "4": "Readiness to change",
    "5": "Relapse potential",
    "6": "Recovery environment",
}
DIMENSION_CODES = [d[0] for d in DIMENSIONS]
DIMENSION_NAMES = {code: name for code, name, _ in DIMENSIONS}
RATINGS = [
    (0, "0 - none"),
    (1, "1 - mild"),
    (2, "2 - moderate"),
    (3, "3 - significant"),
    (4, "4 - severe"),
]

# Levels a recommendation may name (programs themselves run 1, 2.1 or 2.5).
LEVELS: dict[str, str] = {
    "1": "Outpatient (ASAM 1)",
    "2.1": "Intensive outpatient (ASAM 2.1)",
    "2.5": "Partial hospitalization (ASAM 2.5)",
    "3": "Residential (ASAM 3.x)",
    "4": "Medically managed inpatient (ASAM 4)",
    # withdrawal management (ASAM 3rd edition): before or alongside treatment
    "2-WM": "Ambulatory withdrawal management with extended on-site monitoring (ASAM 2-WM)",
    "3.7-WM": "Medically monitored inpatient withdrawal management (ASAM 3.7-WM)",
}

# Sane defaults, written by this project as decision support (see module docstring).
DEFAULT_RULES: list[dict] = [
    {
        "level": "4",
        "reason": "Severe withdrawal or biomedical needs, or imminent danger to self or "
        "others (emotional/behavioral rated 4), call for an emergency evaluation and "
        "24-hour medically managed care.",
        "any": [
            {"dimension": "1", "min": 4},
            {"dimension": "2", "min": 4},
            {"dimension": "3", "min": 4},
        ],
    },
    {
        "level": "3.7-WM",
        "reason": "Significant withdrawal risk calls for medically monitored inpatient "
        "withdrawal management before treatment continues.",
        "any": [{"dimension": "1", "min": 3}],
    },
    {
        "level": "3",
        "reason": "Significant biomedical risk, or two or more dimensions rated severe, "
        "call for a 24-hour setting.",
        "any": [{"dimension": "2", "min": 3}, {"count": 2, "min": 4}],
    },
    {
        "level": "2-WM",
        "reason": "Moderate withdrawal risk calls for withdrawal management with extended "
        "on-site monitoring, before or alongside outpatient treatment.",
        "any": [{"dimension": "1", "min": 2}],
    },
    {
        "level": "2.5",
        "reason": "Significant emotional or behavioral needs, or three or more dimensions "
        "rated significant, call for daily structure (20+ hours a week).",
        "any": [{"dimension": "3", "min": 3}, {"count": 3, "min": 3}],
    },
    {
        "level": "2.1",
        "reason": "Moderate needs in relapse potential, living environment or emotional "
        "conditions, or in two or more dimensions, call for 9-19 hours a week.",
        "any": [
            {"dimension": "3", "min": 2},
            {"dimension": "5", "min": 2},
            {"dimension": "6", "min": 2},
            {"count": 2, "min": 2},
        ],
    },
    {"level": "1", "reason": "No dimension calls for more than outpatient care.", "any": []},
]


class RulesError(ValueError):
    """A rule set that cannot be used, with a sentence saying why."""


def validate_rules(rules) -> list[dict]:
    if not isinstance(rules, list) or not rules:
        raise RulesError("The rules must be a non-empty list.")
    for i, rule in enumerate(rules, 1):
        if not isinstance(rule, dict) or rule.get("level") not in LEVELS:
            raise RulesError(f"Rule {i} must name a level: one of {', '.join(LEVELS)}.")
        if not isinstance(rule.get("reason", ""), str):
            raise RulesError(f"Rule {i}: the reason must be text.")
        conditions = rule.get("any")
        if not isinstance(conditions, list):
            raise RulesError(f"Rule {i} needs an 'any' list of conditions.")
        for c in conditions:
            _validate_condition(i, c)
    if rules[-1]["any"]:
        raise RulesError("The last rule must have no conditions: it is the fallback.")
    return rules


def _validate_condition(i: int, c) -> None:
    if not isinstance(c, dict):
        raise RulesError(f"Rule {i}: each condition is an object.")
    ok_min = isinstance(c.get("min"), int) and 0 <= c["min"] <= 4
    if "dimension" in c:
        if c["dimension"] not in DIMENSION_CODES or not ok_min:
            raise RulesError(f"Rule {i}: a dimension condition needs a dimension 1-6 and min 0-4.")
    elif "count" in c:
        if not (isinstance(c["count"], int) and 1 <= c["count"] <= 6 and ok_min):
            raise RulesError(f"Rule {i}: a count condition needs count 1-6 and min 0-4.")
    elif "total" in c:
        if not (isinstance(c["total"], int) and 0 <= c["total"] <= 24):
            raise RulesError(f"Rule {i}: a total condition needs total 0-24.")
    else:
        raise RulesError(f"Rule {i}: unknown condition {sorted(c)}.")


@dataclass(frozen=True)
class Recommendation:
    level: str
    reason: str
    rule_number: int

    @property
    def label(self) -> str:
        return LEVELS[self.level]


def _holds(c: dict, ratings: dict[str, int]) -> bool:
    if "dimension" in c:
        return ratings[c["dimension"]] >= c["min"]
    if "count" in c:
        return sum(1 for r in ratings.values() if r >= c["min"]) >= c["count"]
    return sum(ratings.values()) >= c["total"]


def recommend(ratings: dict[str, int], rules: list[dict] | None = None) -> Recommendation:
    """The level the first matching rule gives for six ratings 0-4."""
    rules = validate_rules(rules) if rules is not None else DEFAULT_RULES
    if sorted(ratings) != sorted(DIMENSION_CODES):
        raise RulesError("Rate all six dimensions.")
    for value in ratings.values():
        if not isinstance(value, int) or not 0 <= value <= 4:
            raise RulesError("Each dimension is rated 0 to 4.")
    for number, rule in enumerate(rules, 1):
        if not rule["any"] or any(_holds(c, ratings) for c in rule["any"]):
            return Recommendation(rule["level"], rule.get("reason", ""), number)
    raise RulesError("No rule matched and the rules have no fallback.")  # pragma: no cover


def describe_condition(c: dict) -> str:
    if "dimension" in c:
        return f"Dimension {c['dimension']} rated {c['min']} or more"
    if "count" in c:
        return f"{c['count']} or more dimensions rated {c['min']} or more"
    return f"Ratings add up to {c['total']} or more"
