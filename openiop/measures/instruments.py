"""Instrument definitions as data: the seven shipped with OpenIOP (JSON files in
`definitions/`) and the shape an organization's own instrument must have.

A definition holds the items, the answer options and their values, the scoring
rule (sum or subscales, reverse-scored items, skip rules, how many items may be
missing), the bands, the safety alerts, the LOINC codes and the licence text.
`validate_definition` checks one before it is stored; the scorer
(`scoring.py`) is generic over it.
"""

import copy
import functools
import json
import re
from pathlib import Path

DEFINITIONS_DIR = Path(__file__).resolve().parent / "definitions"
SHIPPED_CODES = ("phq9", "gad7", "audit", "auditc", "dast10", "pcl5", "bam")
CODE_RE = re.compile(r"^[a-z][a-z0-9_]{1,19}$")
SEXES = ("female", "male")
METHODS = ("sum", "subscales")
MISSING_RULES = ("prorate", "none")
MAX_ITEMS = 100


class DefinitionError(ValueError):
    """A definition that cannot be scored; `problems` lists every reason."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


@functools.cache
def _shipped() -> dict[str, dict]:
    out = {}
    for code in SHIPPED_CODES:
        with open(DEFINITIONS_DIR / f"{code}.json", encoding="utf-8") as fh:
            definition = json.load(fh)
        validate_definition(definition)
        out[code] = definition
    return out


def shipped_definition(code: str) -> dict | None:
    """A copy of the shipped definition with that code, or None."""
    found = _shipped().get(code)
    return copy.deepcopy(found) if found is not None else None


def shipped_definitions() -> dict[str, dict]:
    return copy.deepcopy(_shipped())


# reading a definition ------------------------------------------------------


def items(definition: dict) -> list[dict]:
    return definition["items"]


def item_ids(definition: dict) -> list[str]:
    return [it["id"] for it in definition["items"]]


def options_of(definition: dict, item: dict) -> list[dict]:
    return definition["option_sets"][item["options"]]


def is_scored(item: dict) -> bool:
    return item.get("scored", True)


def reverse_items(definition: dict) -> set[str]:
    return set(definition["scoring"].get("reverse", []))


def points(definition: dict, item: dict, value: int) -> int:
    """What an answer scores: its value, or mirrored for a reverse-scored item
    (DAST-10 item 3: "No" scores 1)."""
    if item["id"] in reverse_items(definition):
        values = [o["value"] for o in options_of(definition, item)]
        return max(values) + min(values) - value
    return value


def item_range(definition: dict, item: dict) -> tuple[int, int]:
    values = [points(definition, item, o["value"]) for o in options_of(definition, item)]
    return min(values), max(values)


def total_range(definition: dict, item_subset: list[str] | None = None) -> tuple[int, int]:
    wanted = set(item_subset) if item_subset is not None else None
    lo = hi = 0
    for it in definition["items"]:
        if not is_scored(it) or (wanted is not None and it["id"] not in wanted):
            continue
        a, b = item_range(definition, it)
        lo, hi = lo + a, hi + b
    return lo, hi


def band_sets(definition: dict) -> dict[str, list[dict]]:
    """Every set of bands, keyed "" for the one set or by sex."""
    if definition.get("bands_by_sex"):
        return dict(definition["bands_by_sex"])
    return {"": definition.get("bands", [])}


def bands_for(definition: dict, sex: str | None) -> tuple[list[dict], str]:
    """The bands that apply, and a note when the sex had to be assumed."""
    by_sex = definition.get("bands_by_sex")
    if not by_sex:
        return definition.get("bands", []), ""
    if sex in by_sex:
        return by_sex[sex], ""
    return by_sex[definition["unknown_sex"]], definition.get("unknown_sex_note", "")


def band_of(bands: list[dict], total: int) -> dict | None:
    for band in bands:
        if band["min"] <= total <= band["max"]:
            return band
    return None


def short_text(item: dict, limit: int = 60) -> str:
    text = item["text"].strip()
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


# validating a definition ---------------------------------------------------


def validate_definition(d) -> None:
    """Raise DefinitionError listing every problem, or return None."""
    problems: list[str] = []
    if not isinstance(d, dict):
        raise DefinitionError(["The definition must be a JSON object."])
    code = d.get("code")
    if not isinstance(code, str) or not CODE_RE.match(code):
        problems.append("code: 2-20 lower-case letters, digits or _, starting with a letter.")
    for key in ("short_name", "name", "licence", "source"):
        if not isinstance(d.get(key), str) or not d[key].strip():
            problems.append(f"{key}: required text.")
    option_sets = d.get("option_sets")
    if not isinstance(option_sets, dict) or not option_sets:
        problems.append("option_sets: at least one set of answer options.")
        option_sets = {}
    for name, options in option_sets.items():
        problems += _check_options(name, options)
    items_ = d.get("items")
    if not isinstance(items_, list) or not items_ or len(items_) > MAX_ITEMS:
        problems.append(f"items: 1 to {MAX_ITEMS} items.")
        raise DefinitionError(problems)
    ids: list[str] = []
    for n, it in enumerate(items_, 1):
        if not isinstance(it, dict):
            problems.append(f"items[{n}]: must be an object.")
            continue
        iid = it.get("id")
        if not isinstance(iid, str) or not iid.strip() or len(iid) > 10:
            problems.append(f"items[{n}].id: 1-10 characters.")
        elif iid in ids:
            problems.append(f"items[{n}].id: {iid!r} is used twice.")
        ids.append(str(iid))
        if not isinstance(it.get("text"), str) or not it["text"].strip():
            problems.append(f"item {iid}: text is required.")
        if it.get("options") not in option_sets:
            problems.append(f"item {iid}: options must name one of the option sets.")
    if problems:
        raise DefinitionError(problems)
    problems += _check_scoring(d, ids)
    problems += _check_bands(d)
    problems += _check_alerts_and_subscales(d, ids)
    if problems:
        raise DefinitionError(problems)


def _check_options(name, options) -> list[str]:
    if not isinstance(options, list) or not 2 <= len(options) <= 20:
        return [f"option set {name!r}: 2 to 20 options."]
    problems, seen, aliases = [], set(), set()
    for o in options:
        value = o.get("value") if isinstance(o, dict) else None
        if not isinstance(value, int) or isinstance(value, bool) or not -100 <= value <= 100:
            problems.append(f"option set {name!r}: each value must be a whole number.")
            continue
        if value in seen:
            problems.append(f"option set {name!r}: value {value} is used twice.")
        seen.add(value)
        if not isinstance(o.get("label"), str) or not o["label"].strip():
            problems.append(f"option set {name!r}: value {value} needs a label.")
        for alias in o.get("aliases", []):
            usable = isinstance(alias, str) and not alias.lstrip("-").isdigit()
            if not usable or alias.lower() in aliases:
                problems.append(f"option set {name!r}: alias {alias!r} is not usable.")
            else:
                aliases.add(alias.lower())
    return problems


def _check_scoring(d, ids) -> list[str]:
    s = d.get("scoring")
    if not isinstance(s, dict):
        return ["scoring: required."]
    problems = []
    if s.get("method") not in METHODS:
        problems.append(f"scoring.method: one of {', '.join(METHODS)}.")
    if s.get("missing", "none") not in MISSING_RULES:
        problems.append(f"scoring.missing: one of {', '.join(MISSING_RULES)}.")
    mm = s.get("max_missing", 0)
    if not isinstance(mm, int) or isinstance(mm, bool) or not 0 <= mm < len(ids):
        problems.append("scoring.max_missing: a whole number, less than the number of items.")
    for rid in s.get("reverse", []):
        if rid not in ids:
            problems.append(f"scoring.reverse: no item {rid!r}.")
    for rule in d.get("skip_rules", []):
        when, skip = rule.get("when_sum_of", []), rule.get("skip", [])
        if not when or not skip or any(i not in ids for i in [*when, *skip]):
            problems.append("skip_rules: each names existing items in when_sum_of and skip.")
        if not isinstance(rule.get("equals"), int):
            problems.append("skip_rules: equals must be a whole number.")
    if not any(is_scored(it) for it in d["items"]):
        problems.append("items: at least one item must be scored.")
    return problems


def _method(d) -> str | None:
    s = d.get("scoring")
    return s.get("method") if isinstance(s, dict) else None


def _check_bands(d) -> list[str]:
    if _method(d) != "sum":
        return []
    by_sex = d.get("bands_by_sex")
    if by_sex:
        if set(by_sex) != set(SEXES) or d.get("unknown_sex") not in SEXES:
            return ["bands_by_sex: bands for female and male, and unknown_sex naming one."]
    elif not d.get("bands"):
        return ["bands: a sum needs bands covering every total."]
    lo, hi = total_range(d)
    problems = []
    for key, bands in band_sets(d).items():
        label = f"bands[{key}]" if key else "bands"
        try:
            ordered = sorted(bands, key=lambda b: b["min"])
        except (KeyError, TypeError):
            return [f"{label}: each band needs code, label, min and max."]
        expected = lo
        codes = set()
        for b in ordered:
            if not all(k in b for k in ("code", "label", "min", "max")):
                problems.append(f"{label}: each band needs code, label, min and max.")
                break
            if b["code"] in codes:
                problems.append(f"{label}: band {b['code']!r} is used twice.")
            codes.add(b["code"])
            if b["min"] != expected or b["max"] < b["min"]:
                problems.append(
                    f"{label}: band {b['code']!r} should start at {expected} "
                    "(bands must follow each other without gaps or overlaps)."
                )
                break
            expected = b["max"] + 1
        else:
            if expected != hi + 1:
                problems.append(f"{label}: the last band must end at the highest total, {hi}.")
    return problems


def _check_alerts_and_subscales(d, ids) -> list[str]:
    problems = []
    for alert in d.get("alerts", []):
        if alert.get("item") not in ids or not isinstance(alert.get("min"), int):
            problems.append("alerts: each names an existing item and a whole-number min.")
        if not isinstance(alert.get("code"), str) or not alert.get("label"):
            problems.append("alerts: each needs a code and a label.")
        if "when_unanswered" in alert and not (  # a blank safety item is an alert of its own
            isinstance(alert["when_unanswered"], str) and alert.get("unanswered_label")
        ):
            problems.append("alerts: when_unanswered needs a code and an unanswered_label.")
    rise = d.get("attention_rise")
    if rise is not None and not (
        isinstance(rise, dict) and isinstance(rise.get("points"), int) and rise["points"] > 0
    ):
        problems.append("attention_rise: give the points of a clinically meaningful rise.")
    codes = set()
    scored = {it["id"] for it in d["items"] if is_scored(it)}
    for sub in d.get("subscales", []):
        if sub.get("code") in codes or not sub.get("label"):
            problems.append("subscales: each needs a unique code and a label.")
        codes.add(sub.get("code"))
        if not sub.get("items") or any(i not in scored for i in sub["items"]):
            problems.append(f"subscale {sub.get('code')!r}: its items must be scored items.")
    if _method(d) == "subscales" and not d.get("subscales"):
        problems.append("subscales: the subscales method needs at least one subscale.")
    return problems


def sync_shipped(instrument_model) -> int:
    """Create or refresh the shipped instruments (organization empty) from the
    JSON files; returns how many rows changed. Used by the data migration."""
    changed = 0
    for code, definition in shipped_definitions().items():
        fields = {
            "short_name": definition["short_name"],
            "name": definition["name"],
            "definition": definition,
            "licence": definition["licence"],
            "source": definition["source"],
            "is_active": True,
        }
        row = instrument_model.objects.filter(organization__isnull=True, code=code).first()
        if row is None:
            instrument_model.objects.create(code=code, **fields)
            changed += 1
        elif any(getattr(row, k) != v for k, v in fields.items()):
            for k, v in fields.items():
                setattr(row, k, v)
            row.save()
            changed += 1
    return changed


def ensure_shipped() -> None:
    """Load the shipped instruments if they are missing (a database flushed by
    a transactional test, or one built without migrations)."""
    from openiop.measures.models import Instrument

    if Instrument.objects.filter(organization__isnull=True).count() < len(SHIPPED_CODES):
        sync_shipped(Instrument)
