"""API shapes of the clinical record (separate In and Out schemas)."""

import datetime as dt
from decimal import Decimal
from typing import Literal
from uuid import UUID

from ninja import Field, Schema

from openiop.core.api import PageOut

Rating = Literal[0, 1, 2, 3, 4]
ObjectiveStatusIn = Literal["not_started", "in_progress", "met", "revised", "discontinued"]


class DimensionIn(Schema):
    rating: Rating
    note: str = ""


class AssessmentIn(Schema):
    episode: UUID
    assessed_on: dt.date
    presenting_problems: str = Field(max_length=5000)
    strengths: str = ""
    substance_use_history: str = ""
    mental_health_history: str = ""
    risk_level: Literal["none", "low", "moderate", "high"]
    risk_notes: str = ""
    living_situation: str = ""
    supports: str = ""
    dimensions: dict[Literal["1", "2", "3", "4", "5", "6"], DimensionIn]


class AssessmentCompleteIn(Schema):
    chosen_level: Literal["1", "2.1", "2.5", "3", "4"]
    override_reason: str = ""


class AssessmentOut(Schema):
    uuid: UUID
    episode: UUID
    patient: UUID
    assessed_on: dt.date
    status: str
    presenting_problems: str
    strengths: str
    substance_use_history: str
    mental_health_history: str
    risk_level: str
    risk_notes: str
    living_situation: str
    supports: str
    edition: str
    dimensions: dict
    recommended_level: str
    recommendation_reason: str
    rules_source: str
    chosen_level: str
    override_reason: str
    completed_at: dt.datetime | None

    @staticmethod
    def resolve_episode(obj):
        return obj.episode.uuid

    @staticmethod
    def resolve_patient(obj):
        return obj.patient.uuid


class AssessmentPage(PageOut):
    results: list[AssessmentOut]


class DiagnosisIn(Schema):
    episode: UUID
    code: str = Field(max_length=10)
    is_primary: bool = False
    diagnosed_on: dt.date | None = None
    note: str = ""


class DiagnosisOut(Schema):
    uuid: UUID
    episode: UUID
    code: str
    description: str
    category: str
    is_primary: bool
    status: str
    diagnosed_on: dt.date
    resolved_on: dt.date | None

    @staticmethod
    def resolve_episode(obj):
        return obj.episode.uuid


class CodeOut(Schema):
    code: str
    description: str
    category: str


class InterventionIO(Schema):
    key: UUID | None = None
    modality: Literal[
        "individual",
        "group",
        "family",
        "psychoeducation",
        "medication",
        "mindfulness",
        "drug_testing",
        "case_management",
        "peer_support",
    ]
    topic: str = ""
    description: str = ""
    sessions: int | None = None
    period: Literal["week", "fortnight", "month"] | None = None
    minutes: int | None = None
    responsible: UUID
    support_persons: list[UUID] = []


class ObjectiveIO(Schema):
    key: UUID | None = None
    statement: str
    target_on: dt.date | None = None
    status: ObjectiveStatusIn = "not_started"
    interventions: list[InterventionIO] = []


class GoalIO(Schema):
    key: UUID | None = None
    statement: str
    objectives: list[ObjectiveIO] = []


class ProblemIO(Schema):
    key: UUID | None = None
    statement: str
    diagnoses: list[UUID] = []
    asam_dimensions: list[Literal["1", "2", "3", "4", "5", "6"]] = []
    goals: list[GoalIO] = []


class DraftIn(Schema):
    revision: int
    problems: list[ProblemIO]


class PlanIn(Schema):
    episode: UUID
    template: UUID | None = None


class ReviseIn(Schema):
    revision: int
    reason: str = Field(max_length=300)


class SignatureIn(Schema):
    revision: int
    role: Literal["clinician", "patient", "supervisor"]
    method: Literal["typed", "drawn", ""] = ""
    typed_name: str = ""
    drawing: str = ""


class SignatureOut(Schema):
    role: str
    method: str
    signer_name: str
    credentials: str
    recorded_by: UUID
    signed_at: dt.datetime

    @staticmethod
    def resolve_recorded_by(obj):
        return obj.recorded_by.uuid


class VersionOut(Schema):
    number: int
    status: str
    change_reason: str
    effective_on: dt.date | None
    weekly_hours: Decimal
    signatures: list[SignatureOut]

    @staticmethod
    def resolve_signatures(obj):
        return list(obj.signatures.all())


