"""Load-balancer and monitoring endpoints: `/readyz` (public: no patient data,
only whether this instance can serve) and `/metrics` (Prometheus, behind a
bearer token from METRICS_TOKEN; 404 while none is set)."""

import hmac
import time

from django.conf import settings
from django.http import Http404, HttpResponse, JsonResponse

from openiop.core.decorators import public
from openiop.operations.metrics import exposition
from openiop.operations.readiness import readiness

# a load balancer asks every few seconds; a flood of asks costs one set of
# checks a second per process, not one per ask
ANSWER_FOR_SECONDS = 1.0
_last: tuple[float, bool, list] = (0.0, False, [])


@public
def readyz(request):
    global _last
    if time.monotonic() - _last[0] >= ANSWER_FOR_SECONDS:
        _last = (time.monotonic(), *readiness())
    _, ready, checks = _last
    body = {
        "ready": ready,
        "checks": {c.name: {"ok": c.ok, "detail": c.detail} for c in checks},
    }
    return JsonResponse(body, status=200 if ready else 503)


@public
def metrics(request):
    token = settings.METRICS_TOKEN
    if not token:
        raise Http404("Metrics are off: set METRICS_TOKEN.")
    sent = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not hmac.compare_digest(sent.encode(), token.encode()):
        response = HttpResponse("Send Authorization: Bearer <METRICS_TOKEN>.\n", status=401)
        response["WWW-Authenticate"] = "Bearer"
        return response
    body, content_type = exposition()
    return HttpResponse(body, content_type=content_type)
