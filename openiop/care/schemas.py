import dataclasses
import datetime as dt
from typing import Literal
from uuid import UUID

from ninja import Schema

from openiop.core.api import PageOut


class ReleasedOut(Schema):
    """What a discharge or a track change took off the calendar."""

    places: int
    individual_cancelled: int
    links_revoked: int


class EpisodeOut(Schema):
    uuid: UUID
    patient: UUID
    program: UUID
    track: UUID | None
    primary_clinician: UUID | None
    referral_source: str
    admission_type: str
    admitted_on: dt.date
    status: str
    discharged_on: dt.date | None
    discharge_reason: str
    # only in the answer to a discharge or a track change
    released: ReleasedOut | None = None

    @staticmethod
    def resolve_patient(obj):
        return obj.patient.uuid

    @staticmethod
    def resolve_program(obj):
        return obj.program.uuid

    @staticmethod
    def resolve_track(obj):
        return obj.track.uuid if obj.track_id else None

    @staticmethod
    def resolve_primary_clinician(obj):
        return obj.primary_clinician.uuid if obj.primary_clinician_id else None

    @staticmethod
    def resolve_released(obj):
        released = getattr(obj, "released", None)
        return dataclasses.asdict(released) if released is not None else None


class EpisodePage(PageOut):
    results: list[EpisodeOut]


class EpisodeIn(Schema):
    patient: UUID
    program: UUID
    track: UUID | None = None
    primary_clinician: UUID | None = None
    admitted_on: dt.date
    admission_type: Literal["step_down", "step_up", "after_relapse", "direct"]
    referral_source: Literal[
        "self", "inpatient", "physician", "court", "employer", "school", "other"
    ]


class EpisodePatch(Schema):
    track: UUID | None = None
    primary_clinician: UUID | None = None


class DischargeIn(Schema):
    discharged_on: dt.date
    discharge_reason: Literal[
        "completed",
        "left_against_advice",
        "transferred",
        "stepped_up",
        "stepped_down",
        "administrative",
        "incarcerated",
        "died",
    ]
