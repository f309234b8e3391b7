"""`openiop import-facilities FILE`: load a FindTreatment.gov JSON export or a CSV file."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from openiop.core import context
from openiop.directory.importer import ImportFileError
from openiop.directory.services import facilities_import, tidy_after_import


class Command(BaseCommand):
    help = (
        "Import treatment facilities into the public program finder from a FindTreatment.gov "
        "JSON export (/locator/exportsAsJson/v2) or a CSV file (header documented in "
        "docs/directory.md). Re-importing updates facilities instead of adding them again; "
        "a bad row is reported with its position and skipped. Ends with the counts."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the .json export or a .csv file")
        parser.add_argument(
            "--format",
            choices=["json", "csv"],
            help="file format (default: from the file name; .csv is CSV, anything else JSON)",
        )
        parser.add_argument(
            "--retire-missing",
            action="store_true",
            help="hide facilities of the same source in the file's states that it no longer lists",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="check and count, but write nothing"
        )

    def handle(self, *args, file, format, retire_missing, dry_run, **options):
        try:
            with context.bind(via="cli", purpose="operations"):
                result = facilities_import(
                    path=Path(file), fmt=format, retire_missing=retire_missing, dry_run=dry_run
                )
        except ImportFileError as exc:
            raise CommandError(str(exc), returncode=2) from None
        if not dry_run and (result.created or result.changed or result.retired):
            tidy_after_import()
        for problem in result.problems:
            self.stderr.write(str(problem))
        for placed in result.approximate:
            self.stderr.write(str(placed))
        for note in result.notes:
            self.stderr.write(note)
        self.stdout.write(result.summary)
        if result.rows and not (result.created or result.updated):
            raise CommandError(
                f"None of the {result.rows} rows could be imported; see the messages above.",
                returncode=2,
            )
