"""Measurement-based care: instruments as data, responses and their scores,
safety alerts, one-time links for patients, drug and alcohol tests, the
recovery start date, daily check-ins and each program's schedule of measures."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from openiop.core.models import BaseModel
from openiop.measures.querysets import (
    AlertQuerySet,
    CheckInQuerySet,
    DrugTestQuerySet,
    InstrumentQuerySet,
    PatientLinkQuerySet,
    RecoveryStartQuerySet,
    ResponseQuerySet,
    ScheduleQuerySet,
)


def _org():
    return models.ForeignKey(
        "organizations.Organization", on_delete=models.PROTECT, related_name="+"
    )


def _patient(related_name):
    return models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name=related_name
    )


def _episode():
    return models.ForeignKey(
        "care.Episode", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )


class Instrument(BaseModel):
    """A questionnaire and how it is scored. No organization: shipped with
    OpenIOP (PHQ-9, GAD-7, ...); with one: that organization's own."""

    organization = models.ForeignKey(
        "organizations.Organization",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="instruments",
    )
    code = models.CharField(max_length=20)
    short_name = models.CharField(max_length=40)
    name = models.CharField(max_length=200)
    definition = models.JSONField()
    licence = models.TextField()
    source = models.TextField()
    is_active = models.BooleanField(default=True)

    objects = InstrumentQuerySet.as_manager()

    class Meta:
        ordering = ["short_name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["code"],
                condition=models.Q(organization__isnull=True),
                name="uniq_shipped_instrument_code",
            ),
            models.UniqueConstraint(
                fields=["organization", "code"], name="uniq_org_instrument_code"
            ),
        ]

    def __str__(self) -> str:
        return self.short_name

    @property
    def is_shipped(self) -> bool:
        return self.organization_id is None


class ResponseSource(models.TextChoices):
    STAFF = "staff", "Entered by staff"
    PATIENT_LINK = "patient_link", "Completed by the patient (one-time link)"
    IMPORT = "import", "Imported"


class RecordStatus(models.TextChoices):
    FINAL = "final", "Final"
    ENTERED_IN_ERROR = "entered_in_error", "Entered in error"


class Response(BaseModel):
    """One completed questionnaire and its score, as scored when it was given."""

    organization = _org()
    patient = _patient("measure_responses")
    episode = _episode()
    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="responses")
    administered_on = models.DateField()
    administered_at = models.DateTimeField(default=timezone.now)
    answers = models.JSONField(help_text="item id -> answer value (null = not answered)")
    sex = models.CharField(max_length=8, blank=True, help_text="sex used for the cut-off")
    total = models.SmallIntegerField(null=True, blank=True)
    band = models.CharField(max_length=40, blank=True)
    band_label = models.CharField(max_length=80, blank=True)
    severity = models.SmallIntegerField(null=True, blank=True)
    scored = models.BooleanField(default=False)
    result = models.JSONField(default=dict, help_text="the scorer's full answer")
    source = models.CharField(max_length=16, choices=ResponseSource.choices)
    status = models.CharField(
        max_length=20, choices=RecordStatus.choices, default=RecordStatus.FINAL
    )
    status_reason = models.CharField(max_length=300, blank=True)

    objects = ResponseQuerySet.as_manager()

    class Meta:
        ordering = ["-administered_on", "-administered_at", "-id"]
        indexes = [
            models.Index(fields=["patient", "instrument", "administered_on"]),
            models.Index(fields=["episode", "instrument", "administered_on"]),
            models.Index(fields=["organization", "administered_on"]),
        ]

    def __str__(self) -> str:
        return f"{self.instrument} {self.administered_on:%Y-%m-%d}"

    @property
    def alerts(self) -> list[str]:
        return self.result.get("alerts", [])

    @property
    def subscales(self) -> dict:
        return self.result.get("subscales", {})


