"""`openiop enrolment-code USERNAME`: a one-time two-factor enrolment code,
for the first administrator (nobody can issue one on the Staff page yet) or a
locked-out one. Whoever runs it has the server, so it needs no sign-in."""

from django.core.management.base import BaseCommand, CommandError

from openiop.accounts.models import User
from openiop.accounts.two_factor import DEFAULT_HOURS, enrolment_code_issue
from openiop.core.errors import ApplicationError


class Command(BaseCommand):
    help = "Issue a one-time code with which USERNAME sets up a two-factor authenticator."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--hours", type=int, default=DEFAULT_HOURS)

    def handle(self, *args, username, hours, **options):
        user = User.objects.filter(username__iexact=username, is_active=True).first()
        if user is None:
            raise CommandError(f"There is no active account named {username}.", returncode=2)
        try:
            code, raw = enrolment_code_issue(actor=None, user=user, hours=hours)
        except ApplicationError as exc:
            raise CommandError(exc.message, returncode=2) from None
        until = f"{code.expires_at:%Y-%m-%d %H:%M} UTC"
        self.stdout.write(f"{raw}  (for {user.username}, valid until {until})")
