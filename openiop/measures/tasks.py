"""The safety net's background work (django-tasks; `openiop worker`): escalate
unacknowledged safety alerts and deliver the outbox, then come back when the
next escalation or retry is due. Raising an alert starts it; each run is
idempotent (conditional updates, unique outbox keys), so a run twice or a
worker restarted does no harm, and `openiop alerts sweep` (cron) does the same."""

import datetime as dt
import logging

from django.utils import timezone
from django_tasks import default_task_backend, task

from openiop.measures.models import AlertStatus, AlertTier, SafetyAlert
from openiop.messaging.models import MessageStatus, OutboxMessage

log = logging.getLogger(__name__)


@task()
def safety_sweep() -> dict:
    from openiop.measures.services.alerts import alerts_sweep
    from openiop.messaging.services import outbox_deliver

    swept = alerts_sweep()
    delivered = outbox_deliver()
    _enqueue_at_next_due()
    return {"escalated": swept.escalated, "sent": delivered.sent, "retried": delivered.retried}


def next_due() -> dt.datetime | None:
    """When the next escalation or message retry is due."""
    times = [
        SafetyAlert.objects.filter(
            status=AlertStatus.OPEN, tier=AlertTier.SAFETY, next_escalation_at__isnull=False
        )
        .order_by("next_escalation_at")
        .values_list("next_escalation_at", flat=True)
        .first(),
        OutboxMessage.objects.filter(status=MessageStatus.QUEUED)
        .order_by("not_before")
        .values_list("not_before", flat=True)
        .first(),
    ]
    times = [t for t in times if t is not None]
    return min(times) if times else None


def start_sweeps() -> None:
    """After an alert is raised: a sweep now (it delivers the pages) and one
    when the next escalation is due."""
    try:
        if not _sweep_waiting_by(timezone.now()):  # one waiting sweep delivers every page
            safety_sweep.enqueue()
    except Exception:  # noqa: BLE001 - `openiop alerts sweep` covers a failed enqueue
        log.warning("Could not enqueue the safety sweep", exc_info=True)
    _enqueue_at_next_due()


def _enqueue_at_next_due() -> None:
    """The database backend keeps a deferred sweep across worker restarts; a
    backend that cannot defer relies on the next alert or `openiop alerts sweep`."""
    if not default_task_backend.supports_defer:
        return
    due = next_due()
    if due is None:
        return
    when = max(due, timezone.now() + dt.timedelta(seconds=5))
    if _sweep_waiting_by(when):
        return  # one chain of sweeps: each schedules its own successor
    try:
        safety_sweep.using(run_after=when).enqueue()
    except Exception:  # noqa: BLE001
        log.warning("Could not schedule the safety sweep", exc_info=True)


def _sweep_waiting_by(when: dt.datetime) -> bool:
    """Whether a sweep is already queued to run by `when` (in the database
    backend's table; with another backend it is empty, so they enqueue)."""
    try:
        from django.db.models import Q
        from django_tasks_db.models import DBTaskResult, get_date_max
    except ImportError:  # pragma: no cover - the database backend is a dependency
        return False
    return DBTaskResult.objects.filter(
        Q(run_after=get_date_max()) | Q(run_after__lte=when),  # date max: "at once"
        task_path=safety_sweep.module_path,
        status="READY",
    ).exists()
