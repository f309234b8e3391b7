"""Discharge summary and aftercare plan (the episode itself is closed by
`care.services.episode_discharge`)."""

from django.conf import settings
from django.db import models

from openiop.care.plans.querysets import PlanQuerySet
from openiop.core.models import BaseModel

__all__ = [
    "StepDown",
    "GoalOutcome",
    "DischargeSummary",
    "AftercareKind",
    "AftercareItem",
]


class StepDown(models.TextChoices):
    OUTPATIENT = "outpatient", "Regular outpatient (ASAM 1)"
    IOP = "iop", "Another intensive outpatient program (ASAM 2.1)"
    PHP = "php", "Partial hospitalization (ASAM 2.5)"
    RESIDENTIAL = "residential", "Residential or inpatient"
    RECOVERY_SUPPORT = "recovery_support", "Recovery support only (peer groups, sponsor)"
    NONE = "none", "None arranged (patient declined or left)"


class GoalOutcome(models.TextChoices):
    ACHIEVED = "achieved", "Achieved"
    PARTIAL = "partial", "Partly achieved"
    NOT_ACHIEVED = "not_achieved", "Not achieved"


class DischargeSummary(BaseModel):
    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.PROTECT, related_name="+"
    )
    episode = models.OneToOneField(
        "care.Episode", on_delete=models.PROTECT, related_name="discharge_summary"
    )
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    discharged_on = models.DateField()
    reason = models.CharField(max_length=24)
    services_received = models.TextField()
    # [{"goal": "...", "outcome": "achieved", "note": "..."}], copied from the plan
    goal_progress = models.JSONField(default=list)
    # [{"code": "F10.20", "description": "...", "category": "...", "is_primary": true}]
    diagnoses_at_discharge = models.JSONField(default=list)
    clinical_summary = models.TextField()
    # aftercare
    step_down = models.CharField(max_length=20, choices=StepDown.choices)
    medication_continuity = models.TextField(blank=True)
    patient_instructions = models.TextField(blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    signed_at = models.DateTimeField()

    objects = PlanQuerySet.as_manager()

    class Meta:
        ordering = ["-discharged_on", "-id"]


class AftercareKind(models.TextChoices):
    APPOINTMENT = "appointment", "Appointment booked"
    REFERRAL = "referral", "Referral"
    SUPPORT_GROUP = "support_group", "Support group"
    MEDICATION = "medication", "Medication"


class AftercareItem(BaseModel):
    summary = models.ForeignKey(
        DischargeSummary, on_delete=models.CASCADE, related_name="aftercare_items"
    )
    kind = models.CharField(max_length=16, choices=AftercareKind.choices)
    name = models.CharField(max_length=200, help_text="Who or what: clinic, group, medication.")
    when = models.CharField(max_length=120, blank=True, help_text="Date and time, or how often.")
    contact = models.CharField(max_length=200, blank=True)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["kind", "id"]
