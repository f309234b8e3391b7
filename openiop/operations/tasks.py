"""Probe jobs for `openiop selftest`: they count their own runs in the shared
cache, so running them on several workers proves each job ran once."""

import time

from django.core.cache import cache
from django_tasks import task


@task()
def probe(run: str, n: int) -> int:
    _count(f"selftest:{run}:{n}")
    return n


@task()
def probe_slow(run: str, seconds: float) -> str:
    """Counts its start, works for `seconds`, counts its end: a worker killed
    in between leaves a start without an end."""
    _count(f"selftest:{run}:started")
    time.sleep(seconds)
    _count(f"selftest:{run}:done")
    return run


def _count(key: str) -> None:
    if not cache.add(key, 1, timeout=3600):
        cache.incr(key)
