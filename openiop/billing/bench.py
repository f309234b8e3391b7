"""`openiop bench billing`: judge every billable day of a month for the newest
benchmark organization, and time the billing worklist.

The organization is the newest `bench-*` one (10,000 patients seeded first if
there is none); its month of billing data (`bench_seed.py`) is seeded first if
it has none. The open days of the month are removed, then `days_evaluate`
judges the whole month once (timed: days, seconds, SQL statements per day, the
process's resident memory sampled during the run), then once more over the
days it has just written (the nightly re-check). Then 50 worklist requests
(`/billing/`) as the organization's billing user, with different filters and
pages, in-process with Django's test client. Prints one JSON object.
"""

import datetime as dt
import logging
import resource
import sys
import threading
import time
from contextlib import contextmanager
from itertools import cycle

from django.conf import settings
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from openiop.billing.bench_seed import bench_month, organization_has_billing, seed_billing
from openiop.billing.checks import CODES
from openiop.billing.day_models import OPEN_STATUSES, BillingDay, DayStatus
from openiop.billing.models import Payer
from openiop.core.clock import organization_today
from openiop.demo.bench import WARMUP, percentile
from openiop.demo.seed import bench_username, latest_bench_organization, seed_organization
from openiop.organizations.models import Program
from openiop.patients.models import Patient

DEFAULT_REQUESTS = 50


def bench_billing(*, requests: int = DEFAULT_REQUESTS, again: bool = True, log=None) -> dict:
    from openiop.billing.services.days import days_evaluate

    log = log or (lambda msg: sys.stderr.write(msg + "\n"))
    org = latest_bench_organization()
    if org is None:
        log("No benchmark organization: seeding one (10,000 patients, 26 weeks, seed 1)...")
        org = seed_organization(patients=10_000, weeks=26, seed=1).organization
    today = organization_today(org.pk)
    seeded = None
    if not organization_has_billing(org):
        log(f"Seeding a month of billing data for {org.slug}...")
        seeded = seed_billing(org, today=today, log=log)
    start, end = bench_month(today)
    removed = _clear(org, start, end)
    log(f"Judging every day from {start} to {end} ({removed:,} open days removed first)...")
    first = _timed(lambda: days_evaluate(organization=org, start=start, end=end))
    log(f"first evaluation: {first['result']} in {first['seconds']} s")
    second = None
    if again:
        second = _timed(lambda: days_evaluate(organization=org, start=start, end=end))
        log(f"again: {second['result']} in {second['seconds']} s")
    worklist = _worklist(org, start, end, requests, log)
    days = first["result"]["days"]
    statuses = dict.fromkeys(DayStatus.values, 0)
    for status in BillingDay.objects.filter(
        organization=org, date__gte=start, date__lte=end
    ).values_list("status", flat=True):
        statuses[status] += 1
    return {
        "days": days,
        "seconds": first["seconds"],
        "days_per_s": round(days / first["seconds"]) if first["seconds"] else None,
        "queries_per_day": round(first["queries"] / days, 4) if days else None,
        "worklist_p95_ms": worklist["p95_ms"],
        "queries": first["queries"],
        "rss_mb": first["rss_mb"],
        "peak_mb": first["peak_mb"],
        "evaluation": first["result"],
        "again": _summary(second),
        "statuses": statuses,
        "held_by_reason": _held_by_reason(org, start, end),
        "worklist": worklist,
        "benchmark": "billing",
        "database": connection.vendor,
        "organization": org.slug,
        "patients": Patient.objects.filter(organization=org).count(),
        "month": [start.isoformat(), end.isoformat()],
        "billing_seeded_now": seeded,
        "debug": settings.DEBUG,
    }


def _summary(run) -> dict | None:
    if run is None:
        return None
    return {k: v for k, v in run.items() if k != "result"} | run["result"]


def _clear(org, start, end) -> int:
    """Remove the month's open days that have no charge, so the run judges from scratch."""
    qs = BillingDay.objects.filter(
        organization=org,
        date__gte=start,
        date__lte=end,
        status__in=OPEN_STATUSES,
        round=0,
        charges__isnull=True,
    )
    return qs.delete()[1].get("billing.BillingDay", 0)


