from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from openiop.core import context
from openiop.organizations.models import Organization
from openiop.patients.models import Patient


class Command(BaseCommand):
    help = (
        "FHIR R4 export. `--out DIR` writes DIR/<ResourceType>.ndjson for a whole "
        "organization; `--patient MRN` prints that patient's Bundle."
    )

    def add_arguments(self, parser):
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument("--out", help="directory for the NDJSON files (bulk export)")
        target.add_argument("--patient", help="MRN of one patient: print their Bundle")
        parser.add_argument(
            "--organization", help="slug of the organization (needed when there are several)"
        )
        parser.add_argument(
            "--audit", action="store_true", help="also write AuditEvent.ndjson (bulk only)"
        )

    def handle(self, *args, out, patient, organization, audit, **options):
        from openiop.demo.seed import require_migrated

        require_migrated()
        org = self._organization(organization)
        with context.bind(via="cli", purpose="operations"):
            if patient:
                self._bundle(org, patient)
            else:
                self._bulk(org, Path(out), audit)

    def _organization(self, slug):
        if slug:
            org = Organization.objects.filter(slug=slug).first()
            if org is None:
                raise CommandError(f"There is no organization {slug!r}.", returncode=2)
            return org
        orgs = list(Organization.objects.order_by("pk")[:2])
        if len(orgs) != 1:
            raise CommandError(
                "Say which organization with --organization SLUG "
                f"({'there is none' if not orgs else 'there are several'}).",
                returncode=2,
            )
        return orgs[0]

    def _bundle(self, org, mrn):
        import json

        from openiop.audit.models import Action
        from openiop.audit.services import audit_record
        from openiop.interop.services.bundle import patient_export

        found = Patient.objects.filter(organization=org, mrn__iexact=mrn.strip()).first()
        if found is None:
            raise CommandError(f"{org.slug} has no patient with MRN {mrn!r}.", returncode=2)
        export = patient_export(patient=found)
        audit_record(
            actor=None,
            action=Action.READ,
            event="fhir.export_patient",
            patient=found,
            obj=found,
            actor_name="openiop export-fhir",
            detail={"counts": export.counts},
        )
        self.stdout.write(json.dumps(export.bundle, indent=2, ensure_ascii=False))

    def _bulk(self, org, out: Path, audit: bool):
        import time

        from openiop.interop.services.bulk import bulk_export

        if out.exists() and not out.is_dir():
            raise CommandError(f"{out} is a file, not a directory.", returncode=2)
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CommandError(f"Cannot write to {out}: {exc.strerror}.", returncode=2) from None

        def progress(done, total, resources):
            self.stderr.write(
                f"\r{done:,} of {total:,} patients, {resources:,} resources", ending=""
            )

        started = time.perf_counter()
        result = bulk_export(organization=org, out_dir=out, include_audit=audit, progress=progress)
        seconds = time.perf_counter() - started
        self.stderr.write("")
        for name in result.files:
            rtype = name.removesuffix(".ndjson")
            self.stdout.write(f"{out / name}  {result.counts[rtype]:>9,}")
        self.stdout.write(
            f"{result.resources:,} resources of {result.patients:,} patients in {seconds:.1f} s."
        )
