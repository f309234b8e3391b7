import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal
from uuid import UUID

from ninja import Schema
from pydantic import Field, StringConstraints

from openiop.core.api import WallTime
from openiop.directory import features as FT
from openiop.directory import matching
from openiop.directory.models import TestimonialRelationship


def _slugs(group: str):
    return Literal[tuple(f.slug for f in FT.BY_GROUP[group])]  # type: ignore[valid-type]


def _repeatable(group: str, combine: str) -> list[str]:
    """A repeatable filter: plain strings here, checked by `make_query` so that a
    bad value comes back under the filter's own name with the allowed values
    (the OpenAPI document still lists them)."""
    values = [f.slug for f in FT.BY_GROUP[group]]
    return Field(
        default_factory=list,
        description=f"Repeatable; {combine} of: {', '.join(values)}.",
        json_schema_extra={"items": {"type": "string", "enum": values}},
    )


Language = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z_]{1,39}$")]


class FacilitySearch(Schema):
    near: str = Field(
        ...,
        min_length=1,
        max_length=80,
        description="Where from: a US ZIP code (97201) or a city and state (Portland, OR).",
    )
    radius_miles: float = Field(25, gt=0, le=500, description="More than 0, at most 500.")
    level_of_care: list[str] = _repeatable("level_of_care", "any")
    focus: list[str] = _repeatable("focus", "any")
    schedule: list[str] = _repeatable("schedule", "any")
    payment: list[str] = _repeatable("payment", "any")
    age: list[str] = _repeatable("age", "any")
    sex: list[str] = _repeatable("sex", "any")
    language: list[str] = Field(
        default_factory=list,
        description="Repeatable; any of, e.g. spanish, asl (see /directory/filters).",
    )
    special: list[str] = _repeatable("special", "all")
    accreditation: list[str] = _repeatable("accreditation", "any")
    services: list[str] = _repeatable("services", "all")
    family: bool = Field(False, description="Family counseling or a family program.")
    telehealth: bool = False
    outcomes: bool = Field(False, description="Publishes measured outcomes.")
    sort: Literal["distance", "fit"] = "distance"
    page: int = Field(1, ge=1, le=10_000)
    page_size: int = Field(20, ge=1, le=50)

    def filters(self) -> dict[str, list[str]]:
        out = {
            "level_of_care": self.level_of_care,
            "focus": self.focus,
            "schedule": self.schedule,
            "payment": self.payment,
            "age": self.age,
            "sex": self.sex,
            "special": self.special,
            "accreditation": self.accreditation,
            "services": self.services,
        }
        if self.family:
            out["family"] = ["family_counseling"]
        if self.telehealth:
            out["telehealth"] = ["telehealth"]
        if self.outcomes:
            out["outcomes"] = ["published"]
        return out


class PlaceOut(Schema):
    label: str
    zip: str
    latitude: float
    longitude: float


class FacilityResult(Schema):
    uuid: UUID
    name: str
    name2: str
    street: str
    city: str
    state: str
    zip: str
    phone: str
    website: str
    distance_miles: float
    # no coordinates in the source: placed at the centre of its ZIP code, so
    # the distance is approximate too
    location_approximate: bool
    reasons: list[str]
    fit: int
    level_of_care: list[str]
    payment: list[str]
    openiop_program: bool
    url: str


class SearchOut(Schema):
    count: int
    page: int
    pages: int
    page_size: int
    near: PlaceOut
    radius_miles: float
    sort: str
    results: list[FacilityResult]


class ListedTrackOut(Schema):
    """A track as the public finder lists it (not the staff API's TrackOut)."""

    name: str
    weekdays: list[int]
    days: str
    start_time: WallTime
    end_time: WallTime
    weekly_hours: Decimal
    schedule: list[str]


class LicenceCount(Schema):
    licence: str
    label: str
    people: int


class NamedStaff(Schema):
    name: str
    licences: list[str]


class TeamOut(Schema):
    licences: list[LicenceCount]
    named: list[NamedStaff]


class OutcomeOut(Schema):
    label: str
    value: Decimal
    unit: str
    numerator: int | None
    denominator: int | None
    definition: str
    period_start: dt.date | None
    period_end: dt.date | None


class TestimonialOut(Schema):
    author: str
    relationship: str
    body: str
    published: dt.date


class QuestionOut(Schema):
    question: str
    answer: list[str]
    known: bool


class CostOut(Schema):
    self_pay_weekly_rate: Decimal | None
    typical_weeks_min: int | None
    typical_weeks_max: int | None
    estimate_low: Decimal | None
    estimate_high: Decimal | None
    sliding_scale: bool
    payment: list[str]
    insurance_plans: str
    ask_your_plan: list[str]


class ServiceOut(Schema):
    category: str
    values: list[str]


class WaitOut(Schema):
    days: int
    as_of: dt.date


class FacilityDetail(Schema):
    uuid: UUID
    name: str
    name2: str
    source: str
    address: list[str]
    city: str
    state: str
    zip: str
    latitude: float
    longitude: float
    location_approximate: bool
    phone: str
    intake_phone: str
    hotline: str
    website: str
    summary: str
    features: dict[str, list[str]]
    languages: list[str]
    services: list[ServiceOut]
    tracks: list[ListedTrackOut]
    team: TeamOut | None
    wait_for_admission: WaitOut | None
    outcomes: list[OutcomeOut]
    testimonials: list[TestimonialOut]
    cost: CostOut
    questions: list[QuestionOut]
    url: str


class CompareOut(Schema):
    results: list[FacilityDetail]


class VocabularyValue(Schema):
    value: str
    label: str


class VocabularyGroup(Schema):
    parameter: str
    label: str
    combine: str
    values: list[VocabularyValue]


class VocabularyOut(Schema):
    filters: list[VocabularyGroup]
    languages: list[VocabularyValue]


class MatchIn(Schema):
    near: str = Field(..., min_length=1, max_length=80, description="ZIP code or city, state")
    max_miles: Literal[5, 10, 25, 50, 100] = 25
    times: list[Literal[tuple(matching.TIMES)]] = Field(default_factory=list)  # type: ignore[valid-type]
    need: Literal[tuple(matching.NEEDS)] = "not_sure"  # type: ignore[valid-type]
    age: Literal[tuple(matching.AGES)]  # type: ignore[valid-type]
    insurance: Literal[tuple(matching.INSURANCE)] = "not_sure"  # type: ignore[valid-type]
    family: Literal["yes", "no"] = "no"
    language: Language = "english"


class MatchResult(Schema):
    uuid: UUID
    name: str
    name2: str
    city: str
    state: str
    zip: str
    distance_miles: float
    score: int
    reasons: list[str]
    cautions: list[str]
    url: str


class ShortlistRef(Schema):
    token: str
    url: str
    expires_at: dt.datetime


class MatchOut(Schema):
    shortlist: ShortlistRef
    count: int
    results: list[MatchResult]


class ShortlistOut(Schema):
    answers: dict
    expires_at: dt.datetime
    no_longer_listed: int
    results: list[MatchResult]


class TestimonialIn(Schema):
    author_name: str = Field(..., max_length=40)
    relationship: Literal[tuple(TestimonialRelationship.values)]  # type: ignore[valid-type]
    body: str = Field(..., max_length=4000)
    consent: bool


class TestimonialAccepted(Schema):
    status: Literal["pending"]
    message: str
