"""Background tasks (django-tasks; the database backend's worker is
`openiop db_worker`)."""

from django_tasks import task

from openiop.scheduling.services.runs import solver_run_execute


@task()
def run_solver(run_id: int) -> dict:
    return solver_run_execute(run_id)
