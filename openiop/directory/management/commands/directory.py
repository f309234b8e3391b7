"""`openiop directory ...`: upkeep of the public program finder."""

from django.core.management.base import BaseCommand

from openiop.core import context
from openiop.directory import services


class Command(BaseCommand):
    help = (
        "Program finder upkeep. `sync`: rewrite the listed OpenIOP programs' entries from "
        "their settings. `refresh`: recompute every imported facility's filters from its "
        "stored services (after the feature table changed). `purge`: delete expired "
        "shortlists."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["sync", "refresh", "purge"], help="what to do")

    def handle(self, *args, action, **options):
        with context.bind(via="cli", purpose="operations"):
            if action == "sync":
                from django.core.cache import cache

                cache.delete(services.FINGERPRINT_KEY)
                services.programs_sync_if_changed(force=True)
                self.stdout.write("Program entries are up to date.")
            elif action == "refresh":
                count = services.facilities_refresh()
                self.stdout.write(f"Recomputed the filters of {count} facilities.")
            else:
                count = services.shortlists_purge()
                self.stdout.write(f"Deleted {count} expired shortlists.")
