"""Patient, contacts and support persons, insurance coverage."""

from django.conf import settings
from django.db import models

from openiop.access.querysets import PatientQuerySet
from openiop.core.models import BaseModel


class Sex(models.TextChoices):
    FEMALE = "female", "Female"
    MALE = "male", "Male"
    INTERSEX = "intersex", "Intersex"
    UNKNOWN = "unknown", "Not recorded"


class Patient(BaseModel):
    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.PROTECT, related_name="patients"
    )
    mrn = models.CharField("MRN", max_length=30)
    legal_given_name = models.CharField(max_length=100)
    legal_family_name = models.CharField(max_length=100)
    preferred_name = models.CharField(max_length=100, blank=True)
    pronouns = models.CharField(max_length=40, blank=True)
    date_of_birth = models.DateField()
    sex_at_birth = models.CharField(max_length=16, choices=Sex.choices, default=Sex.UNKNOWN)
    phone = models.CharField(max_length=30, blank=True)
    email = models.EmailField(blank=True)
    street = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=2, blank=True)
    zip_code = models.CharField(max_length=10, blank=True)
    preferred_language = models.CharField(max_length=40, default="English")
    # lower-cased "given family preferred" for search; written by the services
    search_name = models.CharField(max_length=310, editable=False, default="")
    portal_user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="patient_record",
    )

    objects = PatientQuerySet.as_manager()

    class Meta:
        ordering = ["legal_family_name", "legal_given_name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "mrn"], name="uniq_mrn_per_org")
        ]
        indexes = [
            models.Index(fields=["organization", "search_name"]),
            models.Index(fields=["organization", "date_of_birth"]),
            models.Index(fields=["organization", "legal_family_name", "legal_given_name"]),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        given = self.preferred_name or self.legal_given_name
        return f"{given} {self.legal_family_name}"

    @property
    def legal_name(self) -> str:
        return f"{self.legal_given_name} {self.legal_family_name}"


class ContactRelationship(models.TextChoices):
    SPOUSE = "spouse", "Spouse or partner"
    PARENT = "parent", "Parent or guardian"
    CHILD = "child", "Adult child"
    SIBLING = "sibling", "Sibling"
    FRIEND = "friend", "Friend"
    SPONSOR = "sponsor", "Recovery sponsor"
    OTHER = "other", "Other"


class SupportPerson(BaseModel):
    """A family member or other support person; may be the emergency contact.

    `involvement_consent` records the patient's consent to involve this person
    in treatment (family sessions, updates); without it staff share nothing.
    """

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="support_persons")
    name = models.CharField(max_length=150)
    relationship = models.CharField(max_length=16, choices=ContactRelationship.choices)
    phone = models.CharField(max_length=30, blank=True)
    email = models.EmailField(blank=True)
    is_emergency_contact = models.BooleanField(default=False)
    involvement_consent = models.BooleanField(default=False)
    consent_recorded_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-is_emergency_contact", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_relationship_display()})"


class PayerType(models.TextChoices):
    MEDICARE = "medicare", "Medicare"
    MEDICAID = "medicaid", "Medicaid"
    COMMERCIAL = "commercial", "Private insurance"
    TRICARE = "tricare", "TRICARE / military"
    SELF_PAY = "self_pay", "Self-pay"
    OTHER = "other", "Other"


class Coverage(BaseModel):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="coverages")
    payer_type = models.CharField(max_length=16, choices=PayerType.choices)
    payer_name = models.CharField(max_length=150)
    # the payer as billing knows it (rules, authorizations); the name stays as entered
    payer = models.ForeignKey(
        "billing.Payer", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    member_id = models.CharField(max_length=40, blank=True)
    group_number = models.CharField(max_length=40, blank=True)
    is_primary = models.BooleanField(default=True)
    starts_on = models.DateField(null=True, blank=True)
    ends_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-is_primary", "payer_name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__isnull=True)
                | models.Q(starts_on__isnull=True)
                | models.Q(ends_on__gte=models.F("starts_on")),
                name="coverage_dates_ordered",
            )
        ]

    def __str__(self) -> str:
        return f"{self.payer_name} ({self.get_payer_type_display()})"
