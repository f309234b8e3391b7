"""Episode of care: one admission of a patient to a program, to its discharge."""

from django.conf import settings
from django.db import models

from openiop.access.querysets import EpisodeQuerySet
from openiop.core.models import BaseModel


class AdmissionType(models.TextChoices):
    STEP_DOWN = "step_down", "Step-down from inpatient or residential"
    STEP_UP = "step_up", "Step-up from outpatient"
    AFTER_RELAPSE = "after_relapse", "After a relapse"
    DIRECT = "direct", "Direct admission"


class ReferralSource(models.TextChoices):
    SELF = "self", "Self or family"
    INPATIENT = "inpatient", "Inpatient or residential program"
    PHYSICIAN = "physician", "Physician or therapist"
    COURT = "court", "Court or probation"
    EMPLOYER = "employer", "Employer or EAP"
    SCHOOL = "school", "School"
    OTHER = "other", "Other"


class EpisodeStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    DISCHARGED = "discharged", "Discharged"
    ENTERED_IN_ERROR = "entered_in_error", "Entered in error"


class DischargeReason(models.TextChoices):
    COMPLETED = "completed", "Completed treatment"
    AMA = "left_against_advice", "Left against advice"
    TRANSFERRED = "transferred", "Transferred"
    STEPPED_UP = "stepped_up", "Stepped up to a higher level of care"
    STEPPED_DOWN = "stepped_down", "Stepped down to a lower level of care"
    ADMINISTRATIVE = "administrative", "Administrative discharge"
    INCARCERATED = "incarcerated", "Incarcerated"
    DIED = "died", "Died"


class Episode(BaseModel):
    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.PROTECT, related_name="episodes"
    )
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="episodes"
    )
    program = models.ForeignKey(
        "organizations.Program", on_delete=models.PROTECT, related_name="episodes"
    )
    track = models.ForeignKey(
        "organizations.Track",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="episodes",
    )
    primary_clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="primary_episodes",
    )
    referral_source = models.CharField(max_length=16, choices=ReferralSource.choices)
    admission_type = models.CharField(max_length=16, choices=AdmissionType.choices)
    admitted_on = models.DateField()
    status = models.CharField(
        max_length=20, choices=EpisodeStatus.choices, default=EpisodeStatus.ACTIVE
    )
    discharged_on = models.DateField(null=True, blank=True)
    discharge_reason = models.CharField(max_length=24, choices=DischargeReason.choices, blank=True)

    objects = EpisodeQuerySet.as_manager()

    class Meta:
        ordering = ["-admitted_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "program"],
                condition=models.Q(status="active"),
                name="one_open_episode_per_program",
            ),
            models.CheckConstraint(
                condition=models.Q(discharged_on__isnull=True)
                | models.Q(discharged_on__gte=models.F("admitted_on")),
                name="discharge_after_admission",
            ),
        ]
        indexes = [
            # the census: open episodes by program and track, and the last 30 days
            # (admissions, discharges) of a program without its whole history
            models.Index(fields=["program", "status", "track"]),
            models.Index(fields=["program", "admitted_on"]),
            models.Index(fields=["program", "discharged_on"]),
            models.Index(fields=["primary_clinician", "status"]),
            models.Index(fields=["patient", "status"]),
            # the program scope of patients: EXISTS (episode of this patient in these programs)
            models.Index(fields=["patient", "program"]),
        ]

    def __str__(self) -> str:
        return f"{self.program} from {self.admitted_on:%Y-%m-%d}"

    @property
    def is_open(self) -> bool:
        return self.status == EpisodeStatus.ACTIVE


# The clinical record of an episode lives in care.plans (one app, several modules).
from openiop.care.plans.discharge_models import *  # noqa: E402,F401,F403
from openiop.care.plans.models import *  # noqa: E402,F401,F403
from openiop.care.plans.plan_models import *  # noqa: E402,F401,F403
from openiop.care.plans.safety_models import *  # noqa: E402,F401,F403
