"""What the finder can filter on, as data.

Each feature is one bit of `Facility.features`. Imported facilities get their
bits from FindTreatment.gov service codes (`f2`) and values (`f3`); OpenIOP
programs get them from their own settings (see `program_features`). The search
and the naive full scan both test these bits, so a filter means exactly one
thing everywhere.

Bit numbers are stored in the database: never reuse or renumber one without
running `openiop directory refresh`, which recomputes every facility's bits
from its stored services.
"""

import re
from dataclasses import dataclass

# How the values of one filter combine: "any" (payment=medicaid&payment=private
# finds facilities that take either) or "all" (special=veterans&special=trauma
# finds facilities with both programs).
ANY, ALL = "any", "all"


@dataclass(frozen=True)
class Group:
    name: str
    label: str
    combine: str
    help: str = ""


GROUPS: dict[str, Group] = {
    g.name: g
    for g in [
        Group("level_of_care", "Level of care", ANY),
        Group("focus", "Treats", ANY),
        Group("schedule", "Sessions", ANY, "Only programs that publish their tracks list hours."),
        Group("payment", "Payment", ANY),
        Group("age", "Ages accepted", ANY),
        Group("sex", "Sex accepted", ANY),
        Group("special", "Special programs", ALL),
        Group("family", "Family", ALL),
        Group("telehealth", "Telehealth", ALL),
        Group("accreditation", "Accreditation", ANY),
        Group("services", "Services", ALL),
        Group("outcomes", "Outcomes", ALL),
    ]
}


@dataclass(frozen=True)
class Feature:
    group: str
    slug: str
    bit: int
    label: str
    reason: str
    # (f2 code, f3 value) pairs; the value matches case-insensitively and
    # exactly, or as a prefix when it ends in "*", or anywhere when it starts
    # with "~". An empty tuple: only OpenIOP programs can have this feature.
    sources: tuple[tuple[str, str], ...] = ()

    @property
    def mask(self) -> int:
        return 1 << self.bit

    @property
    def key(self) -> str:
        return f"{self.group}:{self.slug}"


def _f(group, slug, bit, label, reason, *sources):
    return Feature(group, slug, bit, label, reason, tuple(sources))


