"""`openiop bench outcomes`: the outcomes of a 10,000-patient organization over
26 weeks, and a patient's trend page.

Uses the benchmark organization `bench-s1-p10000` (seeded first if missing, with
`openiop seed --patients 10000 --weeks 26 --seed 1`), adds a measurement
history to it if it has none (openiop.measures.seed), then
- computes every program's outcomes for the last 26 weeks as an
  organization-wide administrator, `repeats` times (target: under 2 s);
- requests the measures page (trends) of the patients with the longest
  histories as their program's clinician (target: p95 under 100 ms).
Prints one JSON object.
"""

import json
import logging
import os
import statistics
import sys
import time

from django.conf import settings
from django.db import connection
from django.db.models import Count
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from openiop.accounts.models import User
from openiop.demo.bench import percentile
from openiop.demo.seed import bench_slug, bench_username, find_bench_staff, seed_organization
from openiop.measures.models import CheckIn, DrugTest, Response
from openiop.measures.seed import has_measures, seed_measures
from openiop.organizations.models import Organization
from openiop.outcomes import selectors
from openiop.patients.models import Patient

PATIENTS, WEEKS, SEED = 10_000, 26, 1
DEFAULT_REPEATS = 5
TREND_PATIENTS = 20


def _organization(log) -> tuple[Organization, dict]:
    slug = bench_slug(SEED, PATIENTS)
    org = Organization.objects.filter(slug=slug).first()
    seeded = {}
    if org is None:
        log(f"Seeding {slug} ({PATIENTS:,} patients, {WEEKS} weeks, seed {SEED})...")
        result = seed_organization(patients=PATIENTS, weeks=WEEKS, seed=SEED)
        org, seeded["organization_seconds"] = result.organization, round(result.seconds, 2)
    if not has_measures(org):
        log("Adding a measurement history (responses, drug tests, check-ins)...")
        seeded["measures"] = seed_measures(org, seed=SEED)
    return org, seeded


def _time_outcomes(admin, repeats: int) -> dict:
    times, queries = [], []
    for _ in range(repeats):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            results = selectors.program_outcomes(actor=admin)
            times.append(time.perf_counter() - started)
        queries.append(len(captured.captured_queries))
    shown = {r.program.name: {m.code: m.display or m.status for m in r.metrics} for r in results}
    return {
        "programs": len(results),
        "seconds_median": round(statistics.median(times), 3),
        "seconds_max": round(max(times), 3),
        "queries": max(queries),
        "figures": shown,
    }


def _time_trends(org, requests: int, log) -> dict:
    clinician = find_bench_staff(org)["clinician"]
    program_id = clinician.memberships.get().program_id
    patients = list(
        Patient.objects.filter(organization=org, episodes__program_id=program_id)
        .annotate(n=Count("measure_responses"))
        .order_by("-n", "id")[:TREND_PATIENTS]
    )
    client = Client()
    client.force_login(clinician)
    urls = [f"/measures/patients/{p.uuid}/" for p in patients]
    for url in urls[:3]:
        assert client.get(url, secure=True).status_code == 200, url
    log(f"trend page as {clinician.username}: {requests} requests over {len(urls)} patients")
    times, cpu, queries = [], [], []
    for i in range(requests):
        with CaptureQueriesContext(connection) as captured:
            started, started_cpu = time.perf_counter(), time.process_time()
            response = client.get(urls[i % len(urls)], secure=True)
            times.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
        assert response.status_code == 200
        queries.append(len(captured.captured_queries))
    return {
        "requests": requests,
        "patients": len(urls),
        "responses_per_patient": patients[0].n if patients else 0,
        "p50_ms": round(percentile(times, 0.50), 1),
        "p95_ms": round(percentile(times, 0.95), 1),
        "max_ms": round(max(times), 1),
        # CPU time of this process (the page's own work; with SQLite, the
        # database's too), which other load on the machine does not inflate
        "cpu_p50_ms": round(percentile(cpu, 0.50), 1),
        "cpu_p95_ms": round(percentile(cpu, 0.95), 1),
        "queries": int(statistics.median(queries)),
        "queries_max": max(queries),
    }


def bench_outcomes(*, repeats: int = DEFAULT_REPEATS, requests: int = 200, log=None) -> dict:
    log = log or (lambda msg: sys.stderr.write(msg + "\n"))
    org, seeded = _organization(log)
    admin = User.objects.get(username=bench_username(org.slug, "admin"))
    request_log = logging.getLogger("django.request")
    level = request_log.level
    request_log.setLevel(logging.ERROR)
    try:
        with override_settings(
            ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"],
            REQUIRE_2FA=False,  # benchmark accounts have no second factor
        ):
            outcomes = _time_outcomes(admin, repeats)
            trends = _time_trends(org, requests, log)
    finally:
        request_log.setLevel(level)
    return {
        "benchmark": "outcomes",
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "cpus": os.cpu_count(),
        "database": connection.vendor,
        "organization": org.slug,
        "patients": Patient.objects.filter(organization=org).count(),
        "responses": Response.objects.filter(organization=org).count(),
        "drug_tests": DrugTest.objects.filter(organization=org).count(),
        "checkins": CheckIn.objects.filter(organization=org).count(),
        "debug": settings.DEBUG,
        "seeded_now": seeded,
        "outcomes": outcomes,
        "trend_page": trends,
    }


def run_command(command, *, requests: int) -> None:
    result = bench_outcomes(requests=requests, log=lambda msg: command.stderr.write(msg))
    command.stdout.write(json.dumps(result, indent=2))
