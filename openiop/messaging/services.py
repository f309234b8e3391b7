"""Putting messages in the outbox and delivering them.

`outbox_put_many` is called inside the transaction of the change that calls for
the message; `outbox_deliver` (the worker, `openiop messages send`) sends what is
due: each row is claimed with one conditional update, sent through Django's
email framework (SMTP from the environment; a file or the console in
development, memory in tests), and marked sent, or retried later with a longer
wait, up to MAX_ATTEMPTS. A failure is kept on the row and shown where the
message's topic is shown."""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from openiop.audit.models import Action, Outcome
from openiop.audit.services import audit_record
from openiop.messaging.models import Channel, MessageStatus, OutboxMessage

MAX_ATTEMPTS = 6
RETRY_MINUTES = (1, 2, 5, 10, 30)
# a message claimed this long ago and never marked sent or failed belongs to a
# worker that died mid-send: it is queued again (sent at least once, never lost)
STALE_SENDING = dt.timedelta(minutes=10)


def outbox_put_many(messages: list[dict]) -> int:
    """Put messages in the outbox (dicts: key, organization_id, to_address,
    subject, body, topic, topic_id, and optionally to_user and not_before),
    inside the caller's transaction. A key already in the outbox is left as it
    is: asking twice for the same message sends it once. Returns how many were new."""
    if not messages:
        return 0
    keys = [m["key"][:120] for m in messages]
    have = set(OutboxMessage.objects.filter(key__in=keys).values_list("key", flat=True))
    now = timezone.now()
    rows = [
        OutboxMessage(
            key=m["key"][:120],
            organization_id=m["organization_id"],
            channel=Channel.EMAIL,
            to_user=m.get("to_user"),
            to_address=m["to_address"][:254],
            subject=m["subject"][:150],
            body=m["body"],
            topic=m["topic"][:30],
            topic_id=str(m["topic_id"])[:64],
            not_before=m.get("not_before") or now,
        )
        for m in messages
        if m["key"][:120] not in have
    ]
    OutboxMessage.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


@dataclass
class Delivery:
    sent: int = 0
    retried: int = 0
    failed: int = 0


def outbox_deliver(*, now: dt.datetime | None = None, limit: int = 500) -> Delivery:
    """Send what is due (oldest first)."""
    now = now or timezone.now()
    out = Delivery()
    OutboxMessage.objects.filter(
        status=MessageStatus.SENDING, updated_at__lt=now - STALE_SENDING
    ).update(status=MessageStatus.QUEUED, last_error="the worker stopped while sending")
    due = list(
        OutboxMessage.objects.filter(status=MessageStatus.QUEUED, not_before__lte=now)
        .order_by("not_before", "id")
        .values_list("pk", flat=True)[:limit]
    )
    for pk in due:
        claimed = OutboxMessage.objects.filter(pk=pk, status=MessageStatus.QUEUED).update(
            status=MessageStatus.SENDING, attempts=F("attempts") + 1, updated_at=now
        )
        if not claimed:
            continue  # another worker took it
        message = OutboxMessage.objects.get(pk=pk)
        outcome = _send(message, now)
        setattr(out, outcome, getattr(out, outcome) + 1)
    return out


def _send(message: OutboxMessage, now: dt.datetime) -> str:
    try:
        EmailMessage(
            subject=message.subject,
            body=message.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[message.to_address],
        ).send(fail_silently=False)
    except Exception as exc:  # noqa: BLE001 - any failure of the mail system is kept
        error = f"{type(exc).__name__}: {exc}"[:300]
        last = message.attempts >= MAX_ATTEMPTS
        wait = RETRY_MINUTES[min(message.attempts, len(RETRY_MINUTES)) - 1]
        with transaction.atomic():  # the row's state and its audit event together
            OutboxMessage.objects.filter(pk=message.pk).update(
                status=MessageStatus.FAILED if last else MessageStatus.QUEUED,
                last_error=error,
                not_before=now + dt.timedelta(minutes=wait),
                updated_at=now,
            )
            _audit(message, Outcome.FAILURE, error=error[:120])
        return "failed" if last else "retried"
    with transaction.atomic():
        OutboxMessage.objects.filter(pk=message.pk).update(
            status=MessageStatus.SENT, sent_at=now, last_error="", updated_at=now
        )
        _audit(message, Outcome.SUCCESS)
    return "sent"


def _audit(message: OutboxMessage, outcome: str, **detail) -> None:
    audit_record(
        actor=None,
        actor_name="outbox",
        action=Action.EXECUTE,
        event=f"message.{message.topic}"[:60],
        outcome=outcome,
        obj=message,
        organization_id=message.organization_id,
        detail={"to_user": message.to_user_id, "attempt": message.attempts, **detail},
    )


def messages_about(topic: str, topic_id) -> list[OutboxMessage]:
    return list(
        OutboxMessage.objects.filter(topic=topic, topic_id=str(topic_id))
        .select_related("to_user")
        .order_by("created_at", "id")
    )
