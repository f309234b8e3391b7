"""Bulk export as a background job: start it (the request returns at once),
run it in the worker (`openiop worker`), report progress, serve its files;
cancel it (its requester: the files go), and delete its files when they expire
(`BULK_EXPORT_EXPIRE_HOURS` after it is done: a task the worker runs then, or
the next access, whichever comes first)."""

import datetime as dt
import logging
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
from openiop.core.errors import ApplicationError, NotFound
from openiop.interop.models import ExportJob, ExportKind, ExportStatus
from openiop.interop.services.bulk import bulk_export

log = logging.getLogger(__name__)
FILE_NAME = re.compile(r"^[A-Z][A-Za-z]{1,40}\.ndjson$")
NDJSON = "application/fhir+ndjson"
CANCELLED = "Cancelled by its requester; its files were deleted."
EXPIRED = "Its files were deleted when they expired; start a new export."


class ExportBusy(ApplicationError):
    """One export at a time per person (Bulk Data: 429 with Retry-After)."""

    status = 429
    code = "throttled"


class ExportCancelled(Exception):
    """The job was cancelled while it ran: the worker stops at the next chunk."""


class ExportExpired(ApplicationError):
    status = 410
    code = "gone"


def job_dir(job: ExportJob) -> Path:
    return Path(settings.FHIR_EXPORT_DIR) / str(job.uuid)


def export_job_start(
    *,
    actor,
    organization,
    include_audit: bool = False,
    kind: str = ExportKind.SYSTEM,
    program=None,
    types=(),
    since: dt.datetime | None = None,
    output_format: str = NDJSON,
    request_url: str = "",
) -> ExportJob:
    """Queue an export of what `actor` may see of the organization (of one
    program's patients with `program`; only `types`, changed since `since`)."""
    require(actor, "fhir.export", action=Action.EXECUTE)
    if organization.pk not in scope_for(actor).organization_ids:
        require(actor, "fhir.export", organization_id=organization.pk, action=Action.EXECUTE)
    if program is not None:
        if program.organization_id != organization.pk:
            raise NotFound("Not found, or not yours to see.")
        require(
            actor,
            "fhir.export",
            organization_id=organization.pk,
            program_id=program.pk,
            action=Action.EXECUTE,
        )
    if include_audit and not can(actor, "audit.view"):
        raise ApplicationError.for_field(
            "include_audit", "Only auditors and administrators may export the audit trail."
        )
    exports_sweep()  # files past their time go, whatever runs the worker
    running = ExportJob.objects.filter(
        created_by=actor, status__in=[ExportStatus.QUEUED, ExportStatus.RUNNING]
    ).first()
    if running is not None:
        raise ExportBusy(
            "An export of yours is still running; wait for it to finish before starting another."
        )
    with transaction.atomic():
        job = ExportJob.objects.create(
            organization=organization,
            include_audit=include_audit,
            created_by=actor,
            kind=kind,
            program=program,
            types=list(types),
            since=since,
            output_format=output_format,
            request_url=request_url,
        )
        detail = {"kind": kind, "types": list(types)}
        if since is not None:
            detail["since"] = since.isoformat()
        if program is not None:
            detail["program"] = str(program.uuid)
        audit_record(
            actor=actor, action=Action.EXECUTE, event="fhir.export_start", obj=job, detail=detail
        )
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
    job = ExportJob.objects.select_related("organization", "created_by", "program").get(pk=job_id)
    if resume:
        shutil.rmtree(job_dir(job), ignore_errors=True)
    running = ExportJob.objects.filter(pk=job_id, status=ExportStatus.RUNNING)

    def progress(done: int, total: int, resources: int) -> None:
        # a conditional update: none made means the job was cancelled, so stop
        if not running.update(
            patients_done=done, patients_total=total, resources_written=resources
        ):
            raise ExportCancelled

    with context.bind(via="job", purpose="operations"):
        try:
            result = bulk_export(
                organization=job.organization,
                out_dir=job_dir(job),
                actor=job.created_by,
                include_audit=job.include_audit,
                progress=progress,
                types=job.types or None,
                since=job.since,
                program=job.program,
            )
        except ExportCancelled:
            shutil.rmtree(job_dir(job), ignore_errors=True)
            return {"cancelled": True}
        except Exception as exc:  # the job row says what happened; nothing half-served
            shutil.rmtree(job_dir(job), ignore_errors=True)
            running.update(
                status=ExportStatus.FAILED,
                error=f"The export stopped: {type(exc).__name__}."[:300],
                finished_at=timezone.now(),
            )
            raise
    finished = timezone.now()
    expires = finished + dt.timedelta(hours=settings.BULK_EXPORT_EXPIRE_HOURS)
    done = running.update(
        status=ExportStatus.DONE,
        counts=result.counts,
        patients_done=result.patients,
        patients_total=result.patients,
        resources_written=result.resources,
        finished_at=finished,
        expires_at=expires,
    )
    if not done:  # cancelled after the last chunk
        shutil.rmtree(job_dir(job), ignore_errors=True)
        return {"cancelled": True}
    _sweep_at(expires)
    return {"resources": result.resources, "patients": result.patients}


