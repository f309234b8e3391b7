"""Background tasks (django-tasks; the database backend's worker is
`openiop db_worker`)."""

from django_tasks import task

from openiop.interop.services.jobs import export_job_run


@task()
def run_export_job(job_id: int) -> dict:
    return export_job_run(job_id)
