"""Figures a program director chose to publish to the public directory.

Each row is a snapshot: the value, its numerator and denominator and the
definition as they were when published, so the public page never recomputes
from patient records. A newer publication of the same metric supersedes it.
"""

from django.conf import settings
from django.db import models

from openiop.access.querysets import ProgramRowQuerySet
from openiop.core.models import BaseModel


class PublishedOutcomeQuerySet(ProgramRowQuerySet):
    resource = "outcomes"

    def current(self):
        return self.filter(superseded_at__isnull=True, withdrawn_at__isnull=True)


class PublishedOutcome(BaseModel):
    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.PROTECT, related_name="+"
    )
    program = models.ForeignKey(
        "organizations.Program", on_delete=models.PROTECT, related_name="published_outcomes"
    )
    metric = models.CharField(max_length=40)
    label = models.CharField(max_length=120)
    value = models.DecimalField(max_digits=9, decimal_places=2)
    unit = models.CharField(max_length=12, help_text="percent, days or count")
    numerator = models.PositiveIntegerField(null=True, blank=True)
    denominator = models.PositiveIntegerField()
    definition = models.TextField()
    period_start = models.DateField()
    period_end = models.DateField()
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField()
    superseded_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    objects = PublishedOutcomeQuerySet.as_manager()

    class Meta:
        ordering = ["program", "metric", "-published_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "metric"],
                condition=models.Q(superseded_at__isnull=True, withdrawn_at__isnull=True),
                name="one_current_publication_per_metric",
            ),
            models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")),
                name="published_period_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.program}: {self.label} {self.value}"
