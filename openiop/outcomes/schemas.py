import datetime as dt
from uuid import UUID

from ninja import Schema


class MetricOut(Schema):
    code: str
    label: str
    unit: str
    value: float | None
    numerator: int | None
    denominator: int | None
    status: str
    note: str
    summary: str
    definition: str


class ProgramOutcomesOut(Schema):
    program: UUID
    program_name: str
    period_start: dt.date
    period_end: dt.date
    min_count: int
    metrics: list[MetricOut]


class PublishedOut(Schema):
    program: UUID
    metric: str
    label: str
    value: float
    unit: str
    numerator: int | None
    denominator: int
    definition: str
    period_start: dt.date
    period_end: dt.date
    published_at: dt.datetime

    @staticmethod
    def resolve_program(obj):
        return obj.program.uuid

    @staticmethod
    def resolve_value(obj):
        return float(obj.value)
