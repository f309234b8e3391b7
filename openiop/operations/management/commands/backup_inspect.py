"""`openiop backup_inspect`: this database's row counts, migrations and audit
chain (verified), as a backup manifest would hold them; JSON."""

import json

from django.core.management.base import BaseCommand

from openiop.operations.restoring import inspect_here


class Command(BaseCommand):
    help = "Print this database's inventory and audit verification (JSON)."
    requires_system_checks = []

    def handle(self, *args, **options):
        self.stdout.write(json.dumps(inspect_here()))