class AlertKind(models.TextChoices):
    SELF_HARM_ITEM = "self_harm_item", "Thoughts of death or self-harm"
    SELF_HARM_UNANSWERED = "self_harm_unanswered", "Self-harm question not answered"
    INTAKE_HIGH_RISK = "intake_high_risk", "High risk at intake"
    CHECKIN_CRISIS = "checkin_crisis", "Patient does not feel safe (check-in)"
    SEVERE_BAND = "severe_band", "Rise into a severe band"
    LARGE_RISE = "large_rise", "Large rise in score"
    ITEM = "item_alert", "An answer needing attention"


class AlertTier(models.TextChoices):
    """Safety alerts page people and escalate until acknowledged; clinical
    attention flags wait on dashboards and the chart."""

    SAFETY = "safety", "Safety alert"
    ATTENTION = "attention", "Clinical attention"


SAFETY_KINDS = {
    AlertKind.SELF_HARM_ITEM,
    AlertKind.SELF_HARM_UNANSWERED,
    AlertKind.INTAKE_HIGH_RISK,
    AlertKind.CHECKIN_CRISIS,
}


class AlertStatus(models.TextChoices):
    OPEN = "open", "Open"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"


class SafetyAlert(BaseModel):
    """Raised with the response that caused it, in the same transaction; stays
    open (on the recipients' dashboards) until someone acknowledges it with a note."""

    organization = _org()
    patient = _patient("safety_alerts")
    episode = _episode()
    program = models.ForeignKey(
        "organizations.Program", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # what raised it: a response, an intake assessment or a check-in
    response = models.ForeignKey(
        Response, null=True, blank=True, on_delete=models.PROTECT, related_name="safety_alerts"
    )
    assessment = models.ForeignKey(
        "care.Assessment", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    checkin = models.ForeignKey(
        "measures.CheckIn",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="safety_alerts",
    )
    kind = models.CharField(max_length=20, choices=AlertKind.choices)
    tier = models.CharField(max_length=10, choices=AlertTier.choices, default=AlertTier.SAFETY)
    # nobody of the patient's program could be found: on the organization's
    # safety queue (every clinical dashboard of the organization)
    on_queue = models.BooleanField(default=False)
    escalation_level = models.PositiveSmallIntegerField(default=0)
    next_escalation_at = models.DateTimeField(null=True, blank=True)
    summary = models.CharField(max_length=200)
    status = models.CharField(max_length=16, choices=AlertStatus.choices, default=AlertStatus.OPEN)
    recipients = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="AlertRecipient", related_name="safety_alerts"
    )
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledgement_note = models.TextField(blank=True)

    objects = AlertQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["response", "kind"], name="one_alert_per_kind"),
            models.UniqueConstraint(fields=["assessment", "kind"], name="one_alert_per_assessment"),
            # said again after an acknowledgement, "not safe" is a new alert
            models.UniqueConstraint(
                fields=["checkin", "kind"],
                condition=models.Q(status="open"),
                name="one_open_alert_per_checkin",
            ),
            models.CheckConstraint(
                condition=models.Q(status="open")
                | (models.Q(acknowledged_at__isnull=False) & ~models.Q(acknowledgement_note="")),
                name="acknowledged_alert_has_note",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "status"]),
            models.Index(fields=["program", "status"]),
            models.Index(fields=["patient", "status"]),
            models.Index(fields=["status", "next_escalation_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_status_display()})"

    @property
    def is_open(self) -> bool:
        return self.status == AlertStatus.OPEN

    @property
    def pages(self) -> bool:
        return self.tier == AlertTier.SAFETY


class RecipientReason(models.TextChoices):
    PRIMARY_CLINICIAN = "primary_clinician", "Primary clinician"
    PROGRAM_DIRECTOR = "program_director", "Program director"
    PROGRAM_CLINICIAN = "program_clinician", "Clinician of the program (no one else to tell)"
    ORGANIZATION_QUEUE = "organization_queue", "Organization safety queue (no program team)"
    ESCALATED = "escalated", "Escalated: not acknowledged in time"
    ON_CALL = "on_call", "Organization's on-call contact"
    # nobody holds a clinical role: told to put someone on it (cannot open it)
    NO_CLINICAL_STAFF = "no_clinical_staff", "Administrator (no clinical staff to receive it)"

    @classmethod
    def clinical(cls) -> list[str]:
        """The reasons of people who can open and answer the alert."""
        return [r for r in cls.values if r != cls.NO_CLINICAL_STAFF]


class AlertRecipient(models.Model):
    alert = models.ForeignKey(SafetyAlert, on_delete=models.CASCADE, related_name="routing")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=20, choices=RecipientReason.choices)
    level = models.PositiveSmallIntegerField(default=0, help_text="0 first, then escalations")
    added_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["alert", "user"], name="uniq_alert_recipient")
        ]
        indexes = [models.Index(fields=["user", "alert"])]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_reason_display()})"


