from django.core.management.base import BaseCommand

from openiop.core import context
from openiop.demo.demo import DEMO_PASSWORD, build_demo, demo_logins


class Command(BaseCommand):
    help = "Load the synthetic demo organization (does nothing if it is already there)."

    def handle(self, *args, **options):
        with context.bind(via="cli", purpose="operations"):
            created = build_demo()
        self.stdout.write("Demo data loaded." if created else "Demo data already present.")
        self.stdout.write(
            "\nOpen http://127.0.0.1:8000 and sign in as one of these "
            f"(password for all: {DEMO_PASSWORD}):"
        )
        for username, role in demo_logins():
            self.stdout.write(f"  {username:<16} {role.replace('_', ' ')}")
