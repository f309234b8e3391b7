import datetime as dt
from decimal import Decimal
from typing import Literal
from uuid import UUID

from ninja import Schema
from pydantic import Field

from openiop.core.api import PageOut, WallTime


class SiteOut(Schema):
    uuid: UUID
    name: str
    street: str
    city: str
    state: str
    zip_code: str
    time_zone: str
    latitude: Decimal
    longitude: Decimal


class TrackOut(Schema):
    uuid: UUID
    program: UUID
    name: str
    kind: str
    weekdays: list[int]
    start_time: WallTime
    end_time: WallTime
    capacity: int
    focus: str
    weekly_hours: Decimal
    is_active: bool

    @staticmethod
    def resolve_program(obj):
        return obj.program.uuid


class ProgramOut(Schema):
    uuid: UUID
    name: str
    site: UUID
    population: str
    focus: str
    level_of_care: str
    min_weekly_hours: Decimal
    max_weekly_hours: Decimal | None
    plan_review_days: int
    is_active: bool
    tracks: list[TrackOut]

    @staticmethod
    def resolve_site(obj):
        return obj.site.uuid

    @staticmethod
    def resolve_tracks(obj):
        return list(obj.tracks.all())


class ProgramPage(PageOut):
    results: list[ProgramOut]


class ProgramPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=200)
    min_weekly_hours: Decimal | None = Field(None, ge=0, le=60)
    max_weekly_hours: Decimal | None = Field(None, ge=0, le=60)
    plan_review_days: int | None = Field(None, ge=7, le=180)
    description: str | None = None
    is_active: bool | None = None
    alert_minutes_open: int | None = Field(None, ge=1, le=240)
    alert_minutes_closed: int | None = Field(None, ge=1, le=240)


TrackKind = Literal["morning", "afternoon", "evening", "weekend"]
# blank: the program's focus
TrackFocus = Literal["", "substance_use", "mental_health", "co_occurring"]


class TrackIn(Schema):
    name: str = Field(min_length=1, max_length=100)
    kind: TrackKind
    weekdays: list[int] = Field(min_length=1, max_length=7)
    start_time: WallTime
    end_time: WallTime
    capacity: int = Field(12, ge=1, le=200)
    focus: TrackFocus = ""
    is_active: bool = True


class TrackPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=100)
    kind: TrackKind | None = None
    weekdays: list[int] | None = Field(None, min_length=1, max_length=7)
    start_time: WallTime | None = None
    end_time: WallTime | None = None
    capacity: int | None = Field(None, ge=1, le=200)
    focus: TrackFocus | None = None
    is_active: bool | None = None


class MembershipOut(Schema):
    role: str
    program: UUID | None

    @staticmethod
    def resolve_program(obj):
        return obj.program.uuid if obj.program_id else None


class CredentialOut(Schema):
    license_type: str
    state: str
    expires_on: dt.date
    status: str

    @staticmethod
    def resolve_status(obj):
        return obj.status()


class StaffOut(Schema):
    uuid: UUID
    username: str
    display_name: str
    is_active: bool
    roles: list[MembershipOut]
    credentials: list[CredentialOut]

    @staticmethod
    def resolve_roles(obj):
        return list(obj.memberships.all())

    @staticmethod
    def resolve_credentials(obj):
        return list(obj.credentials.all())


class StaffPage(PageOut):
    results: list[StaffOut]
