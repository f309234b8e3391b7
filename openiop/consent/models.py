"""42 CFR Part 2 consent, external recipients and the accounting of disclosures.

A consent holds every element 42 CFR 2.31 requires: the patient, who may
disclose (the organization, or one of its programs), a specific description
of the information, the recipients (a named recipient, or the treatment,
payment and health care operations class of the 2024 rule), the purpose, an
expiry date or event, the signature and its date; and its revocation.
"""

from django.conf import settings
from django.db import models

from openiop.consent.querysets import ConsentQuerySet, DisclosureQuerySet, RecipientQuerySet
from openiop.core.models import BaseModel


class Information(models.TextChoices):
    DEMOGRAPHICS = (
        "demographics",
        "Identity and enrollment: name, birth date, contact details, support persons, "
        "admissions and discharges",
    )
    DIAGNOSES = "diagnoses", "Diagnoses (ICD-10-CM)"
    PLAN = "plan", "Treatment plan: problems, goals, objectives and services"
    SCORES = "scores", "Screening and outcome scores (PHQ-9, GAD-7, AUDIT and others)"
    ATTENDANCE = "attendance", "Attendance at scheduled sessions"
    DISCHARGE_SUMMARY = "discharge_summary", "Discharge summary and aftercare plan"
    COUNSELING_NOTES = "counseling_notes", "SUD counseling notes kept apart from the record"


SHORT_LABELS = {
    "demographics": "identity and enrollment",
    "diagnoses": "diagnoses",
    "plan": "treatment plan",
    "scores": "scores",
    "attendance": "attendance",
    "discharge_summary": "discharge summary",
    "counseling_notes": "SUD counseling notes",
}


class RecipientKind(models.TextChoices):
    PROVIDER = "provider", "Treating provider or program"
    PAYER = "payer", "Health plan or other payer"
    PERSON = "person", "A named person"
    OTHER = "other", "Other (employer, court, school, agency)"


# Kinds a treatment, payment and health care operations consent reaches.
TPO_KINDS = {RecipientKind.PROVIDER, RecipientKind.PAYER}


class ExternalRecipient(BaseModel):
    """A party outside the program that records may be disclosed to. When it
    has a `client_user`, that account's API tokens identify the recipient's
    system to the FHIR API (and give it nothing a consent does not)."""

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=12, choices=RecipientKind.choices)
    contact = models.CharField(max_length=300, blank=True, help_text="Address, phone or email.")
    client_user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="external_recipient",
    )
    is_active = models.BooleanField(default=True)

    objects = RecipientQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="uniq_recipient_name")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def tpo_eligible(self) -> bool:
        return self.kind in TPO_KINDS


class RecipientScope(models.TextChoices):
    NAMED = "named", "The named recipient"
    TPO = "tpo", "Treatment, payment and health care operations (any treating provider or payer)"


class Purpose(models.TextChoices):
    TREATMENT = "treatment", "Treatment and care coordination"
    PAYMENT = "payment", "Payment"
    OPERATIONS = "operations", "Health care operations"
    TPO = "tpo", "Treatment, payment and health care operations"
    PATIENT_REQUEST = "patient_request", "At the patient's request"
    LEGAL = "legal", "Legal proceedings"
    OTHER = "other", "Other (described)"


class SignerRole(models.TextChoices):
    SELF = "self", "The patient"
    GUARDIAN = "guardian", "Parent or legal guardian"
    REPRESENTATIVE = "representative", "Personal representative"


class ConsentStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    REVOKED = "revoked", "Revoked"