def _sweep_at(when: dt.datetime) -> None:
    """Have the worker delete the files when they expire (a backend that cannot
    defer a task relies on the next access, or the next export's sweep)."""
    from django_tasks import default_task_backend

    from openiop.interop.tasks import sweep_expired_exports

    if not default_task_backend.supports_defer:
        return
    try:
        sweep_expired_exports.using(run_after=when + dt.timedelta(seconds=1)).enqueue()
    except Exception:  # noqa: BLE001 - the next access or export sweeps it as well
        log.warning("Could not schedule the sweep of expired exports", exc_info=True)


def export_job_cancel(*, actor, job: ExportJob) -> None:
    """Cancel the job, or (done) say its files are no longer wanted: they are
    deleted at once; a running export stops at its next chunk."""
    with transaction.atomic():
        cancelled = ExportJob.objects.filter(
            pk=job.pk, status__in=[ExportStatus.QUEUED, ExportStatus.RUNNING, ExportStatus.DONE]
        ).update(
            status=ExportStatus.CANCELLED,
            error=CANCELLED,
            finished_at=timezone.now(),
            expires_at=None,
        )
        if not cancelled:
            raise NotFound("There is no such export (cancelled, or its files expired).")
        audit_record(
            actor=actor,
            action=Action.DELETE,
            event="fhir.export_cancel",
            obj=job,
            detail={"status": job.status},
        )
    shutil.rmtree(job_dir(job), ignore_errors=True)


def export_expire(job: ExportJob, *, now: dt.datetime | None = None) -> bool:
    """Whether the job's files are past their time; if they are, they are deleted
    (once, whoever notices first: the sweep or an access)."""
    now = now or timezone.now()
    if job.status == ExportStatus.EXPIRED:
        return True
    if job.status != ExportStatus.DONE or job.expires_at is None or job.expires_at > now:
        return False
    ExportJob.objects.filter(pk=job.pk, status=ExportStatus.DONE).update(
        status=ExportStatus.EXPIRED, error=EXPIRED
    )
    shutil.rmtree(job_dir(job), ignore_errors=True)
    job.status = ExportStatus.EXPIRED
    return True


def exports_sweep(*, now: dt.datetime | None = None) -> int:
    """Delete the files of every export past its time; returns how many."""
    now = now or timezone.now()
    expired = 0
    for job in ExportJob.objects.filter(status=ExportStatus.DONE, expires_at__lte=now):
        expired += export_expire(job, now=now)
    return expired


def export_file(*, actor, job: ExportJob, name: str) -> Path:
    """The path of one NDJSON file of a finished job, for its requester."""
    if export_expire(job):
        raise ExportExpired(EXPIRED)
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
