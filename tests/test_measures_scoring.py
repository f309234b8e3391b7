"""Scores against the published tables, band edge by band edge.

Every expected value below is copied from the instrument's publication, not
from the code:
- PHQ-9: Kroenke, Spitzer & Williams 2001 (J Gen Intern Med 16:606), table 3
  and text: 0-4 none/minimal, 5-9 mild, 10-14 moderate, 15-19 moderately
  severe, 20-27 severe; item 9 is the suicidality item.
- GAD-7: Spitzer et al. 2006 (Arch Intern Med 166:1092): 0-4 minimal, 5-9
  mild, 10-14 moderate, 15-21 severe.
- AUDIT: Babor et al. 2001, WHO manual (WHO/MSD/MSB/01.6a), table 4: zone I
  0-7, II 8-15, III 16-19, IV 20-40; questions 9 and 10 score 0, 2 or 4.
- AUDIT-C: Bush et al. 1998 (Arch Intern Med 158:1789), sex-specific cut-offs
  Bradley et al. 2007: positive at 4 or more (men), 3 or more (women).
- DAST-10: Skinner 1982 (Addict Behav 7:363): "No" to question 3 scores 1;
  0 none, 1-2 low, 3-5 moderate, 6-8 substantial, 9-10 severe.
- PCL-5: Weathers et al. 2013 / National Center for PTSD: 20 items 0-4,
  total 0-80, provisional PTSD at 31-33 (OpenIOP: 33); clusters B 1-5,
  C 6-7, D 8-14, E 15-20.
- BAM: Cacciola et al. 2013 (J Subst Abuse Treat 44:256): use = 4+5+6,
  risk = 1+2+3+8+11+15, protective = 9+10+12+13+14+16; income (14) Yes = 4.
"""

import pytest

from openiop.measures import instruments as ins
from openiop.measures.scoring import AnswerError, score


def d(code):
    return ins.shipped_definition(code)


def spread(total: int, n: int, top: int) -> list[int]:
    """n answers, each 0..top, adding up to `total` (fill from the first item)."""
    out = []
    for _ in range(n):
        v = min(top, total)
        out.append(v)
        total -= v
    assert total == 0
    return out


PHQ9_TABLE = [
    (0, "minimal"),
    (4, "minimal"),
    (5, "mild"),
    (9, "mild"),
    (10, "moderate"),
    (14, "moderate"),
    (15, "moderately_severe"),
    (19, "moderately_severe"),
    (20, "severe"),
    (27, "severe"),
]


@pytest.mark.parametrize(("total", "band"), PHQ9_TABLE)
def test_phq9_band_edges_follow_kroenke_2001(total, band):
    # item 9 kept at 0 so the band alone is tested; the total comes from items 1-8
    answers = [*spread(total, 8, 3), 0] if total <= 24 else [3] * 9
    result = score(d("phq9"), answers)
    assert (result.total, result.band) == (total, band)
    assert result.severe_band == (band == "severe")


def test_phq9_item_9_above_zero_raises_the_self_harm_alert_whatever_the_total():
    result = score(d("phq9"), [0, 0, 0, 0, 0, 0, 0, 0, 1])
    assert result.total == 1 and result.band == "minimal"
    assert result.alerts == ["self_harm_item"]
    assert score(d("phq9"), [3, 3, 3, 3, 3, 3, 3, 3, 0]).alerts == []


def test_phq9_with_one_item_missing_is_prorated_and_says_so():
    result = score(d("phq9"), [2, 2, None, 2, 2, 2, 2, 2, 1])
    # 15 over 8 items, x 9/8 = 16.9 -> 17: moderately severe
    assert result.total == 17 and result.band == "moderately_severe"
    assert result.prorated and result.scored
    assert result.missing_items == ["3"]
    assert "Prorated" in result.note


def test_phq9_with_two_items_missing_is_not_scored_and_says_so():
    result = score(d("phq9"), [2, None, None, 2, 2, 2, 2, 2, 0])
    assert result.total is None and result.band is None and not result.scored
    assert result.missing_items == ["2", "3"]
    assert "Not scored: 2 items missing" in result.note
    assert "more than one item missing" in result.note


