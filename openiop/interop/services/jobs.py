"""Bulk export as a background job: start it (the request returns at once),
run it in the worker (`openiop worker`), report progress, serve its files."""

import re
import shutil
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from openiop.access.scope import can, scope_for
from openiop.access.services import require
from openiop.audit.models import Action
from openiop.audit.services import audit_record
from openiop.core import context
from openiop.core.errors import ApplicationError
from openiop.interop.models import ExportJob, ExportStatus
from openiop.interop.services.bulk import bulk_export

FILE_NAME = re.compile(r"^[A-Z][A-Za-z]{1,40}\.ndjson$")


def job_dir(job: ExportJob) -> Path:
    return Path(settings.FHIR_EXPORT_DIR) / str(job.uuid)


def export_job_start(*, actor, organization, include_audit: bool = False) -> ExportJob:
    require(actor, "fhir.export", action=Action.EXECUTE)
    if organization.pk not in scope_for(actor).organization_ids:
        require(actor, "fhir.export", organization_id=organization.pk, action=Action.EXECUTE)
    if include_audit and not can(actor, "audit.view"):
        raise ApplicationError.for_field(
            "include_audit", "Only auditors and administrators may export the audit trail."
        )
    running = ExportJob.objects.filter(
        created_by=actor, status__in=[ExportStatus.QUEUED, ExportStatus.RUNNING]
    ).first()
    if running is not None:
        raise ApplicationError(
            "An export of yours is still running; wait for it to finish before starting another."
        )
    with transaction.atomic():
        job = ExportJob.objects.create(
            organization=organization, include_audit=include_audit, created_by=actor
        )
        audit_record(actor=actor, action=Action.EXECUTE, event="fhir.export_start", obj=job)
        transaction.on_commit(lambda: _enqueue(job))
    return job


def _enqueue(job: ExportJob) -> None:
    from openiop.interop.tasks import run_export_job

    result = run_export_job.enqueue(job_id=job.pk)
    ExportJob.objects.filter(pk=job.pk, task_id="").update(task_id=str(result.id)[:64])


def export_job_run(job_id: int, *, resume: bool = False) -> dict:
    """Run a queued job (in the worker). Progress lands on the job row as it goes.
    `resume`: the job's earlier worker died, so an export it left running is
    started again from nothing (its partial files are removed first)."""
    claimable = [ExportStatus.QUEUED, ExportStatus.RUNNING] if resume else [ExportStatus.QUEUED]
    claimed = ExportJob.objects.filter(pk=job_id, status__in=claimable).update(
        status=ExportStatus.RUNNING, started_at=timezone.now(), patients_done=0
    )
    if not claimed:
        return {"skipped": True}
    job = ExportJob.objects.select_related("organization", "created_by").get(pk=job_id)
    if resume:
        shutil.rmtree(job_dir(job), ignore_errors=True)

    def progress(done: int, total: int, resources: int) -> None:
        ExportJob.objects.filter(pk=job_id).update(
            patients_done=done, patients_total=total, resources_written=resources
        )

    with context.bind(via="job", purpose="operations"):
        try:
            result = bulk_export(
                organization=job.organization,
                out_dir=job_dir(job),
                actor=job.created_by,
                include_audit=job.include_audit,
                progress=progress,
            )
        except Exception as exc:  # the job row says what happened; nothing half-served
            shutil.rmtree(job_dir(job), ignore_errors=True)
            ExportJob.objects.filter(pk=job_id).update(
                status=ExportStatus.FAILED,
                error=f"The export stopped: {type(exc).__name__}."[:300],
                finished_at=timezone.now(),
            )
            raise
    ExportJob.objects.filter(pk=job_id).update(
        status=ExportStatus.DONE,
        counts=result.counts,
        patients_done=result.patients,
        patients_total=result.patients,
        resources_written=result.resources,
        finished_at=timezone.now(),
    )
    return {"resources": result.resources, "patients": result.patients}


def export_file(*, actor, job: ExportJob, name: str) -> Path:
    """The path of one NDJSON file of a finished job, for its requester."""
    if job.status != ExportStatus.DONE:
        raise ApplicationError("This export has not finished.")
    rtype = name.removesuffix(".ndjson")
    if not FILE_NAME.match(name) or rtype not in job.counts:
        raise ApplicationError.for_field("name", f"This export has no {name}.")
    path = job_dir(job) / name
    if not path.is_file():
        raise ApplicationError("The export's files are gone; start a new export.")
    audit_record(
        actor=actor,
        action=Action.READ,
        event="fhir.export_download",
        obj=job,
        detail={"file": name, "resources": job.counts.get(rtype, 0)},
    )
    return path
