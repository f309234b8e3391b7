"""The scorer: generic over an instrument definition (see instruments.py), pure
(no database), so the entry form's preview, `openiop score`, the API and the
saved responses all give the same answer.
"""

from dataclasses import asdict, dataclass, field

from openiop.core.errors import ApplicationError
from openiop.measures import instruments as ins

MISSING_TOKENS = {"", "-", "null", "none", "na", "n/a"}


class AnswerError(ApplicationError):
    """Answers that do not fit the instrument; `fields` names each item."""

    status = 422
    code = "invalid_answers"


@dataclass
class Score:
    instrument: str
    total: int | None
    min: int | None
    max: int | None
    band: str | None
    band_label: str | None
    severity: int | None
    severe_band: bool
    alerts: list[str]
    warnings: list[str]
    subscales: dict[str, dict]
    scored: bool
    prorated: bool
    missing_items: list[str]
    skipped_items: list[str]
    note: str
    sex: str | None
    answers: dict[str, int | None] = field(default_factory=dict)

    def as_dict(self, *, with_subscales: bool = True) -> dict:
        out = asdict(self)
        if not with_subscales:
            out.pop("subscales")
        return out


def _field(item_id: str) -> str:
    return f"answers.{item_id}"


def _parse_value(definition: dict, item: dict, raw, errors: dict) -> int | None:
    """One answer as given (int, digits, an alias like "yes", or empty)."""
    if raw is None or (isinstance(raw, str) and raw.strip().lower() in MISSING_TOKENS):
        return None
    options = ins.options_of(definition, item)
    allowed = [o["value"] for o in options]
    value = None
    if isinstance(raw, bool):
        value = None
    elif isinstance(raw, int):
        value = raw
    elif isinstance(raw, float) and raw.is_integer():
        value = int(raw)
    elif isinstance(raw, str):
        text = raw.strip().lower()
        if text.lstrip("-").isdigit():
            value = int(text)
        else:
            for o in options:
                if text in [a.lower() for a in o.get("aliases", [])] or text == o["label"].lower():
                    value = o["value"]
                    break
    if value not in allowed:
        choices = ", ".join(f"{o['value']} ({o['label']})" for o in options)
        errors[_field(item["id"])] = [
            f"Item {item['id']} ({ins.short_text(item, 40)}) must be one of {choices}; "
            f"{raw!r} is not one of them."
        ]
        return None
    return value


def parse_answers(definition: dict, answers) -> dict[str, int | None]:
    """Answers by item id. Accepts a list in item order (empty entries are
    missing), a dict keyed by item id, or the comma-separated text the CLI takes.
    Raises AnswerError naming each item that is wrong."""
    its = ins.items(definition)
    ids = [it["id"] for it in its]
    if isinstance(answers, str):
        answers = [a.strip() for a in answers.split(",")]
    if isinstance(answers, (list, tuple)):
        if len(answers) != len(its):
            raise AnswerError(
                f"{definition['short_name']} has {len(its)} items "
                f"({', '.join(ids)}); {len(answers)} answers were given.",
                fields={"answers": [f"Give {len(its)} answers, in item order."]},
            )
        given = dict(zip(ids, answers, strict=True))
    elif isinstance(answers, dict):
        given = {str(k): v for k, v in answers.items()}
        unknown = sorted(set(given) - set(ids))
        if unknown:
            raise AnswerError(
                f"{definition['short_name']} has no item {unknown[0]}.",
                fields={_field(u): [f"There is no item {u}."] for u in unknown},
            )
    else:
        raise AnswerError(
            "Answers must be a list in item order or an object keyed by item.",
            fields={"answers": ["Give a list or an object."]},
        )
    errors: dict[str, list[str]] = {}
    parsed = {it["id"]: _parse_value(definition, it, given.get(it["id"]), errors) for it in its}
    if errors:
        first = next(iter(errors.values()))[0]
        raise AnswerError(first, fields=errors)
    return parsed


def _skipped(definition: dict, values: dict[str, int | None]) -> dict[str, dict]:
    """Items a published skip instruction lets the respondent pass over, each
    with the first rule that skips it (the one the respondent's answers
    triggered: "never drinks" rather than a later rule it implies)."""
    skipped: dict[str, dict] = {}
    for rule in definition.get("skip_rules", []):
        when = rule["when_sum_of"]
        vals = [0 if i in skipped else values.get(i) for i in when]
        if all(v is not None for v in vals) and sum(vals) == rule["equals"]:
            for item_id in rule["skip"]:
                skipped.setdefault(item_id, rule)
    return skipped


def _refuse_skipped_answers(definition: dict, values: dict, skipped: dict[str, dict]) -> None:
    """An answer other than the lowest to an item the instrument's own skip
    instruction passes over contradicts the answer that triggered the skip (a
    respondent who never drinks cannot drink 10 or more a day): refused, naming
    the rule. A lowest answer there is what a paper form often carries: it counts
    0 like the skip itself."""
    by_id = {it["id"]: it for it in ins.items(definition)}
    errors: dict[str, list[str]] = {}
    for item_id, rule in skipped.items():
        value = values.get(item_id)
        if value is not None and ins.points(definition, by_id[item_id], value) != 0:
            errors[_field(item_id)] = [
                f"Item {item_id} is skipped by the instructions ({rule['text']}); "
                "leave it unanswered or correct the answer that skips it."
            ]
    if errors:
        raise AnswerError(next(iter(errors.values()))[0], fields=errors)


