"""`openiop backup FILE`: the database, encrypted with BACKUP_KEY, with a manifest
(time, version, row counts, the audit chain's head). `--new-key` prints a key.
Prints one JSON object; exit status 2 with one sentence when it cannot."""

import json
import os
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from openiop.operations import backup as b


class Command(BaseCommand):
    help = "Back up the database, encrypted (BACKUP_KEY), with a manifest."

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", help="where to write the backup")
        parser.add_argument("--new-key", action="store_true", help="print a new BACKUP_KEY")

    def handle(self, *args, file=None, new_key=False, **options):
        if new_key:
            self.stdout.write(b.new_key())
            return
        if not file:
            raise CommandError("Name the backup file: openiop backup FILE.", returncode=2)
        out = Path(file)
        started = time.monotonic()
        try:
            key = b.key_from(os.environ.get("BACKUP_KEY"))
            db = settings.DATABASES["default"]
            engine = db["ENGINE"].rsplit(".", 1)[-1]
            partial = out.with_name(out.name + ".partial")
            with b.scratch_dir() as tmp:
                plain = Path(tmp) / "db"
                header = b.dump_with_manifest(db, plain, engine)
                dumped = plain.stat().st_size
                b.encrypt_file(plain, partial, header, key)
            partial.replace(out)
        except (b.BackupError, OSError) as exc:
            raise CommandError(str(exc), returncode=2) from None
        self.stdout.write(
            json.dumps(
                {
                    "benchmark": "backup",
                    "file": str(out),
                    "engine": engine,
                    "bytes": out.stat().st_size,
                    "dump_bytes": dumped,
                    "tables": len(header["counts"]),
                    "rows": sum(header["counts"].values()),
                    "audit_events": header["audit_head"]["events"],
                    "seconds": round(time.monotonic() - started, 2),
                },
                indent=2,
            )
        )
