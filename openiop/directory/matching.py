"""The guided match: a few answers in, a ranked list of intensive outpatient
programs out, each with the reasons it fits and what to check.

Hard limits (a program is left out): farther than the person can travel, no
intensive outpatient care, not treating what they need, or listing ages that
exclude them. Everything else adds or removes points, and each point is
explained in words, so the ranking is never a black box.
"""

from dataclasses import dataclass, field

from openiop.core.errors import ApplicationError
from openiop.directory import features as FT
from openiop.directory.geo import Place, distance_miles, distance_words, place_for
from openiop.directory.models import Facility
from openiop.directory.search import Query, candidates, cards
from openiop.directory.services import programs_sync_if_changed

DISTANCES = (5, 10, 25, 50, 100)
TIMES = {
    "daytime": "Weekday daytime",
    "evening": "Evenings",
    "weekend": "Weekends",
    "online": "Online (telehealth)",
}
NEEDS = {
    "substance_use": "Alcohol or drug use",
    "mental_health": "Mental health (depression, anxiety, trauma...)",
    "both": "Both (co-occurring / dual diagnosis)",
    "not_sure": "Not sure yet",
}
AGES = {
    "under_18": "Under 18",
    "18_25": "18 to 25",
    "26_64": "26 to 64",
    "65_plus": "65 or older",
}
INSURANCE = {
    "medicaid": "Medicaid (e.g. Oregon Health Plan)",
    "medicare": "Medicare",
    "private": "Private insurance (through work or the marketplace)",
    "military": "TRICARE or other military insurance",
    "none": "No insurance: paying myself",
    "not_sure": "Not sure",
}
FAMILY = {"yes": "Yes, I'd like family involved", "no": "Not needed"}
RESULTS = 20

_AGE_SLUGS = {
    "under_18": {"adolescents"},
    "18_25": {"young_adults", "adults"},
    "26_64": {"adults"},
    "65_plus": {"seniors", "adults"},
}
_AGE_MASK = FT.mask_of(f"age:{f.slug}" for f in FT.BY_GROUP["age"])
_SCHEDULE_MASK = FT.mask_of(f"schedule:{f.slug}" for f in FT.BY_GROUP["schedule"])


def _m(key: str) -> int:
    return FT.BY_KEY[key].mask


@dataclass(frozen=True)
class Answers:
    near: str
    max_miles: int
    times: tuple[str, ...]
    need: str
    age: str
    insurance: str
    family: str
    language: str

    def as_dict(self) -> dict:
        return {
            "near": self.near,
            "max_miles": self.max_miles,
            "times": list(self.times),
            "need": self.need,
            "age": self.age,
            "insurance": self.insurance,
            "family": self.family,
            "language": self.language,
        }


def clean_answers(raw: dict) -> tuple[Answers, Place]:
    """Check the answers; ApplicationError names each bad one."""
    errors: dict[str, list[str]] = {}

    def pick(name, choices, default=None):
        value = raw.get(name, default)
        if value not in choices:
            errors[name] = [f"Choose one of: {', '.join(map(str, choices))}."]
        return value

    place = None
    try:
        place = place_for(raw.get("near"))
    except ApplicationError as exc:
        errors["near"] = [exc.message]
    try:
        max_miles = int(raw.get("max_miles", 25))
    except (TypeError, ValueError):
        max_miles = -1
    if max_miles not in DISTANCES:
        errors["max_miles"] = [f"Choose {', '.join(map(str, DISTANCES))} miles."]
    times = raw.get("times") or []
    if isinstance(times, str):
        times = [times]
    if not isinstance(times, list | tuple) or any(t not in TIMES for t in times):
        errors["times"] = [f"Choose from: {', '.join(TIMES)}."]
        times = []
    need = pick("need", NEEDS, "not_sure")
    age = pick("age", AGES)
    insurance = pick("insurance", INSURANCE, "not_sure")
    family = pick("family", FAMILY, "no")
    language = raw.get("language") or "english"
    if language != "english" and language not in FT.LANGUAGES:
        errors["language"] = ["Choose a language from the list."]
    if errors:
        first = next(iter(errors.values()))[0]
        raise ApplicationError(first, fields=errors)
    answers = Answers(
        near=str(raw.get("near")).strip(),
        max_miles=max_miles,
        times=tuple(dict.fromkeys(times)),
        need=need,
        age=age,
        insurance=insurance,
        family=family,
        language=language,
    )
    return answers, place


@dataclass
class Match:
    facility_id: int
    distance: float
    score: int
    reasons: list[str]
    cautions: list[str]
    facility: Facility | None = None
    distance_label: str = ""  # "3.3 mi"; "about 3 mi" to an approximate location

    def word_distance(self) -> None:
        """The distance in words, "about" it for a facility placed at its ZIP
        code's centre (judge() wrote it as exact)."""
        f = self.facility
        where = {"approximate": f.location_approximate, "zip_code": f.zip_code}
        self.distance_label = distance_words(self.distance, unit="mi", **where)
        if f.location_approximate:
            exact = f"{self.distance:.1f} miles"
            words = distance_words(self.distance, **where)
            self.reasons = [words if r == exact else r for r in self.reasons]