def _normalise_sex(sex) -> str | None:
    if sex is None or sex == "":
        return None
    if sex in ins.SEXES:
        return sex
    raise AnswerError(
        "Sex must be female or male (or left out).",
        fields={"sex": ["Use female or male, or leave it out."]},
    )


def score(definition: dict, answers, *, sex: str | None = None) -> Score:
    """Score a set of answers; raise AnswerError for answers that do not fit."""
    sex = _normalise_sex(sex)
    values = parse_answers(definition, answers)
    its = ins.items(definition)
    skipped = _skipped(definition, values)
    _refuse_skipped_answers(definition, values, skipped)
    if all(v is None for v in values.values()):
        raise AnswerError(
            "No question is answered: answer at least one, or do not save the form.",
            fields={"answers": ["Answer at least one question."]},
        )
    unanswered = [it for it in its if values[it["id"]] is None and it["id"] not in skipped]
    required = [it for it in unanswered if it.get("required")]
    if required:
        fields = {
            _field(it["id"]): [it.get("required_reason") or f"Item {it['id']} must be answered."]
            for it in required
        }
        raise AnswerError(next(iter(fields.values()))[0], fields=fields)

    def pts(it) -> int:
        value = values[it["id"]]
        if value is None or it["id"] in skipped:
            return 0  # a skipped item counts 0, whatever was written in it
        return ins.points(definition, it, value)

    scoring = definition["scoring"]
    scored_items = [it for it in its if ins.is_scored(it)]
    missing_scored = [it for it in scored_items if it in unanswered]
    lo, hi = ins.total_range(definition) if scoring["method"] == "sum" else (None, None)
    notes: list[str] = []
    total = None
    prorated = False
    if scoring["method"] == "sum":
        if len(missing_scored) <= scoring.get("max_missing", 0):
            raw_sum = sum(pts(it) for it in scored_items)
            if missing_scored and scoring.get("missing") == "prorate":
                answered = len(scored_items) - len(missing_scored)
                n = len(scored_items)
                total = (2 * raw_sum * n + answered) // (2 * answered)  # round half up
                prorated = True
                notes.append(
                    f"Prorated: {len(missing_scored)} item missing "
                    f"({', '.join(it['id'] for it in missing_scored)})."
                )
            else:
                total = raw_sum
        else:
            notes.append(
                f"Not scored: {len(missing_scored)} items missing "
                f"({', '.join(it['id'] for it in missing_scored)}). "
                + scoring.get("missing_rule", "")
            )
    bands, sex_note = ins.bands_for(definition, sex)
    band = ins.band_of(bands, total) if total is not None else None
    if band is not None and sex_note:
        notes.append(sex_note)
    subscales = _subscales(definition, values, skipped, pts)
    if scoring["method"] == "subscales":
        incomplete = [c for c, s in subscales.items() if not s["scored"]]
        if incomplete:
            notes.append("Subscale(s) not scored for missing items: " + ", ".join(incomplete) + ".")
    alerts, warnings = _alerts(definition, values, its)
    scored = (
        total is not None
        if scoring["method"] == "sum"
        else all(s["scored"] for s in subscales.values())
    )
    return Score(
        instrument=definition["code"],
        total=total,
        min=lo,
        max=hi,
        band=band["code"] if band else None,
        band_label=band["label"] if band else None,
        severity=band.get("severity") if band else None,
        severe_band=bool(band and band.get("alert")),
        alerts=alerts,
        warnings=warnings,
        subscales=subscales,
        scored=scored,
        prorated=prorated,
        missing_items=[it["id"] for it in unanswered],
        skipped_items=[it["id"] for it in its if it["id"] in skipped],
        note=" ".join(notes),
        sex=sex,
        answers=values,
    )


def _subscales(definition, values, skipped, pts) -> dict[str, dict]:
    by_id = {it["id"]: it for it in ins.items(definition)}
    out = {}
    for sub in definition.get("subscales", []):
        members = [by_id[i] for i in sub["items"]]
        missing = [
            it["id"] for it in members if values[it["id"]] is None and it["id"] not in skipped
        ]
        lo, hi = ins.total_range(definition, sub["items"])
        value = None if missing else sum(pts(it) for it in members)
        flag = None
        rule = sub.get("flag")
        hit_min = rule and "min" in rule and value is not None and value >= rule["min"]
        hit_max = rule and "max" in rule and value is not None and value <= rule["max"]
        if hit_min or hit_max:
            flag = rule["label"]
        out[sub["code"]] = {
            "label": sub["label"],
            "score": value,
            "min": lo,
            "max": hi,
            "scored": value is not None,
            "missing_items": missing,
            "flag": flag,
            "higher_is": sub.get("higher_is", "worse"),
        }
    return out


def _alerts(definition, values, its) -> tuple[list[str], list[str]]:
    alerts, warnings = [], []
    by_id = {it["id"]: it for it in its}
    for rule in definition.get("alerts", []):
        value = values.get(rule["item"])
        if value is None:
            warnings.append(
                f"Item {rule['item']} ({ins.short_text(by_id[rule['item']], 50)}) was not "
                "answered: ask about it in person."
            )
            if rule.get("when_unanswered") and rule["when_unanswered"] not in alerts:
                alerts.append(rule["when_unanswered"])
        elif value >= rule["min"] and rule["code"] not in alerts:
            alerts.append(rule["code"])
    return alerts, warnings


def alert_label(definition: dict, code: str) -> str:
    for rule in definition.get("alerts", []):
        if rule["code"] == code:
            return rule["label"]
        if rule.get("when_unanswered") == code:
            return rule["unanswered_label"]
    return code.replace("_", " ")
