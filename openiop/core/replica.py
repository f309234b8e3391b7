"""Reads that may come from a read replica: the public finder and the outcome
reports, whose readers can live with data a few seconds old.

With DATABASE_REPLICA_URL set, settings add the database alias "replica" and
this router. A view marked `@reads_from_replica` (or code inside
`replica_reads()`) sends its reads there; everything else reads the primary.
Writes always go to the primary, and so do reads inside a transaction on it
(a view that writes and then reads what it wrote sees it). Raw SQL reads take
their connection from `read_connection(model)`. A replica that cannot be
reached is skipped for half a minute (its reads go to the primary) and
`/readyz` reports it. Without a replica the marks change nothing. ADR 0014.
"""

import contextvars
import functools
import logging
import time
from contextlib import contextmanager

from django.conf import settings
from django.db import DatabaseError, connections, router

logger = logging.getLogger(__name__)

REPLICA = "replica"
# a replica that cannot be reached is left alone for this long: its reads go
# to the primary meanwhile, so the finder keeps answering
RETRY_AFTER_SECONDS = 30.0
_reading_replica = contextvars.ContextVar("openiop_replica_reads", default=False)
_down_until = 0.0


def replica_available() -> bool:
    """Whether the replica answers (connecting if this process has not yet);
    after a failure, False for RETRY_AFTER_SECONDS without trying again."""
    global _down_until
    if REPLICA not in settings.DATABASES or time.monotonic() < _down_until:
        return False
    replica = connections[REPLICA]
    if _same_database(replica.settings_dict, connections["default"].settings_dict):
        return True  # it is the primary (as in tests, where it mirrors the test database)
    try:
        replica.close_if_health_check_failed()  # a connection the replica dropped
        replica.ensure_connection()
        return True
    except DatabaseError as exc:
        _down_until = time.monotonic() + RETRY_AFTER_SECONDS
        logger.warning(
            "the read replica is unreachable (%s): reading the primary", type(exc).__name__
        )
        return False


def _same_database(a: dict, b: dict) -> bool:
    return all(a.get(key) == b.get(key) for key in ("NAME", "HOST", "PORT"))


@contextmanager
def replica_reads():
    token = _reading_replica.set(True)
    try:
        yield
    finally:
        _reading_replica.reset(token)


def reads_from_replica(view):
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        with replica_reads():
            return view(*args, **kwargs)

    return wrapped


def read_connection(model):
    """The connection a raw SQL read of `model`'s table should use."""
    return connections[router.db_for_read(model)]


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        if not _reading_replica.get() or REPLICA not in settings.DATABASES:
            return "default"
        if connections["default"].in_atomic_block:
            return "default"
        return REPLICA if replica_available() else "default"

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the replica is a copy of the primary

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == "default"  # the replica gets its schema by replication
