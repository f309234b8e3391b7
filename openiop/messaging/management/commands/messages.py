"""`openiop messages send`: deliver the outbox's due messages now (the worker does
this on its own; this is for cron, an operator, or a test of the mail set-up)."""

from django.core.management.base import BaseCommand

from openiop.messaging.services import outbox_deliver


class Command(BaseCommand):
    help = "Deliver the messages in the outbox that are due."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["send"])

    def handle(self, *args, action, **options):
        done = outbox_deliver()
        self.stdout.write(f"Sent {done.sent}, to retry {done.retried}, failed {done.failed}.")