@dataclass
class Matcher:
    answers: Answers
    place: Place
    notes: list[str] = field(default_factory=list)

    def judge(self, bits: int, langs: str, distance: float) -> tuple[int, list, list] | None:
        """(score, reasons, cautions), or None when the program is ruled out."""
        a = self.answers
        if not bits & _m("level_of_care:iop"):
            return None
        score, reasons, cautions = 0, [], []
        su = bits & _m("focus:substance_use")
        mh = bits & _m("focus:mental_health")
        co = bits & _m("focus:co_occurring")
        if a.need == "substance_use":
            if not (su or co):
                return None
            score += 20
            reasons.append("treats substance use")
        elif a.need == "mental_health":
            if mh:
                score += 20
                reasons.append("treats mental health")
            elif co:
                score += 5
                cautions.append("treats mental health only together with substance use")
            else:
                return None
        elif a.need == "both":
            if co:
                score += 30
                reasons.append("co-occurring (dual diagnosis) treatment")
            elif su and mh:
                score += 20
                reasons.append("treats substance use and mental health")
            else:
                # treating one and not the other is a poor fit, whatever the hours
                score -= 20
                cautions.append("does not list co-occurring (dual diagnosis) treatment")

        wanted_ages = _AGE_SLUGS[a.age]
        if bits & _AGE_MASK:
            if any(bits & _m(f"age:{s}") for s in wanted_ages):
                score += 10
                reasons.append(f"accepts people {AGES[a.age].lower()}")
            else:
                return None
        else:
            cautions.append("ages accepted are not listed")

        if a.insurance in ("medicaid", "medicare", "private", "military"):
            feat = FT.feature("payment", a.insurance)
            if bits & feat.mask:
                score += 25
                reasons.append(feat.reason)
            else:
                score -= 10
                cautions.append(f"does not list {feat.label}")
        elif a.insurance == "none":
            if bits & _m("payment:sliding_scale"):
                score += 15
                reasons.append("sliding fee scale")
            if bits & _m("payment:self_pay"):
                score += 10
                reasons.append("self-pay accepted")
            if bits & _m("payment:assistance"):
                score += 5
                reasons.append("payment assistance")

        wants_times = [t for t in a.times if t != "online"]
        if wants_times:
            if bits & _SCHEDULE_MASK:
                for t in wants_times:
                    feat = FT.feature("schedule", t)
                    if bits & feat.mask:
                        score += 15
                        reasons.append(feat.reason)
                    else:
                        score -= 10
                        cautions.append(f"no {feat.label.lower()} sessions")
            else:
                cautions.append("session times are not published: ask")
        if "online" in a.times:
            if bits & _m("telehealth:telehealth"):
                score += 15
                reasons.append("telehealth")
            else:
                cautions.append("does not list telehealth")

        if a.family == "yes":
            if bits & _m("family:family_counseling"):
                score += 10
                reasons.append("family counseling")
            else:
                cautions.append("no family program listed")

        if a.language != "english":
            label = FT.language_label(a.language)
            if f"|{a.language}|" in langs:
                score += 25
                reasons.append(f"services in {label}")
            else:
                score -= 15
                cautions.append(f"does not list services in {label}")

        score += FT.quality(bits)
        score -= round(15 * distance / a.max_miles)
        reasons.append(f"{distance:.1f} miles")
        return score, reasons, cautions


def _query(answers: Answers, place: Place) -> Query:
    return Query(
        place=place,
        radius_miles=float(answers.max_miles),
        filters=(("level_of_care", ("iop",)),),
    )


def run_match(answers: Answers, place: Place) -> list[Match]:
    """The ranked list (best first) for these answers."""
    programs_sync_if_changed()
    matcher = Matcher(answers, place)
    matches = []
    for pk, lat, lon, bits, langs in candidates(_query(answers, place)):
        d = distance_miles(place.latitude, place.longitude, lat, lon)
        if d > answers.max_miles:
            continue
        judged = matcher.judge(bits, langs, d)
        if judged is None:
            continue
        score, reasons, cautions = judged
        matches.append(Match(pk, d, score, reasons, cautions))
    matches.sort(key=lambda m: (-m.score, m.distance, m.facility_id))
    matches = matches[:RESULTS]
    found = cards(m.facility_id for m in matches)
    for m in matches:
        m.facility = found[m.facility_id]
        m.word_distance()
    return matches


def judge_listed(answers: Answers, place: Place, facilities: list[Facility]) -> list[Match]:
    """Reasons and cautions for saved programs (a shortlist), in their saved order."""
    matcher = Matcher(answers, place)
    out = []
    for f in facilities:
        d = distance_miles(place.latitude, place.longitude, f.latitude, f.longitude)
        judged = matcher.judge(f.features, f.languages, d)
        if judged is None:
            score, reasons, cautions = 0, [f"{d:.1f} miles"], ["no longer fits these answers"]
        else:
            score, reasons, cautions = judged
        out.append(Match(f.pk, d, score, reasons, cautions, facility=f))
        out[-1].word_distance()
    return out
