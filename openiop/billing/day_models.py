"""The billable day (one evaluation per patient and date, with every check and
its reason), the overrides a billing user makes, and the charges.

A day is *held* until every check passes; *ready* days become charges and are
*billed*; a day is *written off* with a reason. Charges are never edited: a
charge is reversed by a voiding entry, and the day's `round` moves on so the
next evaluation may charge it again.
"""

from django.conf import settings
from django.db import models

from openiop.billing.querysets import BillingDayQuerySet, ChargeQuerySet
from openiop.core.models import BaseModel

__all__ = ["DayStatus", "BillingDay", "DayOverride", "ChargeKind", "Charge"]


class DayStatus(models.TextChoices):
    HELD = "held", "Held"
    READY = "ready", "Ready to bill"
    BILLED = "billed", "Billed"
    WRITTEN_OFF = "written_off", "Written off"


OPEN_STATUSES = (DayStatus.HELD, DayStatus.READY)
# days that use an authorization's units
BILLABLE_STATUSES = (DayStatus.READY, DayStatus.BILLED)


class BillingDay(BaseModel):
    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="+"
    )
    program = models.ForeignKey("organizations.Program", on_delete=models.PROTECT, related_name="+")
    episode = models.ForeignKey("care.Episode", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    date = models.DateField()
    week = models.DateField(help_text="Monday of the day's week.")
    status = models.CharField(max_length=12, choices=DayStatus.choices, default=DayStatus.HELD)
    payer = models.ForeignKey(
        "billing.Payer", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    rule = models.ForeignKey(
        "billing.BillingRule", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    authorization = models.ForeignKey(
        "billing.Authorization",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="days",
    )
    # every check: [{"code", "ok", "reason", "overridden"}], in CHECKS order
    checks = models.JSONField(default=list)
    # the failing checks as ",code,code," (the worklist groups and filters on it)
    held_for = models.CharField(max_length=300, blank=True, default="")
    minutes = models.PositiveSmallIntegerField(default=0)
    services = models.PositiveSmallIntegerField(default=0)
    units = models.PositiveSmallIntegerField(default=0, help_text="Authorization units used.")
    tier = models.CharField(max_length=2, blank=True, help_text="Medicare: '3' or '4' (4+).")
    round = models.PositiveSmallIntegerField(default=0, help_text="Voids so far.")
    evaluated_at = models.DateTimeField(null=True, blank=True)
    written_off_reason = models.CharField(max_length=300, blank=True)
    written_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = BillingDayQuerySet.as_manager()

    class Meta:
        ordering = ["date", "id"]
        constraints = [models.UniqueConstraint(fields=["episode", "date"], name="uniq_billing_day")]
        indexes = [
            # the worklist: a page of days and the counts by reason, read from the
            # index alone (with its filters) for a program or a whole organization
            models.Index(fields=["program", "status", "date", "held_for", "payer"]),
            models.Index(fields=["organization", "status", "date", "held_for", "program", "payer"]),
            models.Index(fields=["patient", "date"]),
            models.Index(fields=["authorization", "status"]),
        ]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} ({self.get_status_display()})"

    @property
    def failing(self) -> list[dict]:
        return [c for c in self.checks if c["ok"] is False]

    @property
    def held_codes(self) -> list[str]:
        return [c for c in self.held_for.split(",") if c]


class DayOverride(BaseModel):
    """A billing user's decision that one check does not hold a day, with why."""

    day = models.ForeignKey(BillingDay, on_delete=models.CASCADE, related_name="overrides")
    check_code = models.CharField(max_length=20)
    reason = models.CharField(max_length=300)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["day", "check_code"], name="uniq_day_override")
        ]


class ChargeKind(models.TextChoices):
    CHARGE = "charge", "Charge"
    VOID = "void", "Void"


class Charge(BaseModel):
    """One line of a day's charges, or the entry that voids one. Never edited."""

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="+"
    )
    program = models.ForeignKey("organizations.Program", on_delete=models.PROTECT, related_name="+")
    day = models.ForeignKey(BillingDay, on_delete=models.PROTECT, related_name="charges")
    episode = models.ForeignKey("care.Episode", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    payer = models.ForeignKey("billing.Payer", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=6, choices=ChargeKind.choices, default=ChargeKind.CHARGE)
    round = models.PositiveSmallIntegerField(default=0)
    line = models.PositiveSmallIntegerField()
    voids = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="voided_by"
    )
    service_date = models.DateField()
    code = models.CharField(max_length=12)
    revenue_code = models.CharField(max_length=4, blank=True)
    units = models.PositiveSmallIntegerField(default=1)
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    condition_code = models.CharField(max_length=2, blank=True)
    tier = models.CharField(max_length=2, blank=True)
    participants = models.PositiveSmallIntegerField(null=True, blank=True)
    session = models.ForeignKey(
        "scheduling.Session", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(max_length=300, blank=True, help_text="Why a charge was voided.")

    objects = ChargeQuerySet.as_manager()

    class Meta:
        ordering = ["service_date", "day", "round", "line", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["day", "round", "line", "kind"], name="uniq_charge_line"
            )
        ]
        indexes = [models.Index(fields=["program", "payer", "service_date"])]
