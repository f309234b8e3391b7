"""A probe job for `openiop selftest queue`: counts its own runs in the shared
cache, so running it N times on several workers proves each job ran once."""

from django.core.cache import cache
from django_tasks import task


@task()
def probe(run: str, n: int) -> int:
    key = f"selftest:{run}:{n}"
    if not cache.add(key, 1, timeout=3600):
        cache.incr(key)
    return n
