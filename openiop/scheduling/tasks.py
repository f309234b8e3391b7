"""Background tasks (django-tasks; the database backend's worker is
`openiop worker`)."""

from django.utils import timezone
from django_tasks import task

from openiop.operations.recovery import on_given_up
from openiop.scheduling.services.runs import solver_run_execute

LOST = "The worker running the optimizer stopped twice; start the run again."


@task(takes_context=True)
def run_solver(context, run_id: int) -> dict:
    return solver_run_execute(run_id, resume=context.attempt > 1)


@on_given_up(run_solver)
def _solver_run_lost(run_id: int) -> None:
    from openiop.scheduling.models import RunStatus, SolverRun

    SolverRun.objects.filter(pk=run_id, status=RunStatus.RUNNING).update(
        status=RunStatus.FAILED, error=LOST, finished_at=timezone.now()
    )