FEATURES: list[Feature] = [
    # level of care (SET): the three outpatient levels a person chooses between
    _f(
        "level_of_care",
        "iop",
        0,
        "Intensive outpatient (IOP)",
        "intensive outpatient",
        ("SET", "Intensive outpatient treatment"),
    ),
    _f(
        "level_of_care",
        "php",
        1,
        "Partial hospitalization (PHP)",
        "partial hospitalization",
        ("SET", "Outpatient day treatment or partial hospitalization"),
        ("SET", "Partial hospitalization/day treatment"),
    ),
    _f(
        "level_of_care",
        "op",
        2,
        "Regular outpatient",
        "regular outpatient",
        ("SET", "Regular outpatient treatment"),
    ),
    # what is treated (TC)
    _f(
        "focus",
        "substance_use",
        3,
        "Substance use",
        "substance use treatment",
        ("TC", "Substance use treatment"),
    ),
    _f(
        "focus",
        "mental_health",
        4,
        "Mental health",
        "mental health treatment",
        ("TC", "Mental health treatment"),
    ),
    _f(
        "focus",
        "co_occurring",
        5,
        "Co-occurring (dual diagnosis)",
        "co-occurring treatment",
        ("TC", "Treatment for co-occurring*"),
        ("SG", "Clients with co-occurring mental and substance use disorders"),
    ),
    # session times: FindTreatment.gov does not publish them; OpenIOP tracks do
    _f("schedule", "daytime", 6, "Daytime on weekdays", "daytime track"),
    _f("schedule", "evening", 7, "Evenings", "evening track"),
    _f("schedule", "weekend", 8, "Weekends", "weekend track"),
    # payment (PAY, PYAS)
    _f("payment", "medicaid", 9, "Medicaid", "accepts Medicaid", ("PAY", "Medicaid")),
    _f("payment", "medicare", 10, "Medicare", "accepts Medicare", ("PAY", "Medicare")),
    _f(
        "payment",
        "private",
        11,
        "Private insurance",
        "accepts private insurance",
        ("PAY", "Private health insurance"),
    ),
    _f(
        "payment",
        "military",
        12,
        "Military insurance (TRICARE)",
        "accepts TRICARE",
        ("PAY", "~tricare"),
    ),
    _f("payment", "self_pay", 13, "Self-pay", "self-pay accepted", ("PAY", "Cash or self-payment")),
    _f(
        "payment",
        "sliding_scale",
        14,
        "Sliding fee scale",
        "sliding fee scale",
        ("PYAS", "Sliding fee scale*"),
    ),
    _f(
        "payment",
        "state_plan",
        15,
        "State health plan (not Medicaid)",
        "accepts the state health plan",
        ("PAY", "State-financed health insurance plan other than Medicaid"),
    ),
    _f(
        "payment",
        "ihs_tribal",
        16,
        "IHS / tribal / urban (ITU) funds",
        "accepts IHS/tribal/urban funds",
        ("PAY", "IHS/Tribal/Urban (ITU) funds"),
    ),
    _f(
        "payment",
        "assistance",
        17,
        "Payment assistance",
        "payment assistance",
        ("PYAS", "Payment assistance*"),
    ),
    # ages (AGE) and sex (SN) accepted
    _f("age", "adults", 18, "Adults", "adults", ("AGE", "Adults")),
    _f("age", "young_adults", 19, "Young adults", "young adults", ("AGE", "Young Adults")),
    _f(
        "age",
        "adolescents",
        20,
        "Adolescents",
        "adolescents",
        ("AGE", "Children/Adolescents"),
        ("AGE", "Adolescents"),
    ),
    _f("age", "seniors", 21, "Seniors", "seniors", ("AGE", "Seniors")),
    _f("sex", "female", 22, "Women", "accepts women", ("SN", "Female")),
    _f("sex", "male", 23, "Men", "accepts men", ("SN", "Male")),
    # special programs (SG, EXCL)
    _f("special", "veterans", 24, "Veterans", "program for veterans", ("SG", "Veterans")),
    _f(
        "special",
        "active_military",
        25,
        "Active duty military",
        "program for active duty military",
        ("SG", "Active duty military"),
    ),
    _f(
        "special",
        "military_families",
        26,
        "Military families",
        "program for military families",
        ("SG", "Members of military families"),
    ),
    _f(
        "special",
        "pregnant",
        27,
        "Pregnant or postpartum women",
        "program for pregnant/postpartum women",
        ("SG", "Pregnant/postpartum women"),
    ),
    _f(
        "special",
        "trauma",
        28,
        "People who have experienced trauma",
        "trauma program",
        ("SG", "Clients who have experienced trauma"),
    ),
    _f(
        "special",
        "adolescents",
        29,
        "Adolescents",
        "program for adolescents",
        ("SG", "Adolescents"),
    ),
    _f(
        "special",
        "young_adults",
        30,
        "Young adults",
        "program for young adults",
        ("SG", "Young adults"),
    ),
    _f(
        "special",
        "seniors",
        31,
        "Seniors",
        "program for seniors",
        ("SG", "Seniors or older adults"),
    ),
    _f(
        "special",
        "lgbtq",
        32,
        "LGBTQ+ people",
        "LGBTQ+ program",
        ("SG", "~lgbt"),
        ("SG", "Lesbian, gay*"),
    ),
    _f("special", "women", 33, "Women", "program for women", ("SG", "Adult women")),
    _f("special", "men", 34, "Men", "program for men", ("SG", "Adult men")),
    _f(
        "special",
        "criminal_justice",
        35,
        "Criminal justice clients",
        "program for criminal justice clients",
        ("SG", "Criminal justice*"),
    ),
    _f(
        "special",
        "domestic_violence",
        36,
        "Survivors of domestic violence",
        "program for survivors of domestic violence",
        ("SG", "Clients who have experienced intimate partner violence*"),
    ),
    _f(
        "special",
        "dui",
        37,
        "DUI/DWI",
        "DUI/DWI program",
        ("EXCL", "Specially designed program for DUI/DWI clients"),
        ("SG", "DUI/DWI*"),
    ),
    # family involvement (ECS) and telehealth (TAP)
    _f(
        "family",
        "family_counseling",
        38,
        "Family counseling or family program",
        "family counseling",
        ("ECS", "Family counseling"),
    ),
    _f(
        "family",
        "couples",
        39,
        "Couples counseling",
        "couples counseling",
        ("ECS", "Marital/couples counseling"),
    ),
    _f(
        "telehealth",
        "telehealth",
        40,
        "Telehealth",
        "telehealth",
        ("TAP", "Telemedicine/telehealth therapy"),
    ),
    # accreditation (LCA)
    _f(
        "accreditation",
        "carf",
        41,
        "CARF",
        "CARF accredited",
        ("LCA", "Commission on Accreditation of Rehabilitation Facilities (CARF)"),
    ),
    _f(
        "accreditation",
        "joint_commission",
        42,
        "The Joint Commission",
        "Joint Commission accredited",
        ("LCA", "The Joint Commission"),
    ),
    _f(
        "accreditation",
        "coa",
        43,
        "Council on Accreditation (COA)",
        "COA accredited",
        ("LCA", "Council on Accreditation (COA)"),
    ),
    # services people ask about
    _f(
        "services",
        "medications",
        44,
        "Medications for addiction (MAT)",
        "medications for addiction treatment",
        ("OM", "*"),
        ("PHR", "*"),
    ),
    _f(
        "services",
        "relapse_prevention",
        45,
        "Relapse prevention",
        "relapse prevention",
        ("TAP", "Relapse prevention"),
    ),
    _f(
        "services",
        "trauma_counseling",
        46,
        "Trauma-related counseling",
        "trauma-related counseling",
        ("TAP", "Trauma-related counseling"),
    ),
    _f(
        "services",
        "peer_support",
        47,
        "Peer support",
        "peer support",
        ("RSS", "Mentoring/peer support"),
        ("RSS", "Recovery coach"),
    ),
    _f(
        "services",
        "aftercare",
        48,
        "Aftercare",
        "aftercare",
        ("TRSRV", "Aftercare/continuing care"),
    ),
    _f(
        "services",
        "outcome_followup",
        49,
        "Follow-up after discharge",
        "follows up after discharge",
        ("TRSRV", "Outcome follow-up after discharge"),
    ),
    _f(
        "services",
        "transportation",
        50,
        "Transportation help",
        "transportation help",
        ("AS", "Transportation assistance"),
    ),
    _f(
        "services",
        "childcare",
        51,
        "Child care",
        "child care",
        ("AS", "Child care for clients' children"),
    ),
    _f(
        "services",
        "mental_health_services",
        52,
        "Mental health services",
        "mental health services",
        ("AS", "Mental health services"),
    ),
    # measured outcomes a program chose to publish (OpenIOP programs only)
    _f("outcomes", "published", 53, "Publishes measured outcomes", "publishes outcomes"),
    # residential and detox settings: shown on a facility, not a filter here
    _f(
        "other",
        "residential",
        54,
        "Residential",
        "residential",
        ("SET", "~residential"),
    ),
    _f(
        "other",
        "detox",
        55,
        "Detoxification",
        "detoxification",
        ("SET", "~detox"),
        ("TC", "Detoxification"),
    ),
]

