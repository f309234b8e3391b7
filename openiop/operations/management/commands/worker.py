"""`openiop worker`: the background worker (django-tasks' database backend,
`SELECT ... FOR UPDATE SKIP LOCKED` on PostgreSQL, so several can run on several
machines) with a heartbeat `/readyz` can see. Same options as `db_worker`.
At start it makes sure each organization's nightly billing run is waiting
(`billing.tasks.ensure_nightly`; idempotent)."""

import logging

from django_tasks_db.management.commands.db_worker import Command as DBWorkerCommand

from openiop.operations import heartbeat

log = logging.getLogger(__name__)


class Command(DBWorkerCommand):
    help = "Run the background worker (schedule runs, exports, messages, escalation)."

    def handle(self, *args, worker_id: str, **options):
        stop = heartbeat.start(worker_id)
        _ensure_nightly_jobs()
        try:
            return super().handle(*args, worker_id=worker_id, **options)
        finally:
            stop.set()


def _ensure_nightly_jobs() -> None:
    from openiop.billing.tasks import ensure_nightly

    try:
        ensure_nightly()
    except Exception:  # noqa: BLE001 - the worker runs its queue all the same
        log.warning("Could not schedule the nightly billing runs", exc_info=True)
