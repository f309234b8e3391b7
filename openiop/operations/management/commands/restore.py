"""`openiop restore FILE` into an empty database (DATABASE_URL), or
`openiop restore --verify FILE`: into a scratch database, dropped afterwards.
Either way the row counts and the audit chain are checked against the backup's
manifest. Prints one JSON object; exit status 1 when the copy differs, 2 with
one sentence when the backup cannot be restored (wrong key, damaged file, a
backup from a newer version, a database that is not empty)."""

import json
import os
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from openiop.operations import backup as b
from openiop.operations.restoring import first_line, restore


class Command(BaseCommand):
    help = "Restore an encrypted backup (BACKUP_KEY), or prove it restores (--verify)."
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument(
            "--verify", action="store_true", help="restore into a scratch database and check it"
        )

    def handle(self, *args, file, verify=False, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"No backup file at {path}.", returncode=2)
        try:
            report = restore(path, b.key_from(os.environ.get("BACKUP_KEY")), verify=verify)
        except b.BackupError as exc:
            raise CommandError(str(exc), returncode=2) from None
        except DatabaseError as exc:
            raise CommandError(
                f"Could not use the database DATABASE_URL names ({first_line(exc)}); "
                "create it, empty, first.",
                returncode=2,
            ) from None
        self.stdout.write(json.dumps(report, indent=2))
        if report["problems"]:
            raise CommandError(
                f"The restored copy differs from the backup: {report['problems'][0]}.",
                returncode=1,
            )