BY_KEY: dict[str, Feature] = {f.key: f for f in FEATURES}
BY_GROUP: dict[str, list[Feature]] = {}
for _feature in FEATURES:
    BY_GROUP.setdefault(_feature.group, []).append(_feature)

# Groups whose single feature is a yes/no question ("family=true").
FLAG_GROUPS = {"telehealth": "telehealth", "outcomes": "published"}

# The "fit" sort: what people ask an IOP about, beyond what they filtered on.
QUALITY_SIGNALS: dict[str, int] = {
    "outcomes:published": 4,
    "focus:co_occurring": 2,
    "family:family_counseling": 2,
    "schedule:evening": 2,
    "schedule:weekend": 2,
    "accreditation:carf": 2,
    "accreditation:joint_commission": 2,
    "accreditation:coa": 2,
    "telehealth:telehealth": 1,
    "services:aftercare": 1,
    "services:outcome_followup": 1,
    "services:peer_support": 1,
    "payment:sliding_scale": 1,
}
QUALITY_WEIGHTS: list[tuple[int, int]] = [(BY_KEY[k].mask, w) for k, w in QUALITY_SIGNALS.items()]


def feature(group: str, slug: str) -> Feature:
    return BY_KEY[f"{group}:{slug}"]


def mask_of(keys) -> int:
    m = 0
    for k in keys:
        m |= BY_KEY[k].mask
    return m


def _norm(text: str) -> str:
    return " ".join(str(text).split()).casefold()


def _matches(pattern: str, value: str) -> bool:
    p = _norm(pattern)
    if p == "*":
        return bool(value)
    if p.startswith("~"):
        return p[1:] in value
    if p.endswith("*"):
        return value.startswith(p[:-1])
    return value == p


# code -> [(pattern, feature)]
_BY_CODE: dict[str, list[tuple[str, Feature]]] = {}
for _feature in FEATURES:
    for _code, _pattern in _feature.sources:
        _BY_CODE.setdefault(_code, []).append((_pattern, _feature))


