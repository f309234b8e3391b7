"""The safety plan: what the patient will do when thoughts of suicide or of
hurting themselves come, written with them in their words, kept on one page.

Its sections follow the structure clinicians commonly use for a safety plan
(warning signs, own coping, people and places that distract, people to ask for
help, professionals and crisis lines, making the surroundings safe, reasons to
live), written here in OpenIOP's own words. Every saved change is a new
version; signatures (patient and clinician) belong to the version they sign.
"""

from django.conf import settings
from django.db import models

from openiop.care.plans.querysets import PlanQuerySet
from openiop.core.models import BaseModel

__all__ = ["SafetyPlan", "SafetyPlanVersion", "SafetyPlanSignature"]

SECTIONS = [
    ("warning_signs", "Signs that a crisis may be starting", True),
    ("coping", "What I can do on my own to feel better", True),
    ("distractions", "People and places that take my mind off things", False),
    ("help_contacts", "People I can ask for help (name and phone)", True),
    ("professionals", "Professionals and crisis lines to call", True),
    ("safe_environment", "Making my surroundings safe", True),
    ("reasons", "What is worth living for, in my words", False),
]


class SafetyPlan(BaseModel):
    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.PROTECT, related_name="+"
    )
    episode = models.OneToOneField(
        "care.Episode", on_delete=models.PROTECT, related_name="safety_plan"
    )
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    warning_signs = models.TextField()
    coping = models.TextField()
    distractions = models.TextField(blank=True)
    help_contacts = models.TextField()
    professionals = models.TextField()
    safe_environment = models.TextField()
    reasons = models.TextField(blank=True)
    revision = models.PositiveIntegerField(default=1)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField(null=True)

    objects = PlanQuerySet.as_manager()

    def __str__(self) -> str:
        return f"Safety plan, version {self.revision}"

    def sections(self) -> list[tuple[str, list[str]]]:
        return [
            (label, [line for line in getattr(self, name).splitlines() if line.strip()])
            for name, label, _required in SECTIONS
        ]


class SafetyPlanVersion(models.Model):
    """The plan as saved at one revision (what a signature covers)."""

    plan = models.ForeignKey(SafetyPlan, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    content = models.JSONField()
    saved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    saved_at = models.DateTimeField()

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="uniq_safety_plan_version")
        ]

    def __str__(self) -> str:
        return f"safety plan version {self.number}"


class SafetyPlanSignature(models.Model):
    class Role(models.TextChoices):
        PATIENT = "patient", "Patient"
        CLINICIAN = "clinician", "Clinician"

    version = models.ForeignKey(
        SafetyPlanVersion, on_delete=models.PROTECT, related_name="signatures"
    )
    role = models.CharField(max_length=10, choices=Role.choices)
    name = models.CharField(max_length=150)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    signed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["version", "role"], name="one_safety_plan_signature_per_role"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()}: {self.name}"
