"""`openiop bench alerts`: the safety net under load.

In the 10,000-patient benchmark organization (`bench-s1-p10000`, seeded first
if missing): raise 1,000 safety alerts on patients with an open episode (each
routed and paged through the outbox), make them all due, time one escalation
sweep over them, deliver the outbox through Django's file email backend, and
time the dashboard of a program director with 50 open alerts. Prints one JSON object
with `alerts`, `sweep_s`, `messages_per_s` and `dashboard_p95_ms`.
"""

import datetime as dt
import logging
import os
import random
import sys
import tempfile
import time

from django.conf import settings
from django.db import connection, transaction
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from openiop.accounts.models import User
from openiop.care.models import Episode, EpisodeStatus
from openiop.demo.bench import percentile
from openiop.demo.seed import bench_slug, find_bench_staff, seed_organization
from openiop.measures.models import AlertKind, AlertStatus, SafetyAlert
from openiop.measures.services.alerts import alert_raise, alerts_sweep
from openiop.messaging.models import MessageStatus, OutboxMessage
from openiop.messaging.services import outbox_deliver
from openiop.organizations.models import Organization

PATIENTS, WEEKS, SEED = 10_000, 26, 1
ALERTS = 1_000
ON_DASHBOARD = 50


def _organization(log) -> Organization:
    slug = bench_slug(SEED, PATIENTS)
    org = Organization.objects.filter(slug=slug).first()
    if org is None:
        log(f"Seeding {slug} ({PATIENTS:,} patients, {WEEKS} weeks, seed {SEED})...")
        org = seed_organization(patients=PATIENTS, weeks=WEEKS, seed=SEED).organization
    return org


def _close_earlier(org) -> None:
    """Earlier runs' alerts are acknowledged so that each run starts alike."""
    SafetyAlert.objects.filter(organization=org, status=AlertStatus.OPEN).update(
        status=AlertStatus.ACKNOWLEDGED,
        acknowledged_at=timezone.now(),
        acknowledgement_note="Closed by the benchmark before a new run (synthetic).",
        next_escalation_at=None,
    )
    OutboxMessage.objects.filter(organization=org, status=MessageStatus.QUEUED).update(
        status=MessageStatus.FAILED, last_error="left by an earlier benchmark run"
    )


def _give_staff_email(org) -> None:
    for user in User.objects.filter(memberships__organization=org, email="").distinct():
        User.objects.filter(pk=user.pk).update(email=f"{user.username}@bench.example.test")


def _raise(org, director, log) -> tuple[int, float]:
    """1,000 alerts on patients with an open episode; 50 of them in the program
    of the director whose dashboard is timed (a director is told of each)."""
    rng = random.Random(SEED)
    episodes = list(
        Episode.objects.filter(organization=org, status=EpisodeStatus.ACTIVE)
        .select_related("patient")
        .order_by("id")
    )
    program_id = director.memberships.get().program_id
    mine = [e for e in episodes if e.program_id == program_id][:ON_DASHBOARD]
    rest = rng.sample([e for e in episodes if e.program_id != program_id], ALERTS - len(mine))
    chosen = mine + rest
    log(f"raising {len(chosen)} safety alerts ({len(mine)} on {director.username}'s dashboard)")
    started = time.perf_counter()
    for episode in chosen:
        with transaction.atomic():
            alert_raise(
                actor=None,
                patient=episode.patient,
                kind=AlertKind.SELF_HARM_ITEM,
                summary="Benchmark safety alert (synthetic)",
            )
    return len(chosen), time.perf_counter() - started


def _alerts_card(director, requests: int) -> float:
    """p95 (ms) of the dashboard's alert card alone (the selector it calls)."""
    from openiop.measures.selectors import dashboard_alerts

    times = []
    for _ in range(requests):
        started = time.perf_counter()
        alerts, _count = dashboard_alerts(user=User.objects.get(pk=director.pk))
        times.append((time.perf_counter() - started) * 1000)
    return round(percentile(times, 0.95), 1)


def _dashboard(clinician, requests: int) -> dict:
    client = Client()
    client.force_login(clinician)
    assert client.get("/", secure=True).status_code == 200
    times, queries = [], []
    for _ in range(requests):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get("/", secure=True)
            times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
        queries.append(len(captured.captured_queries))
    return {
        "p50_ms": round(percentile(times, 0.50), 1),
        "p95_ms": round(percentile(times, 0.95), 1),
        "queries": max(queries),
    }


def bench_alerts(*, requests: int = 100, log=None) -> dict:
    log = log or (lambda msg: sys.stderr.write(msg + "\n"))
    org = _organization(log)
    director = find_bench_staff(org)["director"]
    _close_earlier(org)
    _give_staff_email(org)
    request_log = logging.getLogger("django.request")
    level = request_log.level
    request_log.setLevel(logging.ERROR)
    mail_dir = tempfile.mkdtemp(prefix="openiop-bench-mail-")
    try:
        with override_settings(
            ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"],
            REQUIRE_2FA=False,  # benchmark accounts have no second factor
            EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
            EMAIL_FILE_PATH=mail_dir,
            TASKS={"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}},
        ):
            raised, raise_s = _raise(org, director, log)
            first = outbox_deliver(limit=100_000)  # the pages sent when raised
            due = timezone.now() - dt.timedelta(seconds=1)
            SafetyAlert.objects.filter(organization=org, status=AlertStatus.OPEN).update(
                next_escalation_at=due
            )
            log("sweeping: every alert escalates once")
            started = time.perf_counter()
            swept = alerts_sweep()
            sweep_s = time.perf_counter() - started
            started = time.perf_counter()
            delivered = outbox_deliver(limit=100_000)
            deliver_s = time.perf_counter() - started
            log(f"dashboard of {director.username}: {requests} requests")
            dashboard = _dashboard(director, requests)
            card_p95 = _alerts_card(director, requests)
    finally:
        request_log.setLevel(level)
    return {
        "benchmark": "alerts",
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "cpus": os.cpu_count(),
        "database": connection.vendor,
        "organization": org.slug,
        "alerts": raised,
        "raise_s": round(raise_s, 2),
        "pages_sent_on_raise": first.sent,
        "escalated": swept.escalated,
        "sweep_s": round(sweep_s, 3),
        "escalation_messages": delivered.sent,
        "messages_per_s": round(delivered.sent / deliver_s, 1) if deliver_s else None,
        "dashboard_open_alerts": SafetyAlert.objects.filter(
            organization=org, status=AlertStatus.OPEN, routing__user=director
        ).count(),
        "dashboard_p50_ms": dashboard["p50_ms"],
        "dashboard_p95_ms": dashboard["p95_ms"],
        "dashboard_queries": dashboard["queries"],
        "alerts_card_p95_ms": card_p95,
        "debug": settings.DEBUG,
    }
