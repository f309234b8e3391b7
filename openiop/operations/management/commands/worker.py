"""`openiop worker`: the background worker (django-tasks' database backend,
`SELECT ... FOR UPDATE SKIP LOCKED` on PostgreSQL, so several can run on several
machines) with a heartbeat `/readyz` can see. Same options as `db_worker`."""

from django_tasks_db.management.commands.db_worker import Command as DBWorkerCommand

from openiop.operations import heartbeat


class Command(DBWorkerCommand):
    help = "Run the background worker (schedule runs, exports, messages, escalation)."

    def handle(self, *args, worker_id: str, **options):
        stop = heartbeat.start(worker_id)
        try:
            return super().handle(*args, worker_id=worker_id, **options)
        finally:
            stop.set()
