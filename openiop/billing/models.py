"""Payers and their IOP billing rules (data), the organization's billing
profile, authorizations, Medicare certifications. The billable day and its
charges are in `day_models.py` (imported at the bottom).

Codes are stored, never the AMA's CPT descriptor text (DOMAIN.md).
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from openiop.billing.querysets import (
    AuthorizationQuerySet,
    CertificationQuerySet,
    PayerQuerySet,
    RuleQuerySet,
)
from openiop.core.models import BaseModel
from openiop.organizations.levels import LEVELS
from openiop.organizations.models import Focus
from openiop.patients.models import PayerType

__all__ = [
    "ProviderKind",
    "BillingProfile",
    "Payer",
    "BillingMethod",
    "BillingRule",
    "RuleService",
    "UnitKind",
    "AuthorizationStatus",
    "Authorization",
    "CertificationKind",
    "CertificationStatus",
    "Certification",
]


class ProviderKind(models.TextChoices):
    """What kind of provider bills; the Medicare type of bill follows from it."""

    HOSPITAL_OUTPATIENT = "hospital_outpatient", "Hospital outpatient department (13X)"
    HOSPITAL_PART_B = "hospital_part_b", "Hospital, inpatient Part B (12X)"
    CRITICAL_ACCESS = "critical_access", "Critical access hospital (85X)"
    CMHC = "cmhc", "Community mental health center (76X)"
    RHC = "rhc", "Rural health clinic (71X)"
    FQHC = "fqhc", "Federally qualified health center (77X)"
    FREESTANDING = "freestanding", "Freestanding program (professional claims only)"


# type of bill, first two digits (the third is the claim frequency, written with the claim)
BILL_TYPES = {
    ProviderKind.HOSPITAL_OUTPATIENT: "13",
    ProviderKind.HOSPITAL_PART_B: "12",
    ProviderKind.CRITICAL_ACCESS: "85",
    ProviderKind.CMHC: "76",
    ProviderKind.RHC: "71",
    ProviderKind.FQHC: "77",
}


class BillingProfile(BaseModel):
    """The organization as a billing provider (NPI and addresses come with claims)."""

    organization = models.OneToOneField(
        "organizations.Organization", on_delete=models.CASCADE, related_name="billing_profile"
    )
    provider_kind = models.CharField(
        max_length=20, choices=ProviderKind.choices, default=ProviderKind.FREESTANDING
    )

    @property
    def bill_type(self) -> str:
        """'13X' style, or '' when the provider bills professional claims only."""
        prefix = BILL_TYPES.get(self.provider_kind, "")
        return f"{prefix}X" if prefix else ""


class Payer(BaseModel):
    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="+"
    )
    name = models.CharField(max_length=150)
    payer_id = models.CharField(
        "payer ID", max_length=80, blank=True, help_text="The payer's electronic (X12) id."
    )
    kind = models.CharField(max_length=16, choices=PayerType.choices)
    is_active = models.BooleanField(default=True)
    # the payer as a 42 CFR Part 2 recipient: what a concurrent review packet is sent to
    recipient = models.ForeignKey(
        "consent.ExternalRecipient",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    objects = PayerQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="uniq_payer_name")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_medicare(self) -> bool:
        return self.kind == PayerType.MEDICARE


class BillingMethod(models.TextChoices):
    PER_DIEM = "per_diem", "Per day (one code for the day)"
    PER_SERVICE = "per_service", "Per service (a code for each service)"


class BillingRule(BaseModel):
    """How one payer pays one level of care (and focus): the defensible day's thresholds."""

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="+"
    )
    payer = models.ForeignKey(Payer, on_delete=models.CASCADE, related_name="rules")
    level_of_care = models.CharField(max_length=4, choices=list(LEVELS.items()))
    focus = models.CharField(
        max_length=16, choices=Focus.choices, blank=True, help_text="Blank: every focus."
    )
    method = models.CharField(max_length=12, choices=BillingMethod.choices)
    per_diem_code = models.CharField(max_length=12, blank=True)
    revenue_code = models.CharField(max_length=4, blank=True)
    per_diem_rate = models.DecimalField(max_digits=9, decimal_places=2, null=True, blank=True)
    # Medicare IOP pays a day in two tiers: 3 qualifying services, 4 or more
    tier_3_rate = models.DecimalField(max_digits=9, decimal_places=2, null=True, blank=True)
    tier_4_rate = models.DecimalField(max_digits=9, decimal_places=2, null=True, blank=True)
    min_minutes_per_day = models.PositiveSmallIntegerField(
        default=180, validators=[MaxValueValidator(24 * 60)]
    )
    min_days_per_week = models.PositiveSmallIntegerField(
        default=3, validators=[MaxValueValidator(7)]
    )
    min_services_per_day = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(20)]
    )
    requires_authorization = models.BooleanField(default=True)
    requires_certification = models.BooleanField(default=False)
    recertification_days = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(366)]
    )
    condition_code = models.CharField(max_length=2, blank=True)

    objects = RuleQuerySet.as_manager()

    class Meta:
        ordering = ["payer", "level_of_care", "focus"]
        constraints = [
            models.UniqueConstraint(
                fields=["payer", "level_of_care", "focus"], name="uniq_billing_rule"
            )
        ]

    def __str__(self) -> str:
        focus = f" ({self.get_focus_display()})" if self.focus else ""
        return f"{self.payer} {self.level_of_care}{focus}"


