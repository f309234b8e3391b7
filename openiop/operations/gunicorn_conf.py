"""gunicorn settings for `openiop serve` (every value from the environment, so
the systemd unit in deploy/ and CI start the very same command).

- BIND (default 127.0.0.1:8000), WEB_CONCURRENCY (worker processes; default
  2 x cores + 1), GUNICORN_THREADS (default 1), GUNICORN_TIMEOUT (default 60 s).
- BEHIND_TLS_PROXY=1: trust X-Forwarded-* from FORWARDED_ALLOW_IPS (default the
  loopback address, where the proxy of deploy/nginx.conf talks from).
- Graceful reload: `kill -HUP <master pid>` (systemctl reload openiop-web)
  starts new workers on the new code and lets the old ones finish their requests.
"""

import multiprocessing
import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY") or multiprocessing.cpu_count() * 2 + 1)
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
accesslog = None  # the application logs requests itself, without query strings
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
proc_name = "openiop"


def child_exit(server, worker):
    """A worker's request counters stay in the shared metrics directory."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
