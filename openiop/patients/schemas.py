import datetime as dt
from typing import Literal
from uuid import UUID

from ninja import Schema
from pydantic import EmailStr, Field

from openiop.core.api import PageOut

SexValue = Literal["female", "male", "intersex", "unknown"]


class PatientOut(Schema):
    uuid: UUID
    mrn: str
    legal_given_name: str
    legal_family_name: str
    preferred_name: str
    pronouns: str
    date_of_birth: dt.date
    sex_at_birth: str
    preferred_language: str
    phone: str
    email: str


class PatientPage(PageOut):
    results: list[PatientOut]


class AdmissionIn(Schema):
    program: UUID
    track: UUID | None = None
    primary_clinician: UUID | None = None
    admitted_on: dt.date
    admission_type: Literal["step_down", "step_up", "after_relapse", "direct"]
    referral_source: Literal[
        "self", "inpatient", "physician", "court", "employer", "school", "other"
    ]


class PatientIn(Schema):
    legal_given_name: str = Field(min_length=1, max_length=100)
    legal_family_name: str = Field(min_length=1, max_length=100)
    preferred_name: str = Field("", max_length=100)
    pronouns: str = Field("", max_length=40)
    date_of_birth: dt.date
    sex_at_birth: SexValue = "unknown"
    mrn: str = Field("", max_length=30)
    phone: str = Field("", max_length=30)
    email: EmailStr | Literal[""] = ""
    preferred_language: str = Field("English", min_length=1, max_length=40)
    admission: AdmissionIn | None = None


class PatientPatch(Schema):
    legal_given_name: str | None = Field(None, min_length=1, max_length=100)
    legal_family_name: str | None = Field(None, min_length=1, max_length=100)
    preferred_name: str | None = Field(None, max_length=100)
    pronouns: str | None = Field(None, max_length=40)
    date_of_birth: dt.date | None = None
    sex_at_birth: SexValue | None = None
    mrn: str | None = Field(None, min_length=1, max_length=30)
    phone: str | None = Field(None, max_length=30)
    email: EmailStr | Literal[""] | None = None
    preferred_language: str | None = Field(None, min_length=1, max_length=40)
