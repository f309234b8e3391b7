"""`openiop selftest queue --jobs 1000`: enqueue probe jobs, wait for the
workers to run them, and check each ran exactly once (counted in the shared
cache, so it needs CACHE_URL pointing at Redis when the workers are other
processes). Prints one JSON object; exit status 1 when a job ran twice or
never, 2 on bad input."""

import json
import time
import uuid

from django.conf import settings
from django.core.cache import cache
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Check the job queue end to end: every probe job runs exactly once."

    def add_arguments(self, parser):
        parser.add_argument("what", choices=["queue"])
        parser.add_argument("--jobs", type=int, default=1000)
        parser.add_argument("--timeout", type=float, default=300.0)

    def handle(self, *args, what, jobs, timeout, **options):
        from django_tasks_db.models import DBTaskResult

        from openiop.operations.tasks import probe

        if not 1 <= jobs <= 100_000:
            raise CommandError("Give --jobs from 1 to 100000.", returncode=2)
        if "locmem" in settings.CACHES["default"]["BACKEND"].lower():
            raise CommandError(
                "The workers count their runs in the cache: set CACHE_URL to a shared "
                "cache (redis://...) for this process and the workers.",
                returncode=2,
            )
        run = uuid.uuid4().hex[:12]
        started = time.monotonic()
        ids = [probe.enqueue(run, n).id for n in range(jobs)]
        deadline = started + timeout
        pending = DBTaskResult.objects.filter(id__in=ids).exclude(
            status__in=["SUCCESSFUL", "FAILED"]
        )
        while pending.exists():
            if time.monotonic() > deadline:
                break
            time.sleep(0.5)
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
        self.stdout.write(json.dumps(report, indent=2))
        ok = report["ran_once"] == jobs and not report["claimed_twice"] and not report["failed"]
        if not ok:
            raise CommandError("Some jobs ran twice or never (see the report).", returncode=1)
