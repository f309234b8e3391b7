"""Background tasks (django-tasks; the database backend's worker is
`openiop worker`)."""

from django.utils import timezone
from django_tasks import task

from openiop.interop.services.jobs import export_job_run
from openiop.operations.recovery import on_given_up

LOST = "The worker running the export stopped twice; start the export again."


@task(takes_context=True)
def run_export_job(context, job_id: int) -> dict:
    return export_job_run(job_id, resume=context.attempt > 1)


@on_given_up(run_export_job)
def _export_lost(job_id: int) -> None:
    from openiop.interop.models import ExportJob, ExportStatus

    ExportJob.objects.filter(pk=job_id, status=ExportStatus.RUNNING).update(
        status=ExportStatus.FAILED, error=LOST, finished_at=timezone.now()
    )


@task()
def sweep_expired_exports() -> dict:
    """Delete the files of exports past their time (enqueued for when they expire)."""
    from openiop.interop.services.jobs import exports_sweep

    return {"expired": exports_sweep()}
