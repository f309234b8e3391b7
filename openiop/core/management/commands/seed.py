from django.core.management.base import BaseCommand, CommandError

from openiop.demo.seed import (
    BENCH_PASSWORD,
    SeedInputError,
    require_migrated,
    seed_organization,
    validate,
)


class Command(BaseCommand):
    help = (
        "Make a large synthetic organization for benchmarks (bench-s<seed>-p<patients>); "
        "the same seed gives the same rows. Does nothing if it already exists."
    )

    def add_arguments(self, parser):
        parser.add_argument("--patients", type=int, default=10_000, help="patients (1-1,000,000)")
        parser.add_argument(
            "--weeks", type=int, default=26, help="admissions spread over this many weeks (1-520)"
        )
        parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")

    def handle(self, *args, patients, weeks, seed, **options):
        try:
            validate(patients, weeks)
        except SeedInputError as exc:
            raise CommandError(str(exc), returncode=2) from None
        require_migrated()
        result = seed_organization(patients=patients, weeks=weeks, seed=seed)
        org = result.organization
        if not result.created:
            self.stdout.write(f"Organization {org.slug} already exists; nothing to do.")
            return
        self.stdout.write(f"Created {org.name} ({org.slug}):")
        for name, count in result.counts.items():
            self.stdout.write(f"  {name.replace('_', ' '):<16} {count:>9,}")
        self.stdout.write(
            f"Staff sign in as {org.slug}-director, {org.slug}-clinician-0001, ... "
            f"(password {BENCH_PASSWORD})."
        )
        self.stdout.write(f"Done in {result.seconds:.1f} s.")