@contextmanager
def _counting():
    counter = {"n": 0}

    def wrapper(execute, sql, params, many, context):
        counter["n"] += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield counter


def _rss_mb() -> float:
    """The process's resident memory now (Linux), or its peak elsewhere."""
    try:
        with open("/proc/self/statm") as f:
            pages = int(f.read().split()[1])
        return pages * resource.getpagesize() / 2**20
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _timed(run) -> dict:
    """Run, with the statements counted and resident memory sampled every 0.2 s."""
    samples: list[float] = [_rss_mb()]
    stop = threading.Event()

    def sample():
        while not stop.wait(0.2):
            samples.append(_rss_mb())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        with _counting() as counter:
            started = time.perf_counter()
            result = run()
            seconds = time.perf_counter() - started
    finally:
        stop.set()
        sampler.join()
    samples.append(_rss_mb())
    tenth = max(1, len(samples) // 10)
    return {
        "result": result,
        "seconds": round(seconds, 2),
        "queries": counter["n"],
        "peak_mb": round(max(samples), 1),
        # resident memory at every tenth of the run: flat if memory does not grow with days
        "rss_mb": [round(s) for s in samples[::tenth]] + [round(samples[-1])],
    }


def _held_by_reason(org, start, end) -> dict:
    held = BillingDay.objects.filter(
        organization=org, date__gte=start, date__lte=end, status=DayStatus.HELD
    )
    return {code: held.filter(held_for__contains=f",{code},").count() for code in CODES}


def _worklist(org, start, end, requests: int, log) -> dict:
    """`requests` worklist pages as the billing user, each with other filters."""
    from openiop.accounts.models import User

    user = User.objects.get(username=bench_username(org.slug, "billing"))
    programs = [""] + [str(p.uuid) for p in Program.objects.filter(organization=org)]
    payers = [""] + [str(p.uuid) for p in Payer.objects.filter(organization=org)]
    statuses = ["held", "held", "ready", "all"]
    reasons = ["", "", "minutes", "notes", "authorization", "week", "certification", "cloned"]
    span = (end - start).days
    combos = []
    for i in range(requests):
        params = {
            "program": programs[i % len(programs)],
            "payer": payers[(i // 2) % len(payers)],
            "status": statuses[i % len(statuses)],
            "reason": reasons[(i // 3) % len(reasons)],
            "page": str(1 + i % 3),
        }
        if i % 5 == 4:  # a week of the month
            week = start + dt.timedelta(days=7 * ((i // 5) % max(1, span // 7)))
            params["from"], params["to"] = week.isoformat(), (week + dt.timedelta(6)).isoformat()
        else:
            params["from"], params["to"] = start.isoformat(), end.isoformat()
        combos.append("/billing/?" + "&".join(f"{k}={v}" for k, v in params.items() if v))
    hosts = [*settings.ALLOWED_HOSTS, "testserver"]
    request_log = logging.getLogger("django.request")
    level = request_log.level
    request_log.setLevel(logging.ERROR)
    times, queries, statuses_seen = [], [], {}
    slowest = ("", 0.0)
    try:
        with override_settings(ALLOWED_HOSTS=hosts, REQUIRE_2FA=False):
            client = Client()
            client.force_login(user)
            for url, _ in zip(cycle(combos), range(WARMUP), strict=False):
                client.get(url, secure=True)
            for url in combos:
                with CaptureQueriesContext(connection) as captured:
                    started = time.perf_counter()
                    response = client.get(url, secure=True)
                    ms = (time.perf_counter() - started) * 1000
                times.append(ms)
                queries.append(len(captured.captured_queries))
                code = response.status_code
                statuses_seen[code] = statuses_seen.get(code, 0) + 1
                if ms > slowest[1]:
                    slowest = (url, ms)
    finally:
        request_log.setLevel(level)
    p95 = round(percentile(times, 0.95), 1)
    log(f"worklist: {requests} requests, p95 {p95} ms, statuses {statuses_seen}")
    return {
        "requests": requests,
        "p50_ms": round(percentile(times, 0.50), 1),
        "p95_ms": p95,
        "max_ms": round(max(times), 1),
        "queries_max": max(queries),
        "statuses": statuses_seen,
        "slowest_url": slowest[0],
        "user": user.username,
    }
