"""`openiop alerts sweep`: escalate the safety alerts whose time has come and
deliver the outbox. The worker does this on its own; run it from cron too, so
an alert escalates even while the worker is down."""

from django.core.management.base import BaseCommand

from openiop.measures.services.alerts import alerts_sweep
from openiop.messaging.services import outbox_deliver


class Command(BaseCommand):
    help = "Escalate unacknowledged safety alerts that are due and send the outbox."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["sweep"])

    def handle(self, *args, action, **options):
        swept = alerts_sweep()
        sent = outbox_deliver()
        self.stdout.write(
            f"Escalated {swept.escalated} alert(s); sent {sent.sent} message(s), "
            f"{sent.retried} to retry, {sent.failed} failed."
        )
