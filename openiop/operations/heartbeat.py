"""Worker heartbeats: a worker process touches its row every few seconds from a
small thread; `/readyz` says whether any worker beat recently."""

import logging
import os
import socket
import threading

from django.db import close_old_connections, connection
from django.utils import timezone

logger = logging.getLogger(__name__)
HEARTBEAT_SECONDS = 10


def beat(worker_id: str, started_at) -> None:
    from openiop.operations.models import WorkerHeartbeat

    WorkerHeartbeat.objects.update_or_create(
        worker_id=worker_id,
        defaults={
            "host": socket.gethostname()[:255],
            "pid": os.getpid(),
            "started_at": started_at,
            "beat_at": timezone.now(),
        },
    )


def start(worker_id: str, *, every: float | None = None) -> threading.Event:
    """Beat now, then every `every` seconds in a daemon thread until the
    returned event is set (or the process ends); at each beat, retry or give
    up the jobs of workers that died (`recovery.py`)."""
    from openiop.operations.recovery import recover_lost_jobs, stale_seconds

    # at least five beats fit in the time after which a worker is taken for dead
    every = every or min(HEARTBEAT_SECONDS, stale_seconds() / 5)

    started_at = timezone.now()
    beat(worker_id, started_at)
    stop = threading.Event()

    def loop():
        while not stop.wait(every):
            close_old_connections()
            try:
                beat(worker_id, started_at)
            except Exception:  # a missed beat shows as a stale worker on /readyz
                logger.warning("worker heartbeat failed", exc_info=True)
                continue
            try:
                recover_lost_jobs()
            except Exception:
                logger.warning("recovering the jobs of stopped workers failed", exc_info=True)
        connection.close()

    threading.Thread(target=loop, name="openiop-heartbeat", daemon=True).start()
    return stop


def freshest():
    """The most recent heartbeat, or None."""
    from openiop.operations.models import WorkerHeartbeat

    return WorkerHeartbeat.objects.order_by("-beat_at").first()