class Part2Consent(BaseModel):
    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.PROTECT, related_name="+"
    )
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="part2_consents"
    )
    # who may disclose: the organization, or only this program of it
    program = models.ForeignKey(
        "organizations.Program", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    categories = models.JSONField(help_text="Information values (see Information).")
    description = models.TextField(help_text="The information, specifically, in words.")
    recipient_scope = models.CharField(max_length=8, choices=RecipientScope.choices)
    recipient = models.ForeignKey(
        ExternalRecipient,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="consents",
    )
    purpose = models.CharField(max_length=16, choices=Purpose.choices)
    purpose_detail = models.CharField(max_length=300, blank=True)
    expires_on = models.DateField(null=True, blank=True)
    expiry_event = models.CharField(max_length=200, blank=True)
    # "expires at discharge": the event the application evaluates, on this episode
    expires_at_discharge = models.BooleanField(default=False)
    expiry_episode = models.ForeignKey(
        "care.Episode", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    signer_name = models.CharField(max_length=150)
    signer_role = models.CharField(max_length=16, choices=SignerRole.choices)
    attestation = models.TextField()
    signed_on = models.DateField()
    status = models.CharField(
        max_length=8, choices=ConsentStatus.choices, default=ConsentStatus.ACTIVE
    )
    revoked_on = models.DateField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    revocation_note = models.CharField(max_length=300, blank=True)

    objects = ConsentQuerySet.as_manager()

    class Meta:
        ordering = ["-signed_on", "-id"]
        indexes = [
            models.Index(fields=["patient", "status"]),
            models.Index(fields=["recipient", "status"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(recipient_scope="tpo") | models.Q(recipient__isnull=False),
                name="named_consent_has_recipient",
            ),
            models.CheckConstraint(
                condition=models.Q(expires_on__isnull=False) | ~models.Q(expiry_event=""),
                name="consent_has_expiry",
            ),
        ]

    def __str__(self) -> str:
        return f"Part 2 consent of {self.signed_on:%Y-%m-%d} to {self.recipient_label}"

    @property
    def recipient_label(self) -> str:
        if self.recipient_scope == RecipientScope.TPO:
            return "treating providers and payers (treatment, payment and operations)"
        return self.recipient.name if self.recipient_id else "-"

    @property
    def discloser_label(self) -> str:
        if self.program_id:
            return f"{self.organization.name}, {self.program.name}"
        return self.organization.name

    @property
    def expires_effective_on(self):
        """The last day the consent can be used: its date, or the discharge that
        ends it, whichever comes first (None while neither is known)."""
        days = [self.expires_on]
        if self.expires_at_discharge and self.expiry_episode_id:
            days.append(self.expiry_episode.discharged_on)
        days = [d for d in days if d]
        return min(days) if days else None

    def state(self, today=None) -> str:
        """active, revoked or expired (on `today`): the one place a consent's
        expiry, by date or by discharge, is decided."""
        if today is None:
            from openiop.core.clock import organization_today

            today = organization_today(self.organization_id)
        if self.status == ConsentStatus.REVOKED:
            return "revoked"
        last = self.expires_effective_on
        if last and last < today:
            return "expired"
        return "active"

    def category_labels(self) -> list[str]:
        return [Information(c).label for c in self.categories if c in Information.values]

    def short_labels(self) -> list[str]:
        return [SHORT_LABELS.get(c, c) for c in self.categories]

    def covers(self, categories) -> bool:
        return set(categories) <= set(self.categories)


class Channel(models.TextChoices):
    FHIR_API = "fhir_api", "Read by the recipient's system (FHIR API)"
    DOWNLOAD = "download", "Downloaded record (FHIR bundle)"
    PRINT = "print", "Printed record"


class Disclosure(models.Model):
    """One entry of the accounting of disclosures (42 CFR 2.24): what was
    disclosed, to whom, when, for what purpose, under which consent. Append-only."""

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.PROTECT, related_name="+"
    )
    uuid = models.UUIDField(unique=True)
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="disclosures"
    )
    consent = models.ForeignKey(Part2Consent, on_delete=models.PROTECT, related_name="disclosures")
    recipient = models.ForeignKey(
        ExternalRecipient, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recipient_name = models.CharField(max_length=200)
    categories = models.JSONField()
    purpose = models.CharField(max_length=300)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    description = models.CharField(max_length=300)
    resource_count = models.PositiveIntegerField(default=0)
    disclosed_at = models.DateTimeField(db_index=True)
    disclosed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    disclosed_by_name = models.CharField(max_length=150)
    request_id = models.CharField(max_length=32, blank=True)
    notice_given = models.BooleanField(default=True)

    objects = DisclosureQuerySet.as_manager()

    class Meta:
        ordering = ["-disclosed_at", "-id"]
        indexes = [models.Index(fields=["patient", "disclosed_at"])]

    def __str__(self) -> str:
        return f"{self.disclosed_at:%Y-%m-%d} to {self.recipient_name}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError("The accounting of disclosures is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("The accounting of disclosures is append-only.")

    def category_labels(self) -> list[str]:
        return [SHORT_LABELS.get(c, c) for c in self.categories]