class RuleService(BaseModel):
    """A session type under a rule: whether it counts toward the day, whether it
    bills on its own line, with which code and rate."""

    rule = models.ForeignKey(BillingRule, on_delete=models.CASCADE, related_name="services")
    session_type = models.ForeignKey(
        "scheduling.SessionType", on_delete=models.CASCADE, related_name="+"
    )
    counts = models.BooleanField(default=True, help_text="Counts as a service of the day.")
    bills_separately = models.BooleanField(default=False)
    code = models.CharField(max_length=12, blank=True)
    rate = models.DecimalField(max_digits=9, decimal_places=2, null=True, blank=True)

    class Meta:
        ordering = ["rule", "session_type__name"]
        constraints = [
            models.UniqueConstraint(fields=["rule", "session_type"], name="uniq_rule_service")
        ]


class UnitKind(models.TextChoices):
    DAYS = "days", "Days"
    UNITS = "units", "Services (units)"


class AuthorizationStatus(models.TextChoices):
    REQUESTED = "requested", "Requested"
    APPROVED = "approved", "Approved"
    PARTIAL = "partial", "Partially approved"
    DENIED = "denied", "Denied"
    EXPIRED = "expired", "Expired"


AUTHORIZED = (AuthorizationStatus.APPROVED, AuthorizationStatus.PARTIAL)


class Authorization(BaseModel):
    """A payer's authorization of an episode's care. What is used is computed
    from billable days, never typed."""

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="+"
    )
    episode = models.ForeignKey(
        "care.Episode", on_delete=models.PROTECT, related_name="authorizations"
    )
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    payer = models.ForeignKey(Payer, on_delete=models.PROTECT, related_name="+")
    number = models.CharField(max_length=50, blank=True)
    level_of_care = models.CharField(max_length=4, choices=list(LEVELS.items()))
    unit_kind = models.CharField(max_length=8, choices=UnitKind.choices, default=UnitKind.DAYS)
    requested_units = models.PositiveSmallIntegerField(default=0)
    units = models.PositiveSmallIntegerField(default=0, help_text="Authorized.")
    starts_on = models.DateField()
    ends_on = models.DateField()
    status = models.CharField(
        max_length=10, choices=AuthorizationStatus.choices, default=AuthorizationStatus.REQUESTED
    )
    next_review_on = models.DateField(null=True, blank=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    payer_reviewer = models.CharField(
        max_length=150, blank=True, help_text="The payer's care manager, with a phone number."
    )
    previous = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="renewals"
    )

    objects = AuthorizationQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")),
                name="authorization_dates_ordered",
            )
        ]
        indexes = [
            models.Index(fields=["episode", "payer", "starts_on"]),
            models.Index(fields=["organization", "status", "next_review_on"]),
        ]

    def __str__(self) -> str:
        return f"{self.payer} {self.number or '(requested)'}"

    @property
    def is_authorized(self) -> bool:
        return self.status in AUTHORIZED


class CertificationKind(models.TextChoices):
    INITIAL = "initial", "Initial certification"
    RECERTIFICATION = "recertification", "Recertification"


class CertificationStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SIGNED = "signed", "Signed"


MEDICARE_MIN_WEEKLY_HOURS = Decimal("9")


class Certification(BaseModel):
    """A physician's (or qualified practitioner's) certification that the patient
    needs at least 9 hours of services a week (Medicare IOP), for a span of days."""

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="+"
    )
    episode = models.ForeignKey(
        "care.Episode", on_delete=models.PROTECT, related_name="certifications"
    )
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=16, choices=CertificationKind.choices)
    status = models.CharField(
        max_length=8, choices=CertificationStatus.choices, default=CertificationStatus.DRAFT
    )
    weekly_hours = models.DecimalField(max_digits=4, decimal_places=1)
    statement = models.TextField(help_text="Why the patient needs intensive outpatient care.")
    covers_from = models.DateField()
    covers_through = models.DateField()
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    signer_name = models.CharField(max_length=150, blank=True)
    credentials = models.CharField(max_length=60, blank=True)
    attestation = models.TextField(blank=True)
    signed_at = models.DateTimeField(null=True, blank=True)

    objects = CertificationQuerySet.as_manager()

    class Meta:
        ordering = ["-covers_from", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(covers_through__gte=models.F("covers_from")),
                name="certification_dates_ordered",
            )
        ]
        indexes = [models.Index(fields=["episode", "status", "covers_from"])]

    def __str__(self) -> str:
        span = f"{self.covers_from:%Y-%m-%d} to {self.covers_through:%Y-%m-%d}"
        return f"{self.get_kind_display()} {span}"

    @property
    def is_signed(self) -> bool:
        return self.status == CertificationStatus.SIGNED


from openiop.billing.day_models import *  # noqa: E402,F401,F403
