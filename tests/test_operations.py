"""Running it for real: readiness for a load balancer, metrics behind a token,
worker heartbeats, the shared cache setting and the production server's
settings. Nothing here may carry patient data."""

import datetime as dt

import pytest
from django.utils import timezone

from openiop.operations import heartbeat
from openiop.operations.models import WorkerHeartbeat
from openiop.operations.recovery import stale_seconds

TOKEN = "metrics-test-token-0123456789"


def test_ready_when_the_database_and_cache_answer(client, db):
    body = client.get("/readyz").json()
    assert body["ready"] is True
    assert body["checks"]["database"]["ok"] and body["checks"]["migrations"]["ok"]
    assert body["checks"]["cache"]["ok"]


def test_no_worker_is_said_but_the_instance_still_serves(client, db):
    """A queue or worker that is down does not take the site out of the load
    balancer: requests that need no job still work; /readyz says what is wrong."""
    body = client.get("/readyz").json()
    assert body["ready"] is True
    assert body["checks"]["worker"] == {"ok": False, "detail": "no worker has started"}
    WorkerHeartbeat.objects.create(
        worker_id="w1",
        host="test",
        pid=1,
        started_at=timezone.now(),
        beat_at=timezone.now() - dt.timedelta(seconds=stale_seconds() + 30),
    )
    assert "last heartbeat" in client.get("/readyz").json()["checks"]["worker"]["detail"]
    heartbeat.beat("w1", timezone.now())
    assert client.get("/readyz").json()["checks"]["worker"]["ok"] is True


def test_a_stuck_queue_is_reported(client, db, settings):
    from django_tasks_db.models import DBTaskResult

    from openiop.messaging.tasks import deliver_outbox

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    deliver_outbox.enqueue()
    DBTaskResult.objects.update(enqueued_at=timezone.now() - dt.timedelta(minutes=10))
    check = client.get("/readyz").json()["checks"]["queue"]
    assert check == {"ok": False, "detail": "1 jobs waiting over 5 minutes"}
    # a job scheduled for later that has only just come due is not stuck
    DBTaskResult.objects.update(run_after=timezone.now() - dt.timedelta(minutes=1))
    assert client.get("/readyz").json()["checks"]["queue"]["ok"] is True


def test_an_unreachable_database_makes_the_instance_not_ready(client, db, monkeypatch):
    from django.db import OperationalError

    from openiop.operations import readiness

    class Down:
        vendor = "postgresql"

        def cursor(self):
            raise OperationalError("connection refused")

    monkeypatch.setattr(readiness, "connection", Down())
    response = client.get("/readyz")
    assert response.status_code == 503 and response.json()["ready"] is False
    assert response.json()["checks"]["database"] == {
        "ok": False,
        "detail": "unreachable: OperationalError",
    }


def test_metrics_need_the_token(client, db, settings):
    settings.METRICS_TOKEN = TOKEN
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    text = response.content.decode()
    for name in (
        "openiop_http_requests_total",
        "openiop_http_request_seconds_bucket",
        "openiop_jobs",
        "openiop_safety_alerts_open",
        "openiop_messages_failed",
        "openiop_worker_heartbeat_age_seconds",
    ):
        assert name in text, name


def test_metrics_carry_no_patient_data(cast, client, settings):
    from tests.test_safety_net import item9

    item9(cast)  # an open safety alert exists
    settings.METRICS_TOKEN = TOKEN
    text = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").content.decode()
    assert "openiop_safety_alerts_open 1.0" in text
    for secret in (cast.patient_a.legal_name, cast.patient_a.mrn, cast.clinician_a.username):
        assert secret not in text


