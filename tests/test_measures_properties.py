"""Property tests of the scorer over every shipped instrument: a complete set
of answers always scores within the instrument's range and falls in exactly
one band; missing answers are scored only within the instrument's rule."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openiop.measures import instruments as ins
from openiop.measures.scoring import AnswerError, score

DEFS = ins.shipped_definitions()
SUMMED = [c for c, d in DEFS.items() if d["scoring"]["method"] == "sum"]


def follow_skips(d, answers: list) -> list:
    """Answers as a respondent following the instrument's skip instructions
    gives them: an item a rule passes over is left empty."""
    ids = [it["id"] for it in d["items"]]
    values = dict(zip(ids, answers, strict=True))
    skipped: set[str] = set()
    for rule in d.get("skip_rules", []):
        when = [0 if i in skipped else values[i] for i in rule["when_sum_of"]]
        if all(v is not None for v in when) and sum(when) == rule["equals"]:
            skipped |= set(rule["skip"])
    return [None if i in skipped else values[i] for i in ids]


def complete_answers(code):
    d = DEFS[code]
    return st.tuples(
        *[st.sampled_from([o["value"] for o in ins.options_of(d, it)]) for it in d["items"]]
    ).map(lambda answers: follow_skips(d, list(answers)))


SKIPPING = [c for c, d in DEFS.items() if d.get("skip_rules")]


@pytest.mark.parametrize("code", SKIPPING)
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_an_answer_above_the_lowest_to_a_skipped_item_is_refused(code, data):
    d = DEFS[code]
    answers = list(data.draw(complete_answers(code)))
    ids = [it["id"] for it in d["items"]]
    skipped = [i for i, a in zip(ids, answers, strict=True) if a is None]
    if not skipped:
        return
    target = data.draw(st.sampled_from(skipped))
    item = d["items"][ids.index(target)]
    higher = [o["value"] for o in ins.options_of(d, item) if ins.points(d, item, o["value"]) > 0]
    answers[ids.index(target)] = data.draw(st.sampled_from(higher))
    with pytest.raises(AnswerError) as exc:
        score(d, answers)
    assert f"answers.{target}" in exc.value.fields


@pytest.mark.parametrize("code", ins.SHIPPED_CODES)
def test_bands_cover_every_possible_total_exactly_once(code):
    d = DEFS[code]
    if d["scoring"]["method"] != "sum":
        return
    lo, hi = ins.total_range(d)
    for bands in ins.band_sets(d).values():
        for total in range(lo, hi + 1):
            assert sum(1 for b in bands if b["min"] <= total <= b["max"]) == 1, (code, total)


@pytest.mark.parametrize("code", ins.SHIPPED_CODES)
@settings(max_examples=60, deadline=None)
@given(data=st.data(), sex=st.sampled_from([None, "female", "male"]))
def test_a_complete_response_scores_in_range_and_in_its_band(code, data, sex):
    d = DEFS[code]
    answers = list(data.draw(complete_answers(code)))
    result = score(d, answers, sex=sex)
    assert result.scored, (answers, result.note)
    if d["scoring"]["method"] == "sum":
        assert result.min <= result.total <= result.max
        band = next(b for b in ins.bands_for(d, sex)[0] if b["code"] == result.band)
        assert band["min"] <= result.total <= band["max"]
    for sub in result.subscales.values():
        assert sub["min"] <= sub["score"] <= sub["max"]


@pytest.mark.parametrize("code", SUMMED)
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_missing_items_are_scored_only_within_the_rule(code, data):
    d = DEFS[code]
    answers = list(data.draw(complete_answers(code)))
    optional = [i for i, it in enumerate(d["items"]) if not it.get("required")]
    gone = data.draw(st.sets(st.sampled_from(optional), max_size=3))
    for i in gone:
        answers[i] = None
    if all(a is None for a in answers):  # nothing answered at all: refused, not scored
        with pytest.raises(AnswerError):
            score(d, answers)
        return
    result = score(d, answers)
    counted = [d["items"][i]["id"] for i in gone if d["items"][i]["id"] not in result.skipped_items]
    allowed = d["scoring"]["max_missing"]
    assert result.scored == (len(counted) <= allowed)
    if result.scored:
        assert result.min <= result.total <= result.max
        assert result.prorated == bool(counted)
