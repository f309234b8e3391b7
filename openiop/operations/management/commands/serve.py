"""`openiop serve`: the application under gunicorn, as in production (settings
in openiop/operations/gunicorn_conf.py, all from the environment). Static files
come from WhiteNoise; run `openiop collectstatic` once per release."""

import os
import shutil
import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the application under gunicorn (BIND, WEB_CONCURRENCY, BEHIND_TLS_PROXY...)."
    requires_system_checks = []  # gunicorn's workers load the application and check it

    def add_arguments(self, parser):
        parser.add_argument("--bind", help="host:port (default BIND or 127.0.0.1:8000)")
        parser.add_argument("--workers", type=int, help="worker processes (WEB_CONCURRENCY)")

    def handle(self, *args, bind=None, workers=None, **options):
        if bind:
            os.environ["BIND"] = bind
        if workers:
            os.environ["WEB_CONCURRENCY"] = str(workers)
        # request counters of every worker process, added up at each scrape; one
        # directory per address, so two servers on one machine keep their own
        address = os.environ.get("BIND", "127.0.0.1:8000")
        metrics_dir = Path(
            os.environ.get("PROMETHEUS_MULTIPROC_DIR")
            or Path(settings.BASE_DIR) / "var" / f"prometheus-{_safe(address)}"
        ).resolve()
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
        shutil.rmtree(metrics_dir, ignore_errors=True)
        metrics_dir.mkdir(parents=True, exist_ok=True)
        conf = Path(__file__).resolve().parents[2] / "gunicorn_conf.py"
        argv = [sys.executable, "-m", "gunicorn", "-c", str(conf), "openiop.wsgi:application"]
        sys.stdout.flush()
        os.execv(sys.executable, argv)  # noqa: S606 - gunicorn takes the process (signals)


def _safe(address: str) -> str:
    return "".join(c if c.isalnum() or c in ".-" else "-" for c in address)