class VersionDetailOut(VersionOut):
    """A version with its content: problems -> goals -> objectives -> interventions."""

    content: list[dict]

    @staticmethod
    def resolve_content(obj):
        return obj.content_tree


class PlanOut(Schema):
    uuid: UUID
    episode: UUID
    patient: UUID
    status: str
    revision: int
    changed_at: dt.datetime | None
    current_version: int | None
    review_due_on: dt.date | None
    ended_on: dt.date | None
    versions: list[VersionOut]

    @staticmethod
    def resolve_episode(obj):
        return obj.episode.uuid

    @staticmethod
    def resolve_patient(obj):
        return obj.episode.patient.uuid

    @staticmethod
    def resolve_current_version(obj):
        return obj.current.number if obj.current_id else None

    @staticmethod
    def resolve_versions(obj):
        return list(obj.versions.prefetch_related("signatures__recorded_by").order_by("number"))


class PlanSummaryOut(Schema):
    uuid: UUID
    episode: UUID
    status: str
    revision: int
    current_version: int | None
    review_due_on: dt.date | None

    @staticmethod
    def resolve_episode(obj):
        return obj.episode.uuid

    @staticmethod
    def resolve_current_version(obj):
        return obj.current.number if obj.current_id else None


class PlanPage(PageOut):
    results: list[PlanSummaryOut]


class ProgressIn(Schema):
    objective: UUID
    status: ObjectiveStatusIn
    note: str = ""


class ReviewIn(Schema):
    revision: int
    reviewed_on: dt.date
    outcome: Literal["continue", "revise", "end"]
    summary: str
    patient_participated: bool = True
    revise_reason: str = ""
    progress: list[ProgressIn]


class ProgressOut(Schema):
    objective: UUID
    objective_key: UUID
    status: str
    note: str

    @staticmethod
    def resolve_objective(obj):
        return obj.objective.uuid


class ReviewOut(Schema):
    uuid: UUID
    version: int
    reviewed_on: dt.date
    reviewer: UUID
    outcome: str
    summary: str
    patient_participated: bool
    next_review_on: dt.date | None
    progress: list[ProgressOut]

    @staticmethod
    def resolve_version(obj):
        return obj.version.number

    @staticmethod
    def resolve_reviewer(obj):
        return obj.reviewer.uuid

    @staticmethod
    def resolve_progress(obj):
        return list(obj.progress.select_related("objective"))


class DueOut(Schema):
    plan: UUID
    patient: UUID
    patient_name: str
    program: str
    review_due_on: dt.date | None
    overdue: bool


class DuePage(PageOut):
    results: list[DueOut]


class GoalProgressIn(Schema):
    goal: str
    outcome: Literal["achieved", "partial", "not_achieved"]
    note: str = ""


class AftercareIO(Schema):
    kind: Literal["appointment", "referral", "support_group", "medication"]
    name: str = Field(max_length=200)
    when: str = ""
    contact: str = ""
    note: str = ""


class DischargeSummaryIn(Schema):
    episode: UUID
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
    services_received: str
    clinical_summary: str
    goal_progress: list[GoalProgressIn] = []
    diagnoses: list[UUID] = []
    step_down: Literal["outpatient", "iop", "php", "residential", "recovery_support", "none"]
    medication_continuity: str = ""
    patient_instructions: str = ""
    aftercare: list[AftercareIO] = []


class DischargeSummaryOut(Schema):
    uuid: UUID
    episode: UUID
    patient: UUID
    discharged_on: dt.date
    reason: str
    services_received: str
    goal_progress: list[dict]
    diagnoses_at_discharge: list[dict]
    clinical_summary: str
    step_down: str
    medication_continuity: str
    patient_instructions: str
    aftercare: list[AftercareIO]
    signed_by: UUID
    signed_at: dt.datetime

    @staticmethod
    def resolve_episode(obj):
        return obj.episode.uuid

    @staticmethod
    def resolve_patient(obj):
        return obj.patient.uuid

    @staticmethod
    def resolve_aftercare(obj):
        return list(obj.aftercare_items.all())

    @staticmethod
    def resolve_signed_by(obj):
        return obj.signed_by.uuid
