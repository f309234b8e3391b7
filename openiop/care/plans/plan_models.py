"""The treatment plan: versions of problems -> goals -> objectives ->
interventions, signatures, reviews and the relapse prevention plan.

A plan belongs to one episode. Its content lives in versions: a draft version
is edited; once signed by everyone required it is in effect and immutable; a
change makes a new version. `TreatmentPlan.revision` counts every change and
is the token against lost updates: each edit says which revision it was made
from and is refused when the plan has moved on.
"""

import uuid as uuid_lib
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from openiop.care.plans.querysets import PlanQuerySet
from openiop.core.models import BaseModel

__all__ = [
    "PlanStatus",
    "TreatmentPlan",
    "VersionStatus",
    "PlanVersion",
    "PlanProblem",
    "PlanGoal",
    "ObjectiveStatus",
    "PlanObjective",
    "Modality",
    "Period",
    "PlanIntervention",
    "SignatureRole",
    "SignatureMethod",
    "PlanSignature",
    "ReviewOutcome",
    "PlanReview",
    "ObjectiveProgress",
    "RelapsePreventionPlan",
]


class PlanStatus(models.TextChoices):
    OPEN = "open", "Open"
    ENDED = "ended", "Ended"


class TreatmentPlan(BaseModel):
    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.PROTECT, related_name="+"
    )
    episode = models.ForeignKey("care.Episode", on_delete=models.PROTECT, related_name="plans")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=8, choices=PlanStatus.choices, default=PlanStatus.OPEN)
    revision = models.PositiveIntegerField(default=1)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField(null=True)
    # the signed version in effect (None until the first is signed)
    current = models.ForeignKey(
        "care.PlanVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    review_due_on = models.DateField(null=True, blank=True)
    ended_on = models.DateField(null=True, blank=True)
    end_reason = models.CharField(max_length=200, blank=True)

    objects = PlanQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["episode"],
                condition=models.Q(status="open"),
                name="one_open_plan_per_episode",
            )
        ]
        indexes = [models.Index(fields=["status", "review_due_on"])]

    def __str__(self) -> str:
        return f"Treatment plan ({self.episode})"


class VersionStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    AWAITING = "awaiting", "Awaiting signatures"
    SIGNED = "signed", "Signed, in effect"
    SUPERSEDED = "superseded", "Superseded"
    WITHDRAWN = "withdrawn", "Withdrawn before it took effect"


class PlanVersion(BaseModel):
    plan = models.ForeignKey(TreatmentPlan, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    status = models.CharField(
        max_length=12, choices=VersionStatus.choices, default=VersionStatus.DRAFT
    )
    change_reason = models.CharField(max_length=300, blank=True)
    template = models.ForeignKey(
        "care.PlanTemplate", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    effective_on = models.DateField(null=True, blank=True)
    weekly_hours = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("0"))

    class Meta:
        ordering = ["plan", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="uniq_plan_version_number")
        ]

    def __str__(self) -> str:
        return f"Version {self.number}"

    @property
    def is_editable(self) -> bool:
        return self.status == VersionStatus.DRAFT


def _key():
    return uuid_lib.uuid4()


class PlanProblem(BaseModel):
    version = models.ForeignKey(PlanVersion, on_delete=models.CASCADE, related_name="problems")
    key = models.UUIDField(default=_key, help_text="The same problem across versions.")
    position = models.PositiveSmallIntegerField(default=0)
    statement = models.TextField()
    diagnoses = models.ManyToManyField("care.Diagnosis", blank=True, related_name="+")
    asam_dimensions = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["position", "id"]


class PlanGoal(BaseModel):
    problem = models.ForeignKey(PlanProblem, on_delete=models.CASCADE, related_name="goals")
    key = models.UUIDField(default=_key)
    position = models.PositiveSmallIntegerField(default=0)
    statement = models.TextField(help_text="In the patient's own words.")

    class Meta:
        ordering = ["position", "id"]


class ObjectiveStatus(models.TextChoices):
    NOT_STARTED = "not_started", "Not started"
    IN_PROGRESS = "in_progress", "In progress"
    MET = "met", "Met"
    REVISED = "revised", "Revised"
    DISCONTINUED = "discontinued", "Discontinued"


class PlanObjective(BaseModel):
    goal = models.ForeignKey(PlanGoal, on_delete=models.CASCADE, related_name="objectives")
    key = models.UUIDField(default=_key)
    position = models.PositiveSmallIntegerField(default=0)
    statement = models.TextField(help_text="Measurable: what, how much, by when.")
    target_on = models.DateField()
    status = models.CharField(
        max_length=14, choices=ObjectiveStatus.choices, default=ObjectiveStatus.NOT_STARTED
    )

    class Meta:
        ordering = ["position", "id"]


