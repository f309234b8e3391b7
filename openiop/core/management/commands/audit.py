from django.core.management.base import BaseCommand, CommandError

from openiop.audit.services import audit_verify


class Command(BaseCommand):
    help = "Audit trail tools. `openiop audit verify` checks the hash chain end to end."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["verify"], help="what to do")

    def handle(self, *args, action, **options):
        result = audit_verify()
        if not result.ok:
            raise CommandError(
                f"Audit chain broken at event {result.broken_id}: {result.reason} "
                f"({result.checked} events before it are intact).",
                returncode=1,
            )
        self.stdout.write(f"Audit chain intact: {result.checked} events checked.")
