import json

from django.core.management.base import BaseCommand, CommandError

from openiop.scheduling.solver.generate import SIZES


class Command(BaseCommand):
    help = (
        "Benchmark the weekly schedule optimizer on a generated program: greedy baseline, "
        "CP-SAT, independent checker, repair after a clinician's week off and 10% new "
        "admissions. Prints one JSON object (docs/benchmarks.md)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--size", choices=sorted(SIZES), help="S (40 patients), M (150), L (600)"
        )
        parser.add_argument("--patients", type=int, help="patients (instead of or over --size)")
        parser.add_argument("--clinicians", type=int, help="clinicians")
        parser.add_argument("--rooms", type=int, help="rooms (at least two per site)")
        parser.add_argument("--sites", type=int, help="sites (default 1, or the size's)")
        parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
        parser.add_argument("--planted", action="store_true", help="built from a perfect schedule")
        parser.add_argument(
            "--time-limit", type=float, default=60.0, help="solver seconds (default 60)"
        )
        parser.add_argument("--workers", type=int, default=2, help="CP-SAT workers (default 2)")
        parser.add_argument("--no-repair", action="store_true", help="skip the repair scenarios")

    def handle(self, *args, **opts):
        from openiop.scheduling.solver.bench import bench_schedule
        from openiop.scheduling.solver.model import InstanceError

        size = opts["size"]
        if size is None and opts["patients"] is None:
            size = "S"
        if not 1 <= opts["workers"] <= 64:
            raise CommandError("The number of workers must be between 1 and 64.", returncode=2)
        try:
            result = bench_schedule(
                size=size,
                patients=opts["patients"],
                clinicians=opts["clinicians"],
                rooms=opts["rooms"],
                sites=opts["sites"],
                seed=opts["seed"],
                planted=opts["planted"],
                time_limit_s=opts["time_limit"],
                workers=opts["workers"],
                repairs=not opts["no_repair"],
                log=lambda msg: self.stderr.write(msg),
            )
        except InstanceError as exc:
            raise CommandError(exc.message, returncode=2) from None
        self.stdout.write(json.dumps(result, indent=2))
