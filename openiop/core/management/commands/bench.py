import json

from django.core.management.base import BaseCommand, CommandError

from openiop.demo.bench import DEFAULT_REQUESTS, bench_pages
from openiop.demo.seed import require_migrated


class Command(BaseCommand):
    help = (
        "Benchmarks. `openiop bench pages` times patient search, caseload and census "
        "for a director and a clinician of the newest bench-* organization (seeding one "
        "if there is none) and prints one JSON object."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "target",
            choices=[
                "pages",
                "outcomes",
                "fhir",
                "plans",
                "directory",
                "alerts",
                "audit",
                "billing",
            ],
            help="what to benchmark",
        )
        parser.add_argument(
            "--facilities", type=int, default=30_000, help="directory: synthetic facilities"
        )
        parser.add_argument(
            "--requests",
            type=int,
            default=DEFAULT_REQUESTS,
            help=f"requests per page and role (default {DEFAULT_REQUESTS})",
        )

    def handle(self, *args, target, requests, **options):
        if not 1 <= requests <= 100_000:
            raise CommandError(
                "The number of requests must be between 1 and 100,000.", returncode=2
            )
        require_migrated()
        if target == "audit":
            from openiop.audit.bench import bench_audit

            try:
                result = bench_audit(log=lambda msg: self.stderr.write(msg))
            except ValueError as error:
                raise CommandError(str(error), returncode=2) from error
            self.stdout.write(json.dumps(result, indent=2))
            return
        if target == "billing":
            from openiop.billing import bench as billing

            # worklist requests: 50 unless --requests says otherwise
            n = billing.DEFAULT_REQUESTS if requests == DEFAULT_REQUESTS else requests
            result = billing.bench_billing(requests=n, log=lambda msg: self.stderr.write(msg))
            self.stdout.write(json.dumps(result, indent=2))
            return
        if target == "alerts":
            from openiop.measures.bench import bench_alerts

            result = bench_alerts(
                requests=min(requests, 500), log=lambda msg: self.stderr.write(msg)
            )
            self.stdout.write(json.dumps(result, indent=2))
            return
        if target == "directory":
            from openiop.directory.bench import run_command

            return run_command(self, facilities=options["facilities"])
        if target == "outcomes":
            from openiop.outcomes.bench import run_command as bench_outcomes

            return bench_outcomes(self, requests=requests)
        if target == "fhir":
            from openiop.interop.bench import bench_fhir

            result = bench_fhir(log=lambda msg: self.stderr.write(msg))
            self.stdout.write(json.dumps(result, indent=2))
            return
        if target == "plans":
            from openiop.demo.plans_bench import bench_plans

            result = bench_plans(requests=requests, log=lambda msg: self.stderr.write(msg))
            self.stdout.write(json.dumps(result, indent=2))
            return
        result = bench_pages(requests=requests, log=lambda msg: self.stderr.write(msg))
        self.stdout.write(json.dumps(result, indent=2))
