import json

from django.core.management.base import BaseCommand, CommandError

from openiop.audit.services import audit_head, audit_verify


class Command(BaseCommand):
    help = (
        "Audit trail tools. `openiop audit verify` checks the hash chain end to end and "
        "against its head; `openiop audit head` prints the head for the backup manifest; "
        "`openiop audit verify --expect FILE` also checks a head recorded earlier."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["verify", "head"], help="what to do")
        parser.add_argument(
            "--expect",
            metavar="FILE",
            help="a head printed by `openiop audit head` earlier (e.g. kept with a backup)",
        )

    def handle(self, *args, action, expect=None, **options):
        if action == "head":
            self.stdout.write(json.dumps(audit_head()))
            return
        expected = None
        if expect:
            try:
                with open(expect, encoding="utf-8") as f:
                    expected = json.load(f)
                expected = {k: expected[k] for k in ("events", "last_id", "last_hash")}
            except (OSError, ValueError, KeyError, TypeError):
                raise CommandError(
                    f"{expect} is not a head printed by `openiop audit head`.", returncode=2
                ) from None
        result = audit_verify(expect=expected)
        if not result.ok:
            where = f" at event {result.broken_id}" if result.broken_id else ""
            raise CommandError(
                f"Audit chain broken{where}: {result.reason} "
                f"({result.checked} events before it are intact).",
                returncode=1,
            )
        self.stdout.write(f"Audit chain intact: {result.checked} events checked.")
