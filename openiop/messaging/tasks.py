"""Background delivery of the outbox (django-tasks; `openiop worker`)."""

from django_tasks import task

from openiop.messaging.services import outbox_deliver


@task()
def deliver_outbox() -> dict:
    done = outbox_deliver()
    return {"sent": done.sent, "retried": done.retried, "failed": done.failed}
