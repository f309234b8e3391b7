"""The built-in plan templates (JSON files in `library/`), their format, and
turning a template into plan content."""

import functools
import json
from importlib import resources

from openiop.care.plans import asam
from openiop.core.errors import ApplicationError

MODALITIES = {
    "individual",
    "group",
    "family",
    "psychoeducation",
    "medication",
    "mindfulness",
    "drug_testing",
    "case_management",
    "peer_support",
}
PERIODS = {"week", "fortnight", "month"}


@functools.cache
def built_in() -> tuple[dict, ...]:
    files = sorted(
        f
        for f in resources.files("openiop.care.plans.library").iterdir()
        if f.name.endswith(".json")
    )
    return tuple(validate_content(json.loads(f.read_text(encoding="utf-8"))) for f in files)


def _fail(message: str):
    raise ApplicationError.for_field("content", message)


def validate_content(doc: dict) -> dict:
    """Check a template's shape; raise ApplicationError naming the first problem."""
    if (
        not isinstance(doc, dict)
        or not isinstance(doc.get("problems"), list)
        or not doc["problems"]
    ):
        _fail("A template needs a list of problems.")
    for p_i, problem in enumerate(doc["problems"], 1):
        where = f"Problem {p_i}"
        if not str(problem.get("statement", "")).strip():
            _fail(f"{where} needs a statement.")
        if any(d not in asam.DIMENSION_CODES for d in problem.get("asam_dimensions", [])):
            _fail(f"{where}: ASAM dimensions are 1 to 6.")
        for g_i, goal in enumerate(problem.get("goals") or [], 1):
            if not str(goal.get("statement", "")).strip():
                _fail(f"{where}, goal {g_i} needs a statement.")
            for o_i, obj in enumerate(goal.get("objectives") or [], 1):
                w = f"{where}, goal {g_i}, objective {o_i}"
                if not str(obj.get("statement", "")).strip():
                    _fail(f"{w} needs a statement.")
                days = obj.get("target_days")
                if not isinstance(days, int) or not 1 <= days <= 365:
                    _fail(f"{w} needs target_days from 1 to 365.")
                for i_i, iv in enumerate(obj.get("interventions") or [], 1):
                    wi = f"{w}, intervention {i_i}"
                    if iv.get("modality") not in MODALITIES:
                        _fail(f"{wi} has an unknown modality.")
                    if not isinstance(iv.get("sessions"), int) or not 1 <= iv["sessions"] <= 21:
                        _fail(f"{wi} needs sessions from 1 to 21.")
                    if iv.get("period") not in PERIODS:
                        _fail(f"{wi} needs a period: week, fortnight or month.")
                    if not isinstance(iv.get("minutes"), int) or not 5 <= iv["minutes"] <= 480:
                        _fail(f"{wi} needs minutes from 5 to 480.")
    return doc
