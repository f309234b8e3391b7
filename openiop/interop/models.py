"""Bulk export jobs: one NDJSON file per resource type, written by a background
task that reports its progress here. Started from the staff page or by a FHIR
Bulk Data kick-off (`$export` on /fhir/R4/, ADR 0016)."""

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
    CANCELLED = "cancelled", "Cancelled"
    EXPIRED = "expired", "Expired"


# a job in one of these holds no files and will not run again
ENDED = (ExportStatus.FAILED, ExportStatus.CANCELLED, ExportStatus.EXPIRED)


class ExportKind(models.TextChoices):
    """What the export is of (the Bulk Data endpoint it was asked at)."""

    SYSTEM = "system", "Everything ([base]/$export)"
    PATIENT = "patient", "All patients (Patient/$export)"
    GROUP = "group", "One program's patients (Group/[id]/$export)"


class ExportJob(BaseModel):
    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        max_length=10, choices=ExportStatus.choices, default=ExportStatus.QUEUED
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
    # what was asked for (the Bulk Data kick-off parameters; the staff page
    # asks for everything)
    kind = models.CharField(max_length=8, choices=ExportKind.choices, default=ExportKind.SYSTEM)
    program = models.ForeignKey(
        "organizations.Program", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    types = models.JSONField(default=list, blank=True)  # empty: every type
    since = models.DateTimeField(null=True, blank=True)
    output_format = models.CharField(max_length=40, default="application/fhir+ndjson")
    request_url = models.TextField(blank=True)  # the kick-off URL (the manifest's `request`)
    # when the files are deleted (set when the export is done)
    expires_at = models.DateTimeField(null=True, blank=True)

    objects = ExportJobQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["expires_at"],
                name="exportjob_expiring",
                condition=Q(status="done"),
            )
        ]

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
        return self.status in (ExportStatus.DONE, *ENDED)


from openiop.interop.upload_models import ImportUpload  # noqa: E402, F401
