"""Readiness for a load balancer (`/readyz`): the database answers, migrations
are applied, the cache works, the job queue is reachable and not stuck, and a
worker beat recently. Each check says what it found in a few words; nothing
about patients."""

import datetime as dt
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connection
from django.utils import timezone

from openiop.operations import heartbeat
from openiop.operations.recovery import stale_seconds

# a job ready for longer than this means no worker is taking jobs
STUCK_AFTER = dt.timedelta(minutes=5)
_migrated = False  # once applied, they stay applied until the next deployment


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    essential: bool = True  # a failing essential check makes the instance not ready


def _database() -> Check:
    try:
        with connection.cursor() as cur:
            cur.execute("SELECT 1")
    except DatabaseError as exc:
        return Check("database", False, f"unreachable: {type(exc).__name__}")
    return Check("database", True, connection.vendor)


def _migrations() -> Check:
    global _migrated
    if not _migrated:
        from django.db.migrations.executor import MigrationExecutor

        try:
            executor = MigrationExecutor(connection)
            pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
        except DatabaseError as exc:
            return Check("migrations", False, f"cannot read: {type(exc).__name__}")
        if pending:
            return Check("migrations", False, f"{len(pending)} not applied: run openiop migrate")
        _migrated = True
    return Check("migrations", True, "applied")


def _cache() -> Check:
    key = f"readyz:{time.monotonic_ns()}"
    try:
        cache.set(key, 1, timeout=5)
        ok = cache.get(key) == 1
        cache.delete(key)
    except Exception as exc:  # noqa: BLE001 - any cache failure is "not working"
        return Check("cache", False, f"failing: {type(exc).__name__}")
    from django.conf import settings

    backend = settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]
    return Check("cache", ok, backend if ok else "set and get disagree")


def _queue() -> Check:
    """Requests that need no job still work without the queue: not essential."""
    from django.db.models import Q
    from django_tasks_db.models import DBTaskResult, get_date_max

    cut = timezone.now() - STUCK_AFTER
    try:
        ready = DBTaskResult.objects.ready()
        waiting = ready.count()
        # due for over 5 minutes: enqueued that long ago, and (if it was
        # scheduled for later) due since then too
        stuck = (
            ready.filter(enqueued_at__lt=cut)
            .filter(Q(run_after=get_date_max()) | Q(run_after__lt=cut))
            .count()
        )
    except DatabaseError as exc:
        return Check("queue", False, f"unreachable: {type(exc).__name__}", essential=False)
    if stuck:
        return Check("queue", False, f"{stuck} jobs waiting over 5 minutes", essential=False)
    return Check("queue", True, f"{waiting} waiting", essential=False)


def _worker() -> Check:
    try:
        last = heartbeat.freshest()
    except DatabaseError as exc:
        return Check("worker", False, f"cannot read: {type(exc).__name__}", essential=False)
    if last is None:
        return Check("worker", False, "no worker has started", essential=False)
    age = (timezone.now() - last.beat_at).total_seconds()
    if age > stale_seconds():
        return Check("worker", False, f"last heartbeat {int(age)} s ago", essential=False)
    return Check("worker", True, f"heartbeat {int(age)} s ago", essential=False)


def _replica() -> Check:
    """Reported, not essential: without it the finder reads the primary."""
    from openiop.core.replica import replica_available

    if replica_available():
        return Check("replica", True, "answers", essential=False)
    return Check("replica", False, "unreachable: its reads go to the primary", essential=False)


def readiness() -> tuple[bool, list[Check]]:
    checks = [_database()]
    if checks[0].ok:
        checks += [_migrations(), _cache(), _queue(), _worker()]
    else:
        checks.append(_cache())
    if "replica" in settings.DATABASES:
        checks.append(_replica())
    return all(c.ok for c in checks if c.essential), checks
