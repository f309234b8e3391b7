"""Obviously synthetic people: real given names, invented 'test' family names."""

import datetime as dt
import random
import uuid

GIVEN = [
    "Avery",
    "Blake",
    "Casey",
    "Dana",
    "Emery",
    "Finley",
    "Gray",
    "Harper",
    "Indigo",
    "Jordan",
    "Kai",
    "Logan",
    "Morgan",
    "Noor",
    "Oakley",
    "Parker",
    "Quinn",
    "Reese",
    "Sage",
    "Taylor",
    "Umi",
    "Val",
    "Wren",
    "Xen",
    "Yael",
    "Zion",
    "Ari",
    "Bo",
    "Cam",
    "Devi",
]
FAMILY = [
    "Samplewood",
    "Testington",
    "Demoson",
    "Placeholder",
    "Fictivo",
    "Mockridge",
    "Synthbury",
    "Exampleton",
    "Dummyfield",
    "Trialworth",
    "Pretendale",
    "Fauxley",
    "Madeupski",
    "Notreal",
    "Specimen",
    "Prototypo",
    "Stubbins",
    "Fixtureau",
    "Seedling",
    "Imaginary",
]
PRONOUNS = ["she/her", "he/him", "they/them", "", ""]
LANGUAGES = ["English"] * 8 + ["Spanish", "Vietnamese"]
PAYERS = [
    ("medicaid", "Oregon Health Plan (demo)"),
    ("commercial", "Example Mutual Health (demo)"),
    ("commercial", "Sample Blue Plan (demo)"),
    ("medicare", "Medicare (demo)"),
    ("self_pay", "Self-pay"),
    ("tricare", "TRICARE (demo)"),
]
RELATIONS = ["spouse", "parent", "sibling", "friend", "sponsor"]


def rng_uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def person(rng: random.Random, *, adolescent: bool, today: dt.date) -> dict:
    age = rng.randint(13, 17) if adolescent else rng.randint(19, 68)
    dob = today - dt.timedelta(days=age * 365 + rng.randint(0, 364))
    given = rng.choice(GIVEN)
    family = rng.choice(FAMILY)
    return {
        "legal_given_name": given,
        "legal_family_name": family,
        "preferred_name": rng.choice(["", "", "", rng.choice(GIVEN)]),
        "pronouns": rng.choice(PRONOUNS),
        "date_of_birth": dob,
        "sex_at_birth": rng.choice(["female", "male"]),
        "phone": f"555-01{rng.randint(0, 99):02d}",
        "email": f"{given.lower()}.{family.lower()}@example.test",
        "preferred_language": rng.choice(LANGUAGES),
    }
