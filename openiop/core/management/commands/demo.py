from django.core.management.base import BaseCommand

from openiop.core import context
from openiop.demo.demo import DEMO_PASSWORD, build_demo, demo_logins
from openiop.demo.directory import build_directory_demo


class Command(BaseCommand):
    help = "Load the synthetic demo organization (does nothing if it is already there)."

    def handle(self, *args, **options):
        with context.bind(via="cli", purpose="operations"):
            created = build_demo()
            build_directory_demo(log=self.stdout.write)
        self.stdout.write("Demo data loaded." if created else "Demo data already present.")
        self.stdout.write(
            "\nOpen http://127.0.0.1:8000 and sign in as one of these "
            f"(password for all: {DEMO_PASSWORD}):"
        )
        for username, role in demo_logins():
            self.stdout.write(f"  {username:<16} {role.replace('_', ' ')}")