def test_phq9_with_item_9_unanswered_is_prorated_and_raises_its_own_alert():
    """Kroenke 2001 scoring instructions: one missing item is prorated (the sum of
    the eight answered x 9/8). A blank item 9 is not a 0: it is a safety alert of
    its own ("ask in person"), never a silent pass."""
    result = score(d("phq9"), [0, 0, 0, 0, 0, 0, 0, 0, None])
    assert result.scored and result.prorated and result.total == 0
    assert result.alerts == ["self_harm_unanswered"]
    full = score(d("phq9"), [3, 3, 3, 3, 3, 3, 3, 3, None])
    assert full.total == 27 and full.band == "severe"  # 24 x 9 / 8
    assert "self_harm_unanswered" in full.alerts
    answered = score(d("phq9"), [0, 0, 0, 0, 0, 0, 0, 0, 0])
    assert answered.alerts == []


def test_a_non_drinker_answering_the_drinking_questions_is_refused():
    """WHO AUDIT manual (Babor 2001), interview version: "If total score for
    Question 1 = 0, skip to Questions 9 and 10". A respondent who never drinks
    scoring 4 on questions 2-8 (28, zone IV) contradicts question 1."""
    with pytest.raises(AnswerError) as exc:
        score(d("audit"), [0, 4, 4, 4, 4, 4, 4, 4, 0, 0])
    assert {f"answers.{i}" for i in "2345678"} <= set(exc.value.fields)
    assert "skipped" in exc.value.message
    zeros = score(d("audit"), [0, 0, 0, 0, 0, 0, 0, 0, 0, 0])  # a paper form's zeros
    assert zeros.total == 0 and zeros.band == "zone_1"


def test_audit_c_refuses_quantities_from_someone_who_never_drinks():
    """AUDIT-C (Bush 1998): question 1 "Never" scores questions 2 and 3 as 0."""
    with pytest.raises(AnswerError) as exc:
        score(d("auditc"), [0, 2, 2])
    assert "answers.2" in exc.value.fields and "answers.3" in exc.value.fields
    assert score(d("auditc"), [0, None, None]).total == 0


def test_bam_skips_heavy_drinking_days_when_no_drinking_days():
    """BAM (Cacciola 2013): question 5 (days of heavy drinking) follows question 4
    (days of any drinking); with 0 drinking days it is skipped."""
    answers = bam()
    answers["5"] = None
    result = score(d("bam"), answers)
    assert "5" in result.skipped_items and result.subscales["use"]["scored"]
    answers["5"] = 3
    with pytest.raises(AnswerError) as exc:
        score(d("bam"), answers)
    assert "answers.5" in exc.value.fields


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "minimal"),
        (4, "minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "severe"),
        (21, "severe"),
    ],
)
def test_gad7_band_edges_follow_spitzer_2006(total, band):
    result = score(d("gad7"), spread(total, 7, 3))
    assert (result.total, result.band) == (total, band)


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (7, "zone_1"),
        (8, "zone_2"),
        (15, "zone_2"),
        (16, "zone_3"),
        (19, "zone_3"),
        (20, "zone_4"),
        (40, "zone_4"),
    ],
)
def test_audit_zones_follow_the_who_manual(total, band):
    # questions 1-8 carry up to 32, questions 9 and 10 add 0, 2 or 4 each
    last = min(8, total - min(total, 32))
    first = spread(total - last, 8, 4)
    answers = [*first, *([4, 4] if last == 8 else [last, 0] if last else [0, 0])]
    result = score(d("audit"), answers)
    assert (result.total, result.band) == (total, band)


def test_audit_zone_one_starts_at_zero_for_a_non_drinker():
    result = score(d("audit"), [0, None, None, None, None, None, None, None, 0, 0])
    assert (result.total, result.band, result.scored) == (0, "zone_1", True)
    assert result.skipped_items == ["2", "3", "4", "5", "6", "7", "8"]


def test_audit_skip_after_questions_2_and_3_scoring_zero():
    result = score(d("audit"), [1, 0, 0, None, None, None, None, None, 2, 0])
    assert result.total == 3 and result.scored
    assert result.skipped_items == ["4", "5", "6", "7", "8"]