class AlertStep(models.Model):
    """One escalation step of a safety alert, as taken: the level reached, how
    many people it added, and whether an on-call address was paged. A level
    with nobody new to tell is recorded and passed through at once."""

    alert = models.ForeignKey(SafetyAlert, on_delete=models.CASCADE, related_name="steps")
    level = models.PositiveSmallIntegerField()
    at = models.DateTimeField()
    people = models.PositiveIntegerField(
        default=0, help_text="The level's people (directors, on-call person), told or not"
    )
    added = models.PositiveIntegerField(default=0)
    on_call_address = models.BooleanField(default=False)

    class Meta:
        ordering = ["at", "level", "id"]
        constraints = [
            models.UniqueConstraint(fields=["alert", "level"], name="one_step_per_level")
        ]

    def __str__(self) -> str:
        return f"escalation {self.level} at {self.at:%Y-%m-%d %H:%M}"

    @property
    def nobody_new(self) -> bool:
        return not self.added and not self.on_call_address


class LinkPurpose(models.TextChoices):
    QUESTIONNAIRE = "questionnaire", "A questionnaire"
    CHECKIN = "checkin", "A daily check-in"


class PatientLink(BaseModel):
    """A one-time link a patient opens on their phone, without signing in.
    Only the SHA-256 of the token is stored; it expires and works once."""

    organization = _org()
    patient = _patient("measure_links")
    episode = _episode()
    purpose = models.CharField(max_length=16, choices=LinkPurpose.choices)
    instrument = models.ForeignKey(
        Instrument, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = PatientLinkQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"link for {self.get_purpose_display().lower()}"

    @property
    def state(self) -> str:
        if self.used_at:
            return "used"
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        return "open"


class Specimen(models.TextChoices):
    URINE = "urine", "Urine"
    ORAL_FLUID = "oral_fluid", "Oral fluid"
    BREATH = "breath", "Breath (alcohol)"
    BLOOD = "blood", "Blood"
    HAIR = "hair", "Hair"


class DrugTestStatus(models.TextChoices):
    COLLECTED = "collected", "Collected"
    MISSED = "missed", "Missed (no specimen given)"


class SubstanceResult(models.TextChoices):
    NEGATIVE = "negative", "Negative"
    POSITIVE = "positive", "Positive"
    DILUTE = "dilute", "Dilute"
    REFUSED = "refused", "Refused"


class DrugTestOutcome(models.TextChoices):
    NEGATIVE = "negative", "Negative"
    POSITIVE = "positive", "Positive"
    DILUTE = "dilute", "Dilute"
    REFUSED = "refused", "Refused"
    MISSED = "missed", "Missed"


class DrugTest(BaseModel):
    organization = _org()
    patient = _patient("drug_tests")
    episode = _episode()
    collected_on = models.DateField()
    specimen = models.CharField(max_length=12, choices=Specimen.choices, blank=True)
    status = models.CharField(max_length=12, choices=DrugTestStatus.choices)
    observed = models.BooleanField(default=False, help_text="collection was witnessed")
    outcome = models.CharField(max_length=12, choices=DrugTestOutcome.choices)
    positive_substances = models.JSONField(default=list, blank=True)
    resets_recovery = models.BooleanField(default=False)
    note = models.CharField(max_length=500, blank=True)
    record_status = models.CharField(
        max_length=20, choices=RecordStatus.choices, default=RecordStatus.FINAL
    )

    objects = DrugTestQuerySet.as_manager()

    class Meta:
        ordering = ["-collected_on", "-id"]
        indexes = [
            models.Index(fields=["patient", "collected_on"]),
            models.Index(fields=["episode", "collected_on"]),
            models.Index(fields=["organization", "collected_on"]),
        ]

    def __str__(self) -> str:
        return f"drug test {self.collected_on:%Y-%m-%d}: {self.get_outcome_display()}"

    @property
    def is_concern(self) -> bool:
        return self.outcome != DrugTestOutcome.NEGATIVE


class DrugTestResult(models.Model):
    test = models.ForeignKey(DrugTest, on_delete=models.CASCADE, related_name="results")
    substance = models.CharField(max_length=20)
    result = models.CharField(max_length=12, choices=SubstanceResult.choices)
    expected = models.BooleanField(
        default=False, help_text="a positive explained by a prescription (e.g. buprenorphine)"
    )

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["test", "substance"], name="uniq_test_substance")
        ]

    def __str__(self) -> str:
        return f"{self.substance}: {self.result}"


