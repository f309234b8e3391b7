"""`openiop selftest`: the job queue checked end to end against the running
workers. Both count runs in the shared cache, so they need CACHE_URL pointing
at Redis when the workers are other processes. Each prints one JSON object;
exit status 1 when the check fails, 2 on bad input.

- `queue --jobs 1000`: every probe job runs exactly once.
- `lost-worker --seconds 8`: a slow probe job is started, the worker running
  it is killed (it must run on this machine), and the job must be retried
  once by another worker process and finish once (WORKER_STALE_SECONDS decides how
  soon the workers take the killed one for dead)."""

import json
import os
import signal
import socket
import time
import uuid

from django.conf import settings
from django.core.cache import cache
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Check the job queue end to end: every job runs once, a lost job is retried once."

    def add_arguments(self, parser):
        parser.add_argument("what", choices=["queue", "lost-worker"])
        parser.add_argument("--jobs", type=int, default=1000)
        parser.add_argument("--seconds", type=float, default=8.0, help="lost-worker: job length")
        parser.add_argument("--timeout", type=float, default=300.0)

    def handle(self, *args, what, jobs, seconds, timeout, **options):
        if "locmem" in settings.CACHES["default"]["BACKEND"].lower():
            raise CommandError(
                "The workers count their runs in the cache: set CACHE_URL to a shared "
                "cache (redis://...) for this process and the workers.",
                returncode=2,
            )
        if what == "lost-worker":
            report = self._lost_worker(seconds, timeout)
        else:
            if not 1 <= jobs <= 100_000:
                raise CommandError("Give --jobs from 1 to 100000.", returncode=2)
            report = self._queue(jobs, timeout)
        self.stdout.write(json.dumps(report, indent=2))
        if not report["ok"]:
            raise CommandError("The check failed (see the report).", returncode=1)

    def _queue(self, jobs: int, timeout: float) -> dict:
        from django_tasks_db.models import DBTaskResult

        from openiop.operations.tasks import probe

        run = uuid.uuid4().hex[:12]
        started = time.monotonic()
        ids = [probe.enqueue(run, n).id for n in range(jobs)]
        _wait_finished(ids, started + timeout)
        seconds = time.monotonic() - started
        counts = cache.get_many([f"selftest:{run}:{n}" for n in range(jobs)])
        runs = [counts.get(f"selftest:{run}:{n}", 0) for n in range(jobs)]
        rows = DBTaskResult.objects.filter(id__in=ids)
        workers = set()
        claimed_twice = 0
        for worker_ids in rows.values_list("worker_ids", flat=True):
            workers.update(worker_ids)
            claimed_twice += len(worker_ids) > 1
        report = {
            "benchmark": "selftest_queue",
            "jobs": jobs,
            "ran_once": sum(r == 1 for r in runs),
            "ran_twice_or_more": sum(r > 1 for r in runs),
            "never_ran": sum(r == 0 for r in runs),
            "claimed_twice": claimed_twice,
            "failed": rows.filter(status="FAILED").count(),
            "workers": len(workers),
            "seconds": round(seconds, 2),
            "jobs_per_s": round(jobs / seconds, 1) if seconds else None,
            "database": settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1],
        }
        report["ok"] = (
            report["ran_once"] == jobs and not report["claimed_twice"] and not report["failed"]
        )
        return report

    def _lost_worker(self, seconds: float, timeout: float) -> dict:
        from django_tasks_db.models import DBTaskResult

        from openiop.operations.models import WorkerHeartbeat
        from openiop.operations.tasks import probe_slow

        run = uuid.uuid4().hex[:12]
        started = time.monotonic()
        job_id = probe_slow.enqueue(run, seconds).id
        job = DBTaskResult.objects.filter(id=job_id)
        while not job.filter(status="RUNNING").exists():
            if time.monotonic() > started + timeout:
                raise CommandError("No worker took the job: are workers running?", returncode=1)
            time.sleep(0.2)
        time.sleep(min(1.0, seconds / 4))  # the job is under way
        victim = job.values_list("worker_ids", flat=True).get()[-1]
        beat = WorkerHeartbeat.objects.filter(worker_id=victim).first()
        if beat is None or beat.host != socket.gethostname()[:255]:
            raise CommandError(
                f"The worker {victim} does not run on this machine: run the check there.",
                returncode=2,
            )
        os.kill(beat.pid, signal.SIGKILL)
        killed_at = time.monotonic()
        _wait_finished([job_id], started + timeout)
        row = job.get()
        counts = cache.get_many([f"selftest:{run}:started", f"selftest:{run}:done"])
        report = {
            "benchmark": "selftest_lost_worker",
            "killed_worker": victim,
            "status": row.status,
            "workers": row.worker_ids,
            "starts": counts.get(f"selftest:{run}:started", 0),
            "ends": counts.get(f"selftest:{run}:done", 0),
            "seconds_from_kill_to_done": round(time.monotonic() - killed_at, 1),
        }
        # claimed twice: by the killed process, then by another worker process
        # (under systemd that may be the killed one's id, restarted)
        report["ok"] = (
            row.status == "SUCCESSFUL"
            and len(row.worker_ids) == 2
            and report["starts"] == 2
            and report["ends"] == 1
        )
        return report


def _wait_finished(ids, deadline: float) -> None:
    from django_tasks_db.models import DBTaskResult

    pending = DBTaskResult.objects.filter(id__in=ids).exclude(status__in=["SUCCESSFUL", "FAILED"])
    while pending.exists() and time.monotonic() < deadline:
        time.sleep(0.5)