def split_values(f3) -> list[str]:
    """`"a; b; c"` -> `["a", "b", "c"]` (empty parts dropped)."""
    if f3 is None:
        return []
    return [part.strip() for part in str(f3).split(";") if part.strip()]


def features_from_services(services: list[dict]) -> int:
    """The feature bits of a facility from its services (`{"code", "values"}` items)."""
    bits = 0
    for item in services:
        rules = _BY_CODE.get(item["code"])
        if not rules:
            continue
        for value in item["values"]:
            v = _norm(value)
            for pattern, feat in rules:
                if _matches(pattern, v):
                    bits |= feat.mask
    return bits


def has(bits: int, key: str) -> bool:
    return bool(bits & BY_KEY[key].mask)


def labels(bits: int, group: str) -> list[str]:
    return [f.label for f in BY_GROUP.get(group, []) if bits & f.mask]


# quality(bits) by table look-up, one table per byte of the bits (the fit sort
# scores every result, so this runs thousands of times per wide search)
_BYTES = (max(f.bit for f in FEATURES) // 8) + 1
_QUALITY_TABLES = [
    [sum(w for m, w in QUALITY_WEIGHTS if (m >> (8 * i)) & b) for b in range(256)]
    for i in range(_BYTES)
]
_QUALITY_BYTES = [i for i, table in enumerate(_QUALITY_TABLES) if any(table)]


def quality(bits: int) -> int:
    """The sum of the quality signals' weights a facility has."""
    tables = _QUALITY_TABLES
    return sum(tables[i][(bits >> (8 * i)) & 0xFF] for i in _QUALITY_BYTES)


# ----- languages ---------------------------------------------------------------

LANGUAGES: dict[str, str] = {
    "spanish": "Spanish",
    "asl": "Sign language (ASL)",
    "native_american": "American Indian or Alaska Native languages",
    "amharic": "Amharic",
    "arabic": "Arabic",
    "cherokee": "Cherokee",
    "chinese": "Chinese",
    "creole": "Creole",
    "farsi": "Farsi",
    "french": "French",
    "german": "German",
    "greek": "Greek",
    "hebrew": "Hebrew",
    "hindi": "Hindi",
    "hmong": "Hmong",
    "hopi": "Hopi",
    "italian": "Italian",
    "japanese": "Japanese",
    "khmer": "Khmer",
    "korean": "Korean",
    "lakota": "Lakota",
    "lao": "Lao",
    "navajo": "Navajo",
    "ojibwa": "Ojibwa",
    "polish": "Polish",
    "portuguese": "Portuguese",
    "russian": "Russian",
    "somali": "Somali",
    "swahili": "Swahili",
    "tagalog": "Tagalog",
    "ukrainian": "Ukrainian",
    "urdu": "Urdu",
    "vietnamese": "Vietnamese",
    "yupik": "Yupik",
}
LANGUAGE_SLUG = re.compile(r"^[a-z][a-z_]{1,39}$")
_LANGUAGE_ALIASES = {
    "sign language services for the deaf and hard of hearing": "asl",
    "american sign language": "asl",
    "american indian or alaska native languages": "native_american",
    "any chinese language": "chinese",
    "other languages (excluding spanish)": "",  # a marker: the languages follow under OL
}
LANGUAGE_CODES = ("SL", "OL")


def language_slug(value: str) -> str:
    v = _norm(value)
    if v in _LANGUAGE_ALIASES:
        return _LANGUAGE_ALIASES[v]
    slug = re.sub(r"[^a-z]+", "_", v).strip("_")[:40]
    return slug if LANGUAGE_SLUG.match(slug) else ""


def language_label(slug: str) -> str:
    return LANGUAGES.get(slug) or slug.replace("_", " ").capitalize()


def languages_from_services(services: list[dict]) -> list[str]:
    found: list[str] = []
    for item in services:
        if item["code"] in LANGUAGE_CODES:
            for value in item["values"]:
                slug = language_slug(value)
                if slug and slug not in found:
                    found.append(slug)
    return found


def encode_languages(slugs) -> str:
    """Stored as "|spanish|asl|" so one `LIKE '%|spanish|%'` tests a language."""
    slugs = [s for s in slugs if s]
    return f"|{'|'.join(slugs)}|" if slugs else ""


def decode_languages(text: str) -> list[str]:
    return [s for s in (text or "").split("|") if s]