class RecoveryReason(models.TextChoices):
    ADMISSION = "admission", "Recorded at admission"
    SELF_REPORT = "self_report", "Reported by the patient"
    POSITIVE_TEST = "positive_test", "Reset by a positive test"
    MISSED_TEST = "missed_test", "Reset by a missed or refused test"
    OTHER = "other", "Other"


class RecoveryStart(BaseModel):
    """The date a patient's current recovery started; the newest row is current."""

    organization = _org()
    patient = _patient("recovery_starts")
    started_on = models.DateField()
    reason = models.CharField(max_length=16, choices=RecoveryReason.choices)
    drug_test = models.ForeignKey(
        DrugTest, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.CharField(max_length=300, blank=True)

    objects = RecoveryStartQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["patient", "created_at"])]

    def __str__(self) -> str:
        return f"recovery from {self.started_on:%Y-%m-%d}"


class CheckInSource(models.TextChoices):
    LINK = "link", "Patient, one-time link"
    PORTAL = "portal", "Patient, signed in"
    STAFF = "staff", "Entered by staff"


class CheckIn(BaseModel):
    """A patient's daily check-in: mood and cravings 0-10, the triggers met, and
    whether they feel safe (a "no" is a safety alert)."""

    organization = _org()
    patient = _patient("checkins")
    episode = _episode()
    day = models.DateField()
    # blank only when the patient said no more than "I do not feel safe"
    mood = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(10)]
    )
    cravings = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(10)]
    )
    triggers = models.JSONField(default=list, blank=True)
    note = models.CharField(max_length=500, blank=True)
    not_safe = models.BooleanField(
        default=False, help_text="The patient said they do not feel safe right now."
    )
    source = models.CharField(max_length=8, choices=CheckInSource.choices)

    objects = CheckInQuerySet.as_manager()

    class Meta:
        ordering = ["-day", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["patient", "day"], name="one_checkin_per_day"),
            models.CheckConstraint(
                condition=models.Q(mood__lte=10) & models.Q(cravings__lte=10),
                name="checkin_scales_0_10",
            ),
            models.CheckConstraint(
                condition=models.Q(not_safe=True)
                | (models.Q(mood__isnull=False) & models.Q(cravings__isnull=False)),
                name="checkin_scales_unless_not_safe",
            ),
        ]

    def __str__(self) -> str:
        return f"check-in {self.day:%Y-%m-%d}"


class MeasureSchedule(BaseModel):
    """Which instrument a program gives at admission, every N weeks, at discharge."""

    organization = _org()
    program = models.ForeignKey(
        "organizations.Program", on_delete=models.CASCADE, related_name="measure_schedule"
    )
    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="+")
    at_admission = models.BooleanField(default=True)
    every_weeks = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(26)]
    )
    at_discharge = models.BooleanField(default=True)

    objects = ScheduleQuerySet.as_manager()

    class Meta:
        ordering = ["program", "instrument__short_name"]
        constraints = [
            models.UniqueConstraint(fields=["program", "instrument"], name="uniq_program_measure")
        ]

    def __str__(self) -> str:
        return f"{self.program} / {self.instrument}"
