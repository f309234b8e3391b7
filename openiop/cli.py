"""The `openiop` command: Django's management commands under one name.

`openiop demo`, `openiop seed`, `openiop audit verify`, `openiop bench pages`,
and every stock command (`openiop migrate`, `openiop runserver`).
"""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    if not os.environ.get("DJANGO_SETTINGS_MODULE"):
        os.environ["DJANGO_SETTINGS_MODULE"] = "openiop.settings"
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    args = list(sys.argv if argv is None else ["openiop", *argv])
    if args[1:3] == ["bench", "schedule"]:  # the optimizer benchmark has its own command
        args[1:3] = ["bench_schedule"]
    try:
        execute_from_command_line(args)
    except ImproperlyConfigured as exc:
        sys.stderr.write(f"openiop: {exc}\n")
        sys.exit(2)
