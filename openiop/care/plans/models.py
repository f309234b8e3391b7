"""Intake assessment, diagnoses, program settings and plan templates."""

from django.conf import settings
from django.db import models

from openiop.care.plans.asam import LEVELS
from openiop.care.plans.icd import CATEGORY_LABELS
from openiop.care.plans.querysets import (
    AssessmentQuerySet,
    DiagnosisQuerySet,
    TemplateQuerySet,
)
from openiop.core.models import BaseModel

LEVEL_CHOICES = list(LEVELS.items())

__all__ = [
    "RiskLevel",
    "AssessmentStatus",
    "Assessment",
    "DiagnosisStatus",
    "Diagnosis",
    "PlanSettings",
    "PlanTemplate",
]


class RiskLevel(models.TextChoices):
    NONE = "none", "No current risk identified"
    LOW = "low", "Low"
    MODERATE = "moderate", "Moderate: safety plan"
    HIGH = "high", "High: same-day safety response"


class AssessmentStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    COMPLETED = "completed", "Completed"


class Assessment(BaseModel):
    """The intake assessment of an episode, with the six ASAM dimension ratings."""

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.PROTECT, related_name="+"
    )
    episode = models.ForeignKey(
        "care.Episode", on_delete=models.PROTECT, related_name="assessments"
    )
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    assessed_on = models.DateField()
    presenting_problems = models.TextField(help_text="In the patient's own words.")
    strengths = models.TextField(blank=True)
    substance_use_history = models.TextField(blank=True)
    mental_health_history = models.TextField(blank=True)
    risk_level = models.CharField(max_length=10, choices=RiskLevel.choices)
    risk_notes = models.TextField(blank=True)
    living_situation = models.TextField(blank=True)
    supports = models.TextField(blank=True)
    edition = models.CharField(max_length=10, default="asam3")
    # dimension code -> {"rating": 0-4, "note": "..."}; the list of dimensions is data (asam.py)
    dimensions = models.JSONField(default=dict)
    status = models.CharField(
        max_length=10, choices=AssessmentStatus.choices, default=AssessmentStatus.DRAFT
    )
    recommended_level = models.CharField(max_length=8, choices=LEVEL_CHOICES, blank=True)
    recommendation_reason = models.TextField(blank=True)
    rules_source = models.CharField(max_length=80, blank=True)
    chosen_level = models.CharField(max_length=8, choices=LEVEL_CHOICES, blank=True)
    override_reason = models.TextField(blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    completed_at = models.DateTimeField(null=True, blank=True)

    objects = AssessmentQuerySet.as_manager()

    class Meta:
        ordering = ["-assessed_on", "-id"]
        indexes = [models.Index(fields=["episode", "status"])]

    def __str__(self) -> str:
        return f"Assessment {self.assessed_on:%Y-%m-%d}"

    @property
    def is_override(self) -> bool:
        return bool(self.chosen_level) and self.chosen_level != self.recommended_level

    def rating(self, code: str):
        return (self.dimensions.get(code) or {}).get("rating")


class DiagnosisStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    RESOLVED = "resolved", "Resolved"
    ENTERED_IN_ERROR = "entered_in_error", "Entered in error"


class Diagnosis(BaseModel):
    """An ICD-10-CM diagnosis of the patient, made during an episode."""

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.PROTECT, related_name="+"
    )
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="diagnoses"
    )
    episode = models.ForeignKey("care.Episode", on_delete=models.PROTECT, related_name="diagnoses")
    code = models.CharField(max_length=8)
    description = models.CharField(max_length=300)
    category = models.CharField(max_length=16, choices=list(CATEGORY_LABELS.items()))
    is_primary = models.BooleanField(default=False)
    status = models.CharField(
        max_length=20, choices=DiagnosisStatus.choices, default=DiagnosisStatus.ACTIVE
    )
    diagnosed_on = models.DateField()
    resolved_on = models.DateField(null=True, blank=True)
    note = models.CharField(max_length=300, blank=True)

    objects = DiagnosisQuerySet.as_manager()

    class Meta:
        ordering = ["-is_primary", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["episode"],
                condition=models.Q(is_primary=True, status="active"),
                name="one_primary_diagnosis_per_episode",
            ),
            models.UniqueConstraint(
                fields=["episode", "code"],
                condition=models.Q(status="active"),
                name="one_active_diagnosis_per_code",
            ),
        ]
        indexes = [models.Index(fields=["patient", "status"])]

    def __str__(self) -> str:
        return f"{self.code} {self.description}"


class PlanSettings(BaseModel):
    """A program's treatment-plan settings (the review interval is `Program.plan_review_days`)."""

    program = models.OneToOneField(
        "organizations.Program", on_delete=models.CASCADE, related_name="plan_settings"
    )
    # None: follow Organization.requires_supervisor_signature
    requires_supervisor_signature = models.BooleanField(null=True, blank=True)
    # level-of-care rules (asam.py format); empty: the defaults
    loc_rules = models.JSONField(default=list, blank=True)

    def __str__(self) -> str:
        return f"Plan settings of {self.program}"


class PlanTemplate(BaseModel):
    """A starting point for a plan: problems, goals, objectives, interventions as data."""

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="plan_templates"
    )
    key = models.SlugField(max_length=60)
    name = models.CharField(max_length=150)
    presentation = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    content = models.JSONField()
    built_in = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)

    objects = TemplateQuerySet.as_manager()

    class Meta:
        ordering = ["-built_in", "name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "key"], name="uniq_template_key")
        ]

    def __str__(self) -> str:
        return self.name
