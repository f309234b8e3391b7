import datetime as dt
from typing import Literal
from uuid import UUID

from ninja import Schema

from openiop.core.api import PageOut

Answer = int | str | None


class InstrumentOut(Schema):
    code: str
    short_name: str
    name: str
    shipped: bool
    is_active: bool
    measures: str
    items: int

    @staticmethod
    def resolve_shipped(obj):
        return obj.is_shipped

    @staticmethod
    def resolve_measures(obj):
        return obj.definition.get("measures", "")

    @staticmethod
    def resolve_items(obj):
        return len(obj.definition["items"])


class InstrumentDetailOut(InstrumentOut):
    definition: dict
    licence: str
    source: str


class ScoreIn(Schema):
    answers: list[Answer] | dict[str, Answer]
    sex: Literal["female", "male"] | None = None


class ScoreOut(Schema):
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
    answers: dict[str, int | None]


class ResponseIn(Schema):
    patient: UUID
    instrument: str
    answers: list[Answer] | dict[str, Answer]
    administered_on: dt.date | None = None
    episode: UUID | None = None
    sex: Literal["female", "male"] | None = None


class ResponseOut(Schema):
    uuid: UUID
    patient: UUID
    episode: UUID | None
    instrument: str
    administered_on: dt.date
    source: str
    status: str
    total: int | None
    band: str
    band_label: str
    scored: bool
    score: dict
    answers: dict
    safety_alerts: list[UUID]
    created_at: dt.datetime

    @staticmethod
    def resolve_patient(obj):
        return obj.patient.uuid

    @staticmethod
    def resolve_episode(obj):
        return obj.episode.uuid if obj.episode_id else None

    @staticmethod
    def resolve_instrument(obj):
        return obj.instrument.code

    @staticmethod
    def resolve_score(obj):
        return obj.result

    @staticmethod
    def resolve_safety_alerts(obj):
        return [a.uuid for a in obj.safety_alerts.all()]


class ResponsePage(PageOut):
    results: list[ResponseOut]


class AlertOut(Schema):
    uuid: UUID
    patient: UUID
    program: UUID | None
    response: UUID | None  # a check-in or an intake assessment raises one too
    kind: str
    tier: str
    on_queue: bool
    summary: str
    status: str
    created_at: dt.datetime
    acknowledged_by: UUID | None
    acknowledged_at: dt.datetime | None
    acknowledgement_note: str

    @staticmethod
    def resolve_patient(obj):
        return obj.patient.uuid

    @staticmethod
    def resolve_program(obj):
        return obj.program.uuid if obj.program_id else None

    @staticmethod
    def resolve_response(obj):
        return obj.response.uuid if obj.response_id else None

    @staticmethod
    def resolve_acknowledged_by(obj):
        return obj.acknowledged_by.uuid if obj.acknowledged_by_id else None


class AlertPage(PageOut):
    results: list[AlertOut]


class AcknowledgeIn(Schema):
    note: str