def test_audit_with_an_unanswered_question_is_not_scored():
    result = score(d("audit"), [2, 1, 1, None, 0, 0, 0, 0, 0, 0])
    assert not result.scored and result.missing_items == ["4"]


def test_audit_questions_9_and_10_only_take_0_2_or_4():
    with pytest.raises(AnswerError) as exc:
        score(d("audit"), [1, 1, 1, 0, 0, 0, 0, 0, 1, 0])
    assert list(exc.value.fields) == ["answers.9"]
    assert "Item 9" in exc.value.message


@pytest.mark.parametrize(
    ("answers", "sex", "band"),
    [
        ([1, 1, 1], "male", "negative"),  # 3: below the men's cut-off of 4
        ([2, 1, 1], "male", "positive"),  # 4
        ([1, 1, 0], "female", "negative"),  # 2
        ([1, 1, 1], "female", "positive"),  # 3: the women's cut-off
        ([4, 4, 4], "female", "positive"),  # 12
        ([0, None, None], "male", "negative"),  # never drinks: 2 and 3 count 0
    ],
)
def test_audit_c_uses_the_sex_specific_cut_off(answers, sex, band):
    assert score(d("auditc"), answers, sex=sex).band == band


def test_audit_c_without_sex_uses_the_lower_cut_off_and_says_so():
    result = score(d("auditc"), [1, 1, 1])
    assert result.band == "positive"
    assert "lower (women's) cut-off" in result.note


YES, NO = "yes", "no"


@pytest.mark.parametrize(
    ("yes_items", "total", "band"),
    [
        ({3}, 0, "none"),  # yes to "always able to stop", no to the rest
        (set(), 1, "low"),  # all No: question 3's No scores 1
        ({1, 3}, 1, "low"),
        ({1, 2}, 3, "moderate"),
        ({1, 2, 3, 4, 5, 6}, 5, "moderate"),
        ({1, 2, 4, 5, 6}, 6, "substantial"),
        ({1, 2, 4, 5, 6, 7, 8}, 8, "substantial"),
        ({1, 2, 4, 5, 6, 7, 8, 9}, 9, "severe"),
        ({1, 2, 4, 5, 6, 7, 8, 9, 10}, 10, "severe"),
    ],
)
def test_dast10_reverses_item_3_and_follows_skinners_bands(yes_items, total, band):
    answers = [YES if n in yes_items else NO for n in range(1, 11)]
    result = score(d("dast10"), answers)
    assert (result.total, result.band) == (total, band)
    # 1/0 as given on the form score the same
    assert score(d("dast10"), [1 if a == YES else 0 for a in answers]).total == total


@pytest.mark.parametrize(
    ("total", "band"),
    [(0, "below_cutoff"), (32, "below_cutoff"), (33, "probable_ptsd"), (80, "probable_ptsd")],
)
def test_pcl5_provisional_cut_off(total, band):
    result = score(d("pcl5"), spread(total, 20, 4))
    assert (result.total, result.band) == (total, band)


def test_pcl5_cluster_subscales():
    answers = [1] * 5 + [2] * 2 + [3] * 7 + [4] * 6
    result = score(d("pcl5"), answers)
    assert result.total == 5 + 4 + 21 + 24
    assert {k: v["score"] for k, v in result.subscales.items()} == {
        "b": 5,
        "c": 4,
        "d": 21,
        "e": 24,
    }


BAM_ITEMS = ["1", "2", "3", "4", "5", "6"] + [f"7{c}" for c in "abcdefg"]
BAM_ITEMS += [str(n) for n in range(8, 18)]


def bam(**values):
    return {i: values.get(f"i{i}", 0) for i in BAM_ITEMS}


