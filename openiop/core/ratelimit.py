"""A fixed-window rate limit per client address, kept in Django's cache.

    @rate_limited("directory-api")
    def search(request, ...): ...

Each scope has a rate such as "120/minute"; `settings.RATE_LIMITS` may change
it ({"directory-api": "300/minute"}) or switch it off ("off"). Over the limit,
the answer is 429 with `Retry-After`, in the API's one error shape under
/api/ and as a short page elsewhere.

The window lives in the cache: with the default per-process memory cache each
web process counts on its own, so the effective limit is the rate times the
number of processes; point CACHES at a shared cache to count across them.
"""

import math
import re
import time
from dataclasses import dataclass
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.http import JsonResponse
from django.shortcuts import render

from openiop.core.middleware import client_ip

DEFAULT_RATES = {
    # the public program finder
    "directory-api": "120/minute",
    "directory-page": "240/minute",
    "directory-submit": "20/hour",
    # links a patient opens without signing in: guessing tokens is slowed down
    "patient-link": "30/minute",
    "calendar-feed": "60/minute",
}
_UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
_RATE_RE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*(second|minute|hour|day)s?\s*$")


@dataclass(frozen=True)
class Rate:
    limit: int
    seconds: int

    @classmethod
    def parse(cls, text: str) -> "Rate":
        """ "120/minute", "20/hour", "5/10 seconds"."""
        m = _RATE_RE.match(text or "")
        if not m:
            raise ValueError(f"{text!r} is not a rate like 120/minute.")
        limit, count, unit = int(m[1]), int(m[2] or 1), m[3]
        if limit < 1 or count < 1:
            raise ValueError(f"{text!r} must allow at least one request per period.")
        return cls(limit=limit, seconds=count * _UNITS[unit])


def rate_for(scope: str) -> Rate | None:
    text = getattr(settings, "RATE_LIMITS", {}).get(scope, DEFAULT_RATES.get(scope, "off"))
    if text in (None, "", "off"):
        return None
    return Rate.parse(text)


def _generation() -> int:
    return cache.get_or_set("ratelimit:generation", 0, timeout=None)


def hit(scope: str, key: str, rate: Rate, *, now: float | None = None) -> tuple[bool, int]:
    """Count one request; (allowed, seconds until the window resets)."""
    now = time.time() if now is None else now
    window = int(now // rate.seconds)
    cache_key = f"ratelimit:{_generation()}:{scope}:{key}:{window}"
    if cache.add(cache_key, 1, timeout=rate.seconds + 1):
        count = 1
    else:
        try:
            count = cache.incr(cache_key)
        except ValueError:  # expired between add and incr
            cache.set(cache_key, 1, timeout=rate.seconds + 1)
            count = 1
    retry_after = max(1, math.ceil((window + 1) * rate.seconds - now))
    return count <= rate.limit, retry_after


def reset() -> None:
    """Start every window afresh (tests; an operator after an incident)."""
    cache.set("ratelimit:generation", _generation() + 1, timeout=None)


def too_many(request, retry_after: int):
    message = f"Too many requests from your address; try again in {retry_after} seconds."
    if request.path.startswith("/api/"):
        response = JsonResponse(
            {"error": {"code": "rate_limited", "message": message, "fields": {}}}, status=429
        )
    else:
        # a patient's link page: say plainly that nothing was sent, with 988 and 911
        patient_page = request.path.startswith(("/m/", "/measures/me/"))
        response = render(
            request, "429.html", {"message": message, "patient_page": patient_page}, status=429
        )
    response["Retry-After"] = str(retry_after)
    return response


def rate_limited(scope: str, *, methods: tuple[str, ...] | None = None):
    """Limit a view or API operation per client address (only `methods`, if given)."""

    def deco(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            rate = rate_for(scope)
            if rate is not None and (methods is None or request.method in methods):
                allowed, retry_after = hit(scope, client_ip(request) or "unknown", rate)
                if not allowed:
                    return too_many(request, retry_after)
            return view(request, *args, **kwargs)

        return wrapped

    return deco
