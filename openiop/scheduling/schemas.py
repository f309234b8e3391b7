import datetime as dt
from typing import Literal
from uuid import UUID

from ninja import Field, Schema

from openiop.core.api import PageOut, WallTime

Status = Literal["present", "late", "left_early", "absent", "excused"]


class SessionTypeOut(Schema):
    uuid: UUID
    code: str
    name: str
    modality: str
    duration_min: int
    min_size: int
    max_size: int
    credentials: list[str]
    telehealth_ok: bool
    curriculum: list[str]
    is_active: bool


class SessionOut(Schema):
    uuid: UUID
    program: UUID
    track: UUID | None
    session_type: str
    date: dt.date
    start_time: WallTime
    end_time: WallTime
    time_zone: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    room: str | None
    telehealth_url: str
    facilitator: UUID | None
    topic: str
    status: str
    enrolled: int = 0

    @staticmethod
    def resolve_program(obj):
        return obj.program.uuid

    @staticmethod
    def resolve_track(obj):
        return obj.track.uuid if obj.track_id else None

    @staticmethod
    def resolve_session_type(obj):
        return obj.session_type.code

    @staticmethod
    def resolve_room(obj):
        return obj.room.name if obj.room_id else None

    @staticmethod
    def resolve_facilitator(obj):
        return obj.facilitator.uuid if obj.facilitator_id else None

    @staticmethod
    def resolve_enrolled(obj):
        return getattr(obj, "enrolled", 0)


class SessionPage(PageOut):
    results: list[SessionOut]


class RosterRowOut(Schema):
    patient: UUID
    mrn: str
    name: str
    status: Status | None
    minutes: int | None


class SessionDetailOut(SessionOut):
    roster: list[RosterRowOut]

    @staticmethod
    def resolve_roster(obj):
        return obj.roster_rows


class SessionIn(Schema):
    program: UUID
    session_type: str = Field(description="A session type code, e.g. psychoeducation.")
    date: dt.date
    start_time: WallTime
    duration_min: int | None = None
    room: UUID | None = None
    telehealth_url: str = ""
    facilitator: UUID | None = None
    topic: str = ""


class RosterIn(Schema):
    patient: UUID


class MarkIn(Schema):
    patient: UUID
    status: Status
    minutes: int | None = None
    note: str = ""


class AttendanceIn(Schema):
    marks: list[MarkIn]


class WindowSchema(Schema):
    weekday: int = Field(ge=0, le=6, description="0 = Monday")
    start_time: WallTime
    end_time: WallTime
    note: str = ""


class AvailabilityIn(Schema):
    windows: list[WindowSchema]


class AvailabilityOut(Schema):
    patient: UUID
    windows: list[WindowSchema]


class LedgerWeekOut(Schema):
    week: dt.date
    attended_minutes: int
    scheduled_minutes: int
    sessions: int
    missed: int
    status: str


class LedgerOut(Schema):
    episode: UUID
    program: UUID
    minimum_hours: float
    maximum_hours: float | None
    prescribed_hours: float | None
    weeks: list[LedgerWeekOut]


class NoteEntryOut(Schema):
    patient: UUID
    text: str
    objectives: list[UUID]


class NoteOut(Schema):
    uuid: UUID
    session: UUID
    kind: str
    status: str
    revision: int
    topic: str
    interventions: str
    group_part: str
    participants: int
    data: str
    assessment: str
    plan: str
    signed_by: UUID | None
    signed_at: dt.datetime | None
    entries: list[NoteEntryOut]
    addenda: list[str]


class NoteEntryIn(Schema):
    patient: UUID
    text: str = ""
    objectives: list[UUID] = []


class NoteIn(Schema):
    revision: int
    topic: str = ""
    interventions: str = ""
    group_part: str = ""
    data: str = ""
    assessment: str = ""
    plan: str = ""
    entries: list[NoteEntryIn] = []


class SignIn(Schema):
    confirm_similar: bool = False


class AddendumIn(Schema):
    text: str


class RunIn(Schema):
    program: UUID
    week: dt.date
    time_limit_s: int = 10


class UnmetReasonOut(Schema):
    code: str
    message: str


class UnmetOut(Schema):
    patient: UUID | None
    label: str
    type: str
    missing: int
    minutes: int
    reasons: list[UnmetReasonOut]


class RunOut(Schema):
    uuid: UUID
    program: UUID
    week: dt.date
    kind: str
    status: str
    percent: int
    objective: int | None
    bound: int | None
    gap: float | None
    unmet_minutes: int | None
    below_minimum_minutes: int | None
    first_feasible_s: float | None
    wall_s: float | None
    error: str
    groups: int
    appointments: int
    unmet: list[UnmetOut]
