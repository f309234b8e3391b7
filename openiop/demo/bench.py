"""`openiop bench pages`: server-side time and SQL queries of the busiest pages.

Runs in-process with Django's test client against the database DATABASE_URL
names, as a program director and a clinician of the newest benchmark
organization (seeded first if there is none). The pages write their audit
events and the idle-logoff middleware runs, as in production.
"""

import logging
import math
import statistics
import sys
import time
from collections import Counter
from urllib.parse import urlencode

from django.conf import settings
from django.db import connection
from django.db.models import Count
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from openiop.demo.seed import find_bench_staff, latest_bench_organization, seed_organization
from openiop.patients.models import Patient

DEFAULT_REQUESTS = 200
WARMUP = 5
ROLES = ("director", "clinician")


def common_family_prefix(organization, length: int = 4) -> str:
    """The start of the organization's most common family name (a broad search)."""
    row = (
        Patient.objects.filter(organization=organization)
        .values("legal_family_name")
        .annotate(n=Count("id"))
        .order_by("-n", "legal_family_name")
        .first()
    )
    return (row["legal_family_name"] if row else "a")[:length].lower()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def time_page(client: Client, url: str, requests: int) -> dict:
    for _ in range(WARMUP):
        client.get(url, secure=True)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, secure=True)
    if response.status_code != 200:
        # e.g. clinicians may not see the census: a refusal is not the page
        return {"status": response.status_code, "queries": len(captured.captured_queries)}
    times, queries, statuses = [], [], Counter()
    for _ in range(requests):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(url, secure=True)
            times.append((time.perf_counter() - started) * 1000)
        statuses[response.status_code] += 1
        queries.append(len(captured.captured_queries))
    status = statuses.most_common(1)[0][0]
    return {
        "status": status,
        "p50_ms": round(percentile(times, 0.50), 1),
        "p95_ms": round(percentile(times, 0.95), 1),
        "max_ms": round(max(times), 1),
        "queries": int(statistics.median(queries)),
        "queries_max": max(queries),
        "_times": times,
    }


def bench_pages(*, requests: int = DEFAULT_REQUESTS, log=None) -> dict:
    log = log or (lambda msg: sys.stderr.write(msg + "\n"))
    org = latest_bench_organization()
    if org is None:
        log("No benchmark organization: seeding one (10,000 patients, 26 weeks, seed 1)...")
        org = seed_organization(patients=10_000, weeks=26, seed=1).organization
    staff = find_bench_staff(org)
    prefix = common_family_prefix(org)
    pages = {
        "patient_search": "/patients/?" + urlencode({"q": prefix}),
        "caseload": "/care/caseload/",
        "census": "/care/census/",
    }
    hosts = [*settings.ALLOWED_HOSTS, "testserver"]
    request_log = logging.getLogger("django.request")  # quiet "Forbidden: ..." lines
    level = request_log.level
    request_log.setLevel(logging.ERROR)
    try:
        results = _run(pages, staff, requests, hosts, log)
    finally:
        request_log.setLevel(level)
    return {
        "database": connection.vendor,
        "organization": org.slug,
        "patients": Patient.objects.filter(organization=org).count(),
        "requests_per_role": requests,
        "debug": settings.DEBUG,
        "pages": results,
    }


def _run(pages: dict, staff: dict, requests: int, hosts: list, log) -> dict:
    results: dict[str, dict] = {}
    with override_settings(
        ALLOWED_HOSTS=hosts, REQUIRE_2FA=False
    ):  # benchmark accounts have no second factor: sign-in is not what is timed
        for page, url in pages.items():
            by_role, times, query_counts = {}, [], []
            for role in ROLES:
                client = Client()
                client.force_login(staff[role])
                r = time_page(client, url, requests)
                times += r.pop("_times", [])
                by_role[role] = r
                if r["status"] != 200:
                    log(f"{page} as {role}: refused ({r['status']}), not timed")
                    continue
                log(f"{page} as {role}: {requests} requests of {url}, p95 {r['p95_ms']} ms")
                query_counts.append(r["queries"])
            results[page] = {
                "url": url,
                "p50_ms": round(percentile(times, 0.50), 1) if times else None,
                "p95_ms": round(percentile(times, 0.95), 1) if times else None,
                "queries": max(query_counts) if query_counts else None,
                "by_role": by_role,
            }
    return results
