"""Bulk export jobs: one NDJSON file per resource type, written by a background
task that reports its progress here."""

from django.db import models
from django.db.models import Q

from openiop.access.scope import grant
from openiop.core.models import BaseModel


class ExportJobQuerySet(models.QuerySet):
    def visible_to(self, actor, action: str = "export"):
        """A job holds what its requester could see: it is theirs alone."""
        g = grant(actor, "fhir.export")
        if not g:
            return self.none()
        return self.filter(Q(created_by=actor))


class ExportStatus(models.TextChoices):
    QUEUED = "queued", "Waiting for the background worker"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class ExportJob(BaseModel):
    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        max_length=8, choices=ExportStatus.choices, default=ExportStatus.QUEUED
    )
    include_audit = models.BooleanField(default=False)
    patients_total = models.PositiveIntegerField(default=0)
    patients_done = models.PositiveIntegerField(default=0)
    resources_written = models.PositiveIntegerField(default=0)
    counts = models.JSONField(default=dict, blank=True)
    error = models.CharField(max_length=300, blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = ExportJobQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"FHIR export {self.created_at:%Y-%m-%d %H:%M} ({self.status})"

    @property
    def percent(self) -> int:
        if self.status == ExportStatus.DONE:
            return 100
        if not self.patients_total:
            return 0
        return min(99, int(100 * self.patients_done / self.patients_total))

    @property
    def is_finished(self) -> bool:
        return self.status in (ExportStatus.DONE, ExportStatus.FAILED)