def test_bam_subscales_follow_cacciola_2013():
    answers = bam(i1=3, i2=2, i3=1, i4=1, i5=1, i6=2, i8=2, i9=3, i10=1, i11=1, i12=2, i13=4)
    answers.update({"14": "yes", "15": 2, "16": 3, "17": 1, "7a": 2, "7c": 1})
    result = score(d("bam"), answers)
    subs = {k: v["score"] for k, v in result.subscales.items()}
    assert subs == {
        "use": 1 + 1 + 2,
        "risk": 3 + 2 + 1 + 2 + 1 + 2,
        "protective": 3 + 1 + 2 + 4 + 4 + 3,
    }
    assert result.total is None and result.band is None and result.scored
    assert result.subscales["use"]["flag"] == "Any alcohol or drug use"
    assert result.subscales["risk"]["flag"] is None  # 11: below 12
    assert result.subscales["protective"]["flag"] is None  # 17: above 12


def test_bam_skips_7a_to_7g_without_drug_use_and_scores_a_subscale_only_when_complete():
    answers = bam(i9=1, i10=0, i12=0, i13=0, i16=0)
    for i in "abcdefg":
        answers[f"7{i}"] = None
    answers["11"] = None
    result = score(d("bam"), answers)
    assert result.skipped_items == ["5"] + [f"7{c}" for c in "abcdefg"]  # no drinking days
    assert result.subscales["risk"]["score"] is None
    assert result.subscales["use"]["score"] == 0
    assert result.subscales["protective"]["score"] == 1
    assert result.subscales["protective"]["flag"] == "Few protective factors"
    assert not result.scored and "risk" in result.note


def test_wrong_number_of_answers_is_refused_with_the_item_count():
    with pytest.raises(AnswerError) as exc:
        score(d("gad7"), [1, 2, 3])
    assert "7 items" in exc.value.message and "3 answers" in exc.value.message


def test_an_unknown_item_and_a_bad_sex_are_refused():
    with pytest.raises(AnswerError) as exc:
        score(d("gad7"), {"8": 1})
    assert "answers.8" in exc.value.fields
    with pytest.raises(AnswerError) as exc:
        score(d("auditc"), [1, 1, 1], sex="other")
    assert "sex" in exc.value.fields


def test_every_wrong_item_is_named_at_once():
    with pytest.raises(AnswerError) as exc:
        score(d("gad7"), [4, 0, 0, "often", 0, 0, -1])
    assert set(exc.value.fields) == {"answers.1", "answers.4", "answers.7"}


def test_comma_text_from_the_command_line_scores_like_a_list():
    assert score(d("phq9"), "1,1,1,1,1,1,1,1,0").total == 8
    assert score(d("phq9"), "1,,1,1,1,1,1,1,0").total == 8  # 7 x 9/8 = 7.9 -> 8


@pytest.mark.parametrize("code", ins.SHIPPED_CODES)
def test_every_shipped_definition_is_valid_and_carries_source_and_licence(code):
    definition = d(code)
    ins.validate_definition(definition)
    assert definition["source"] and definition["licence"]


def test_the_shipped_loinc_codes_are_those_of_the_domain_reference():
    assert d("phq9")["loinc"] == {"panel": "44249-1", "total": "44261-6", "items": {"9": "44260-8"}}
    assert (d("gad7")["loinc"]["panel"], d("gad7")["loinc"]["total"]) == ("69737-5", "70274-6")
    assert (d("audit")["loinc"]["panel"], d("audit")["loinc"]["total"]) == ("72110-0", "75624-7")
    assert (d("auditc")["loinc"]["panel"], d("auditc")["loinc"]["total"]) == ("72109-2", "75626-2")


def test_a_definition_with_a_gap_between_bands_is_refused():
    definition = d("gad7")
    definition["bands"][1]["min"] = 6  # 5 belongs to no band
    with pytest.raises(ins.DefinitionError) as exc:
        ins.validate_definition(definition)
    assert "without gaps or overlaps" in str(exc.value)


def test_a_definition_whose_bands_stop_short_or_reverse_an_unknown_item_is_refused():
    definition = d("gad7")
    definition["bands"][-1]["max"] = 20
    definition["scoring"]["reverse"] = ["9"]
    with pytest.raises(ins.DefinitionError) as exc:
        ins.validate_definition(definition)
    assert any("no item '9'" in p for p in exc.value.problems)
    assert any("highest total, 21" in p for p in exc.value.problems)