class Modality(models.TextChoices):
    INDIVIDUAL = "individual", "Individual therapy"
    GROUP = "group", "Group therapy"
    FAMILY = "family", "Family therapy"
    PSYCHOEDUCATION = "psychoeducation", "Psychoeducation workshop"
    MEDICATION = "medication", "Medication management"
    MINDFULNESS = "mindfulness", "Mindfulness or stress reduction"
    DRUG_TESTING = "drug_testing", "Drug and alcohol testing"
    CASE_MANAGEMENT = "case_management", "Case management"
    PEER_SUPPORT = "peer_support", "Peer support"


class Period(models.TextChoices):
    WEEK = "week", "a week"
    FORTNIGHT = "fortnight", "every other week"
    MONTH = "month", "a month"


class PlanIntervention(BaseModel):
    objective = models.ForeignKey(
        PlanObjective, on_delete=models.CASCADE, related_name="interventions"
    )
    key = models.UUIDField(default=_key)
    position = models.PositiveSmallIntegerField(default=0)
    modality = models.CharField(max_length=16, choices=Modality.choices)
    topic = models.CharField(max_length=120, blank=True)
    description = models.TextField(blank=True)
    sessions = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(21)]
    )
    period = models.CharField(max_length=10, choices=Period.choices)
    minutes = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(5), MaxValueValidator(480)]
    )
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    support_persons = models.ManyToManyField("patients.SupportPerson", blank=True, related_name="+")

    class Meta:
        ordering = ["position", "id"]

    @property
    def frequency_label(self) -> str:
        from openiop.care.plans.hours import frequency_label

        return frequency_label(self)


class SignatureRole(models.TextChoices):
    CLINICIAN = "clinician", "Clinician"
    PATIENT = "patient", "Patient"
    SUPERVISOR = "supervisor", "Clinical supervisor"


class SignatureMethod(models.TextChoices):
    ACCOUNT = "account", "Signed in with their own account"
    TYPED = "typed", "Typed attestation"
    DRAWN = "drawn", "Drawn on a tablet"


class PlanSignature(BaseModel):
    version = models.ForeignKey(PlanVersion, on_delete=models.CASCADE, related_name="signatures")
    role = models.CharField(max_length=12, choices=SignatureRole.choices)
    method = models.CharField(max_length=10, choices=SignatureMethod.choices)
    # the staff member who signed, or who witnessed the patient's signature
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    signer_name = models.CharField(max_length=150)
    credentials = models.CharField(max_length=60, blank=True)
    drawing = models.TextField(blank=True, help_text="SVG path data of a drawn signature.")
    attestation = models.TextField()
    signed_at = models.DateTimeField()

    class Meta:
        ordering = ["signed_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["version", "role"], name="one_signature_per_role")
        ]


class ReviewOutcome(models.TextChoices):
    CONTINUE = "continue", "Continue the plan as it is"
    REVISE = "revise", "Revise the plan (a new version)"
    END = "end", "End the plan"


class PlanReview(BaseModel):
    plan = models.ForeignKey(TreatmentPlan, on_delete=models.CASCADE, related_name="reviews")
    version = models.ForeignKey(PlanVersion, on_delete=models.PROTECT, related_name="reviews")
    reviewed_on = models.DateField()
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    outcome = models.CharField(max_length=10, choices=ReviewOutcome.choices)
    summary = models.TextField()
    patient_participated = models.BooleanField(default=True)
    next_review_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-reviewed_on", "-id"]


class ObjectiveProgress(BaseModel):
    review = models.ForeignKey(PlanReview, on_delete=models.CASCADE, related_name="progress")
    objective = models.ForeignKey(PlanObjective, on_delete=models.PROTECT, related_name="progress")
    objective_key = models.UUIDField()
    status = models.CharField(max_length=14, choices=ObjectiveStatus.choices)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["objective_key", "-id"])]


class RelapsePreventionPlan(BaseModel):
    """The patient's own one-page plan; every edit is counted like the plan's."""

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.PROTECT, related_name="+"
    )
    episode = models.OneToOneField(
        "care.Episode", on_delete=models.PROTECT, related_name="relapse_prevention"
    )
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    triggers = models.TextField()
    warning_signs = models.TextField()
    coping_strategies = models.TextField()
    people_to_call = models.TextField(help_text="One a line: name, relationship, phone.")
    safe_places = models.TextField(blank=True)
    reasons = models.TextField(blank=True, help_text="Why recovery matters, in their words.")
    revision = models.PositiveIntegerField(default=1)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField(null=True)

    objects = PlanQuerySet.as_manager()