def test_the_worker_beats_while_it_runs(transactional_db):
    stop = heartbeat.start("test-worker", every=0.2)
    try:
        first = WorkerHeartbeat.objects.get(worker_id="test-worker").beat_at
        import time

        from django.db import OperationalError

        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:  # SQLite's shared in-memory test database locks a table per writer
                if WorkerHeartbeat.objects.get(worker_id="test-worker").beat_at > first:
                    break
            except OperationalError:
                pass
            time.sleep(0.05)
        assert WorkerHeartbeat.objects.get(worker_id="test-worker").beat_at > first
    finally:
        stop.set()


@pytest.mark.parametrize(
    ("url", "backend"),
    [
        ("", "django.core.cache.backends.locmem.LocMemCache"),
        ("redis://127.0.0.1:6379/3", "django.core.cache.backends.redis.RedisCache"),
    ],
)
def test_the_cache_comes_from_cache_url(url, backend):
    import environ

    assert environ.Env.cache_url_config(url or "locmemcache://openiop")["BACKEND"] == backend


def test_gunicorn_takes_its_settings_from_the_environment(monkeypatch):
    import importlib

    monkeypatch.setenv("BIND", "127.0.0.1:9999")
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    from openiop.operations import gunicorn_conf

    conf = importlib.reload(gunicorn_conf)
    assert (conf.bind, conf.workers) == ("127.0.0.1:9999", 3)


def test_a_logged_exception_keeps_its_type_and_place_not_its_message():
    import json
    import logging

    from openiop.operations.logs import JsonFormatter

    try:
        raise ValueError("Key (mrn)=(DEMO-00001) already exists")
    except ValueError:
        record = logging.getLogger("t").makeRecord(
            "t",
            logging.ERROR,
            __file__,
            1,
            "saving failed",
            (),
            exc_info=__import__("sys").exc_info(),
        )
    entry = json.loads(JsonFormatter().format(record))
    assert entry["exception"] == "ValueError" and entry["message"] == "saving failed"
    assert "DEMO-00001" not in json.dumps(entry)


def test_an_audit_append_is_timed_once_it_commits(transactional_db):
    from django.contrib.auth.models import AnonymousUser
    from django.db import transaction
    from prometheus_client import REGISTRY

    from openiop.audit.services import audit_read

    def count():
        return REGISTRY.get_sample_value("openiop_audit_append_seconds_count") or 0

    before = count()
    audit_read(actor=AnonymousUser(), event="test.read")
    assert count() == before + 1
    with transaction.atomic():  # inside a caller's transaction the commit is not ours
        audit_read(actor=AnonymousUser(), event="test.read")
    assert count() == before + 1


def test_readyz_reuses_its_answer_for_a_second(client, db, monkeypatch):
    from openiop.operations import views

    calls = []
    monkeypatch.setattr(views, "ANSWER_FOR_SECONDS", 60.0)
    monkeypatch.setattr(views, "_last", (0.0, False, []))
    monkeypatch.setattr(views, "readiness", lambda: calls.append(1) or (True, []))
    for _ in range(20):
        assert client.get("/readyz").status_code == 200
    assert len(calls) == 1


def test_an_invented_method_adds_no_metric_series(client, db):
    from prometheus_client import REGISTRY

    def count(method):
        return sum(
            REGISTRY.get_sample_value(
                "openiop_http_requests_total", {"method": method, "status": status}
            )
            or 0
            for status in ("2xx", "3xx", "4xx", "5xx")
        )

    before = count("other")
    client.generic("SMITHJOHNDEMO", "/healthz")
    assert count("SMITHJOHNDEMO") == 0
    assert count("other") == before + 1


def test_django_request_lines_keep_the_reason_not_the_address():
    import json
    import logging

    from openiop.operations.logs import JsonFormatter

    record = logging.getLogger("django.request").makeRecord(
        "django.request",
        logging.WARNING,
        __file__,
        1,
        "%s: %s",
        ("Not Found", "/patients/4f48a0c2-0000-4000-8000-000000000000/?q=Smith"),
        None,
    )
    entry = json.loads(JsonFormatter().format(record))
    assert entry["message"] == "Not Found"
