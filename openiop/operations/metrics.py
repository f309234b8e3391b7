"""Prometheus metrics: requests and their latency (counted in each process;
with several server processes `openiop serve` points them at one directory,
PROMETHEUS_MULTIPROC_DIR, and a scrape adds them up), and, read from the
database at each scrape, the job queue, open safety alerts, messages that
failed for good and the age of the freshest worker heartbeat. Counts only:
no patient, no person, no address."""

import os
import time

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily

if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):  # counters of every process go there
    os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)

REQUESTS = Counter(
    "openiop_http_requests_total",
    "HTTP requests answered, by method and status class.",
    ["method", "status"],
)
LATENCY = Histogram(
    "openiop_http_request_seconds",
    "Time to answer an HTTP request.",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1, 2, 5, 10),
)
AUDIT_APPEND = Histogram(
    "openiop_audit_append_seconds",
    "Time to append events to the audit chain, the head's lock wait and the commit included.",
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1),
)


# a label per method a client can invent would let anyone add series (and words)
METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}


class MetricsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        start = time.perf_counter()
        response = self.get_response(request)
        LATENCY.observe(time.perf_counter() - start)
        method = request.method if request.method in METHODS else "other"
        REQUESTS.labels(method, f"{response.status_code // 100}xx").inc()
        return response


class DatabaseCollector:
    """Gauges read when Prometheus scrapes (a handful of COUNT queries)."""

    def collect(self):
        from django.db.models import Count
        from django.utils import timezone
        from django_tasks_db.models import DBTaskResult

        from openiop.measures.models import AlertStatus, SafetyAlert
        from openiop.messaging.models import MessageStatus, OutboxMessage
        from openiop.operations.heartbeat import freshest

        jobs = GaugeMetricFamily("openiop_jobs", "Background jobs by status.", labels=["status"])
        for row in DBTaskResult.objects.values("status").annotate(n=Count("id")):
            jobs.add_metric([row["status"].lower()], row["n"])
        yield jobs
        yield GaugeMetricFamily(
            "openiop_safety_alerts_open",
            "Safety alerts nobody has acknowledged yet.",
            value=SafetyAlert.objects.filter(status=AlertStatus.OPEN).count(),
        )
        yield GaugeMetricFamily(
            "openiop_messages_failed",
            "Messages that could not be sent after every attempt.",
            value=OutboxMessage.objects.filter(status=MessageStatus.FAILED).count(),
        )
        yield GaugeMetricFamily(
            "openiop_messages_queued",
            "Messages waiting to be sent.",
            value=OutboxMessage.objects.filter(status=MessageStatus.QUEUED).count(),
        )
        last = freshest()
        age = (timezone.now() - last.beat_at).total_seconds() if last else float("inf")
        yield GaugeMetricFamily(
            "openiop_worker_heartbeat_age_seconds",
            "Seconds since the freshest worker heartbeat (+Inf: none yet).",
            value=age,
        )


def exposition() -> tuple[bytes, str]:
    """The metrics page's body and content type."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY  # this process's counters (and its CPU and memory)
    database = CollectorRegistry()
    database.register(DatabaseCollector())
    return generate_latest(registry) + generate_latest(database), CONTENT_TYPE_LATEST
