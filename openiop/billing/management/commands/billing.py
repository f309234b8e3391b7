"""`openiop billing evaluate --from DATE --to DATE [--organization SLUG]` and
`openiop billing charges --through DATE [--organization SLUG]`: what the
nightly job does (`billing/tasks.py`), by hand or from cron. Every
organization unless one is named. Bad input exits with status 2 and one
sentence."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from openiop.core import context
from openiop.core.clock import activated, organization_zone
from openiop.core.errors import ApplicationError

MAX_SPAN_DAYS = 366


def _date(value: str, option: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(
            f"{option} must be a date written YYYY-MM-DD, not {value!r}.", returncode=2
        ) from None


class Command(BaseCommand):
    help = "Evaluate billable days, or create charges from the ready ones."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        ev = sub.add_parser("evaluate", help="Evaluate every patient-day in a span of dates.")
        ev.add_argument("--from", dest="start", required=True, help="First date (YYYY-MM-DD).")
        ev.add_argument("--to", dest="end", required=True, help="Last date (YYYY-MM-DD).")
        ev.add_argument("--organization", help="The organization's slug (default: all).")
        ch = sub.add_parser("charges", help="Create charges from the ready days.")
        ch.add_argument("--through", required=True, help="Last date to charge (YYYY-MM-DD).")
        ch.add_argument("--organization", help="The organization's slug (default: all).")

    def handle(self, *args, action, organization=None, **options):
        orgs = self._organizations(organization)
        if action == "evaluate":
            start = _date(options["start"], "--from")
            end = _date(options["end"], "--to")
            if end < start:
                raise CommandError("--to must be on or after --from.", returncode=2)
            if (end - start).days >= MAX_SPAN_DAYS:
                raise CommandError(
                    f"Evaluate at most {MAX_SPAN_DAYS} days at a time.", returncode=2
                )
            self._each(orgs, lambda org: self._evaluate(org, start, end))
        else:
            through = _date(options["through"], "--through")
            self._each(orgs, lambda org: self._charges(org, through))

    def _organizations(self, slug):
        from openiop.organizations.models import Organization

        orgs = Organization.objects.order_by("pk")
        if slug is not None:
            orgs = orgs.filter(slug=slug)
            if not orgs.exists():
                raise CommandError(f"No organization has the slug {slug!r}.", returncode=2)
        return list(orgs)

    def _each(self, orgs, work):
        for org in orgs:
            with activated(organization_zone(org.pk)), context.bind(via="cli"):
                try:
                    work(org)
                except ApplicationError as exc:
                    raise CommandError(exc.message, returncode=2) from None

    def _evaluate(self, org, start, end):
        from openiop.billing.services.days import days_evaluate

        result = days_evaluate(organization=org, start=start, end=end)
        self.stdout.write(f"{org.name}: {_summary(result)}")

    def _charges(self, org, through):
        from openiop.billing.services.charges import charges_create

        r = charges_create(organization=org, through=through)
        self.stdout.write(
            f"{org.name}: charged {r['days']} day(s) in {r['charges']} line(s), "
            f"{r['amount']} in all; {r['skipped']} already charged, "
            f"{r['not_charged']} with nothing to charge."
        )


def _summary(result) -> str:
    if isinstance(result, dict):
        return ", ".join(f"{k} {v}" for k, v in result.items())
    return str(result)
