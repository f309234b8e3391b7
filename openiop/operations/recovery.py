"""Jobs whose worker died: retried once, then given up with a reason.

A worker (`openiop worker`) beats every few seconds from a thread of its own,
whatever the job it runs is doing; a worker that has not beaten for
`stale_seconds()` is taken for dead (killed, its machine gone), and so is a
worker whose id beats again from a process started after it claimed the job
(systemd restarts a worker under the same id). Every living worker looks, at
each beat, for jobs still marked running by a dead worker:

- claimed once: put back in the queue (any worker takes it; the job sees
  `context.attempt == 2` and resumes, e.g. a solver run or an export marked
  running by the dead worker is taken over, its partial files dropped);
- claimed twice: failed, with the reason, and the job's own record (the
  solver run, the export) is failed too through the callback its task
  registered with `on_given_up`, so nobody waits for it forever.

Each job is changed under a row lock (`SKIP LOCKED`), so two workers
recovering at once change it once. A job is never run by two workers at the
same time, as long as a dead worker is really dead: a process whose heartbeat
thread stopped for `stale_seconds()` while its job still ran (the process
frozen, or cut off from the database) would finish a job that another worker
runs again; the default of 60 s is six missed beats.
"""

import datetime as dt
import logging
import os
from collections.abc import Callable

from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

logger = logging.getLogger(__name__)
MAX_ATTEMPTS = 2
_GIVEN_UP: dict[str, Callable[..., None]] = {}


class WorkerLost(Exception):
    """The worker running the job stopped before it finished."""


def stale_seconds() -> int:
    """How long without a heartbeat before a worker is taken for dead."""
    return int(os.environ.get("WORKER_STALE_SECONDS", "60"))


def on_given_up(task_func) -> Callable:
    """Register what to do with a task's own record when its job is given up:
    the callback gets the job's arguments."""

    def register(callback: Callable[..., None]) -> Callable[..., None]:
        _GIVEN_UP[task_func.module_path] = callback
        return callback

    return register


def recover_lost_jobs(now: dt.datetime | None = None) -> dict:
    """Requeue or fail the jobs of dead workers; returns the counts."""
    from openiop.operations.models import WorkerHeartbeat

    now = now or timezone.now()
    cutoff = now - dt.timedelta(seconds=stale_seconds())
    # the living workers, and when each process started
    alive = dict(
        WorkerHeartbeat.objects.filter(beat_at__gte=cutoff).values_list("worker_id", "started_at")
    )
    counts = {"requeued": 0, "failed": 0}
    candidates = DBTaskResult.objects.filter(
        status=TaskResultStatus.RUNNING, started_at__lt=cutoff
    ).values_list("pk", flat=True)
    for pk in list(candidates[:100]):
        outcome = _recover_one(pk, alive, cutoff, now)
        if outcome:
            counts[outcome] += 1
    return counts


def _recover_one(pk, alive: dict, cutoff, now) -> str | None:
    with transaction.atomic():
        job = (
            DBTaskResult.objects.select_for_update(skip_locked=True)
            .filter(pk=pk, status=TaskResultStatus.RUNNING, started_at__lt=cutoff)
            .first()
        )
        if job is None:
            return None
        worker = job.worker_ids[-1] if job.worker_ids else None
        if worker in alive and alive[worker] <= job.started_at:
            return None  # the process that claimed it is still beating
        if len(job.worker_ids) < MAX_ATTEMPTS:
            job.status = TaskResultStatus.READY
            job.started_at = None
            job.save(update_fields=["status", "started_at"])
            logger.warning("job %s requeued: its worker stopped", job.pk)
            return "requeued"
        job.status = TaskResultStatus.FAILED
        job.finished_at = now
        job.exception_class_path = f"{WorkerLost.__module__}.{WorkerLost.__qualname__}"
        job.traceback = (
            f"The worker running this job stopped, {len(job.worker_ids)} times; "
            "it is not run again."
        )
        job.save(update_fields=["status", "finished_at", "exception_class_path", "traceback"])
        try:  # importing the task's module registers its callback
            import_string(job.task_path)
        except ImportError:
            logger.warning("job %s points to no task (%s)", job.pk, job.task_path)
        callback = _GIVEN_UP.get(job.task_path)
        if callback is not None:
            callback(*job.args_kwargs["args"], **job.args_kwargs["kwargs"])
        logger.warning("job %s failed: its worker stopped twice", job.pk)
        return "failed"
