"""`openiop bench directory --facilities N`: the radius search, timed.

Against the database DATABASE_URL names:

1. N synthetic facilities are placed around real ZIP code centroids (a ZIP
   drawn at random, then up to 3 miles from its centre), each with service
   codes drawn from the frequencies of the real Oregon FindTreatment.gov file
   (how often each category appears, and each value within it).
2. Q varied queries (place, radius, filters, sort, page) go to
   `GET /api/v1/directory/facilities` through Django's test client, in
   process: the time is the server's (routing, validation, SQL, ranking,
   JSON), with no network.
3. After all the API requests, the same queries are answered by a naive
   full scan in Python (read every facility, test the bits, measure every
   distance, sort, fetch the page), timed in a pass of their own; then every
   query's full ordered answer is compared both ways.

Prints one JSON object. The synthetic facilities (source "synthetic") are
deleted at the end, and before starting if an earlier run left any.
"""

import json
import logging
import math
import os
import random
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from openiop.directory import features as FT
from openiop.directory.geo import EARTH_RADIUS_MILES
from openiop.directory.models import Facility, Source
from openiop.directory.search import full_scan, make_query, ranked
from openiop.directory.services import tidy_after_import

DEFAULT_FACILITIES = 30_000
DEFAULT_QUERIES = 500
WARMUP = 20
JITTER_MILES = 3.0
STATES = set(
    [
        "AL",
        "AK",
        "AZ",
        "AR",
        "CA",
        "CO",
        "CT",
        "DE",
        "DC",
        "FL",
        "GA",
        "HI",
        "ID",
        "IL",
        "IN",
        "IA",
        "KS",
        "KY",
        "LA",
        "ME",
        "MD",
        "MA",
        "MI",
        "MN",
        "MS",
        "MO",
        "MT",
        "NE",
        "NV",
        "NH",
        "NJ",
        "NM",
        "NY",
        "NC",
        "ND",
        "OH",
        "OK",
        "OR",
        "PA",
        "RI",
        "SC",
        "SD",
        "TN",
        "TX",
        "UT",
        "VT",
        "VA",
        "WA",
        "WV",
        "WI",
        "WY",
    ]
)
RADII = [5, 10, 10, 25, 25, 25, 50, 50, 100, 250]
PAYMENTS = ["medicaid", "medicare", "private", "military", "self_pay", "sliding_scale"]
EXTRAS = [
    ("focus", "co_occurring"),
    ("focus", "substance_use"),
    ("family", "family_counseling"),
    ("telehealth", "telehealth"),
    ("special", "veterans"),
    ("special", "trauma"),
    ("special", "pregnant"),
    ("special", "adolescents"),
    ("age", "adults"),
    ("age", "adolescents"),
    ("accreditation", "carf"),
    ("accreditation", "joint_commission"),
    ("services", "medications"),
]


class BenchInputError(Exception):
    pass


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def service_frequencies(path: Path) -> tuple[int, dict[str, tuple[float, str, list]]]:
    """code -> (share of facilities listing it, its label, [(value, share of those)])."""
    rows = json.loads(path.read_text())["rows"]
    per_code: Counter = Counter()
    per_value: dict[str, Counter] = {}
    labels: dict[str, str] = {}
    for r in rows:
        for s in r.get("services") or []:
            code = s["f2"]
            per_code[code] += 1
            labels.setdefault(code, s.get("f1") or "")
            for v in FT.split_values(s.get("f3")):
                per_value.setdefault(code, Counter())[v] += 1
    out = {
        code: (
            n / len(rows),
            labels[code],
            [(v, c / n) for v, c in sorted(per_value.get(code, Counter()).items())],
        )
        for code, n in sorted(per_code.items())
    }
    return len(rows), out


def zip_centroids() -> list[tuple[str, str, str, float, float]]:
    import zipcodes

    return [
        (z["zip_code"], z["city"], z["state"], float(z["lat"]), float(z["long"]))
        for z in zipcodes.list_all()
        if z["zip_code_type"] == "STANDARD" and z["active"] and z["state"] in STATES and z["lat"]
    ]


def _around(rng: random.Random, lat: float, lon: float) -> tuple[float, float]:
    """A point up to JITTER_MILES from (lat, lon), uniform over the disc."""
    d = JITTER_MILES * math.sqrt(rng.random()) / EARTH_RADIUS_MILES
    bearing = rng.random() * 2 * math.pi
    p1, l1 = math.radians(lat), math.radians(lon)
    p2 = math.asin(math.sin(p1) * math.cos(d) + math.cos(p1) * math.sin(d) * math.cos(bearing))
    l2 = l1 + math.atan2(
        math.sin(bearing) * math.sin(d) * math.cos(p1), math.cos(d) - math.sin(p1) * math.sin(p2)
    )
    return round(math.degrees(p2), 7), round((math.degrees(l2) + 540) % 360 - 180, 7)


def generate(*, count: int, seed: int, freqs: dict, zips: list, log) -> list[str]:
    """Write `count` synthetic facilities; return the ZIP codes they were placed at."""
    rng = random.Random(seed)
    placed = []
    batch: list[Facility] = []
    with transaction.atomic():
        for i in range(count):
            zip_code, city, state, lat, lon = rng.choice(zips)
            lat, lon = _around(rng, lat, lon)
            services = []
            for code, (share, label, values) in freqs.items():
                if rng.random() >= share:
                    continue
                chosen = [v for v, p in values if rng.random() < p]
                if not chosen and values:
                    chosen = [rng.choice(values)[0]]
                services.append({"code": code, "label": label, "values": chosen})
            batch.append(
                Facility(
                    source=Source.SYNTHETIC,
                    source_key=f"synthetic-{seed}-{i}",
                    name=f"Synthetic Facility {i + 1:05d}",
                    city=city,
                    state=state,
                    zip_code=zip_code,
                    latitude=lat,
                    longitude=lon,
                    services=services,
                    features=FT.features_from_services(services),
                    languages=FT.encode_languages(FT.languages_from_services(services)),
                )
            )
            placed.append(zip_code)
            if len(batch) >= 2000:
                Facility.objects.bulk_create(batch)
                batch = []
                log(f"  {i + 1:,} facilities written")
        Facility.objects.bulk_create(batch)
    return placed


def make_params(rng: random.Random, placed: list[str]) -> dict:
    """One varied search: a place where facilities are, a radius, 1-4 filters, a sort."""
    params: dict = {"near": rng.choice(placed), "radius_miles": rng.choice(RADII)}
    if rng.random() < 0.7:
        params["level_of_care"] = ["iop"]
    elif rng.random() < 0.5:
        params["level_of_care"] = rng.sample(["iop", "php", "op"], 2)
    if rng.random() < 0.7:
        params["payment"] = [rng.choice(PAYMENTS)]
    for group, slug in rng.sample(EXTRAS, rng.choice([0, 0, 1, 1, 2])):
        params.setdefault(group, [])
        if slug not in params[group]:
            params[group].append(slug)
    if rng.random() < 0.15:
        params["language"] = ["spanish"]
    params["sort"] = "fit" if rng.random() < 0.4 else "distance"
    params["page"] = 1 if rng.random() < 0.8 else rng.choice([2, 3])
    return params


def _api_params(params: dict) -> dict:
    out = dict(params)
    for flag in ("family", "telehealth"):
        if flag in out:
            out[flag] = "true"
    return out


def _query(params: dict):
    filters = {
        g: v for g, v in params.items() if g in FT.GROUPS and g not in ("family", "telehealth")
    }
    for flag, slug in (("family", "family_counseling"), ("telehealth", "telehealth")):
        if flag in params:
            filters[flag] = [slug]
    return make_query(
        near=params["near"],
        radius_miles=params["radius_miles"],
        filters=filters,
        languages=params.get("language", []),
        sort=params["sort"],
        page=params["page"],
    )


def naive_page(query) -> tuple[int, list[str]]:
    """The naive answer as the API gives it: the count and the page's UUIDs."""
    hits = full_scan(query)
    start = (query.page - 1) * query.page_size
    page = hits[start : start + query.page_size]
    found = Facility.objects.defer("services").in_bulk([h.id for h in page])
    return len(hits), [str(found[h.id].uuid) for h in page]


def bench_directory(
    *,
    facilities: int = DEFAULT_FACILITIES,
    queries: int = DEFAULT_QUERIES,
    seed: int = 1,
    oregon: Path,
    log=None,
) -> dict:
    log = log or (lambda msg: sys.stderr.write(msg + "\n"))
    if not 100 <= facilities <= 1_000_000:
        raise BenchInputError("The number of facilities must be between 100 and 1,000,000.")
    if not 10 <= queries <= 100_000:
        raise BenchInputError("The number of queries must be between 10 and 100,000.")
    if not oregon.exists():
        raise BenchInputError(
            f"The Oregon FindTreatment.gov file is not at {oregon}; set "
            "OPENIOP_FINDTREATMENT_FILE to its path."
        )
    rows, freqs = service_frequencies(oregon)
    leftover = Facility.objects.filter(source=Source.SYNTHETIC).delete()[0]
    if leftover:
        log(f"Deleted {leftover:,} synthetic facilities an earlier run left.")
    others = Facility.objects.filter(is_active=True).count()
    log(f"Placing {facilities:,} synthetic facilities around real ZIP centroids...")
    started = time.perf_counter()
    placed = generate(count=facilities, seed=seed, freqs=freqs, zips=zip_centroids(), log=log)
    generate_s = time.perf_counter() - started
    tidy_after_import()
    try:
        return _measure(
            queries=queries,
            seed=seed,
            placed=placed,
            log=log,
            extra={
                "database": connection.vendor,
                "facilities": facilities + others,
                "synthetic_facilities": facilities,
                "frequencies_from": f"{oregon.name} ({rows} rows)",
                "generate_s": round(generate_s, 1),
                "queries": queries,
                "seed": seed,
            },
        )
    finally:
        Facility.objects.filter(source=Source.SYNTHETIC).delete()


def _measure(*, queries: int, seed: int, placed: list[str], log, extra: dict) -> dict:
    rng = random.Random(seed + 1)
    workload = [make_params(rng, placed) for _ in range(queries)]
    client = Client()
    hosts = [*settings.ALLOWED_HOSTS, "testserver"]
    request_log = logging.getLogger("django.request")
    level = request_log.level
    request_log.setLevel(logging.ERROR)
    url = "/api/v1/directory/facilities"
    times, cpu, naive_times, counts, sql = [], [], [], [], []
    mismatches = []
    off = {"directory-api": "off", "directory-page": "off", "directory-submit": "off"}
    try:
        with override_settings(ALLOWED_HOSTS=hosts, RATE_LIMITS=off, SECURE_SSL_REDIRECT=False):
            for params in workload[:WARMUP]:
                client.get(url, _api_params(params))
            # Three passes, so that neither way's garbage and cache misses land
            # in the other's timings: the API, then the full scan, then the check.
            log(f"Timing {queries} queries through the API...")
            bodies = []
            for i, params in enumerate(workload):
                with CaptureQueriesContext(connection) as captured:
                    t0, c0 = time.perf_counter(), time.process_time()
                    response = client.get(url, _api_params(params))
                    times.append((time.perf_counter() - t0) * 1000)
                    cpu.append((time.process_time() - c0) * 1000)
                sql.append(len(captured.captured_queries))
                if response.status_code != 200:
                    raise RuntimeError(f"query {i} {params} answered {response.status_code}")
                bodies.append(response.json())
            log("Timing the same queries by a full scan...")
            naive = []
            for params in workload:
                query = _query(params)
                t0 = time.perf_counter()
                naive.append(naive_page(query))
                naive_times.append((time.perf_counter() - t0) * 1000)
            log("Comparing every answer both ways...")
            for params, body, naive_answer in zip(workload, bodies, naive, strict=True):
                counts.append(body["count"])
                query = _query(params)
                api_page = (body["count"], [r["uuid"] for r in body["results"]])
                fast_all = [(h.id, h.distance) for h in ranked(query)]
                naive_all = [(h.id, h.distance) for h in full_scan(query)]
                if api_page != naive_answer or fast_all != naive_all:
                    mismatches.append(params)
    finally:
        request_log.setLevel(level)
    p95, naive_p95 = percentile(times, 0.95), percentile(naive_times, 0.95)
    return {
        **extra,
        "p50_ms": round(percentile(times, 0.50), 2),
        "p95_ms": round(p95, 2),
        "max_ms": round(max(times), 2),
        # CPU time of this process per request: what the search costs, apart
        # from waiting for the processor when other work shares the machine
        "p50_cpu_ms": round(percentile(cpu, 0.50), 2),
        "p95_cpu_ms": round(percentile(cpu, 0.95), 2),
        "naive_p50_ms": round(percentile(naive_times, 0.50), 2),
        "naive_p95_ms": round(naive_p95, 2),
        "speedup_p95": round(naive_p95 / p95, 1),
        "identical": not mismatches,
        "mismatches": len(mismatches),
        "results_median": int(statistics.median(counts)),
        "results_max": max(counts),
        "sql_queries_per_request": max(sql),
        "debug": settings.DEBUG,
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def run_command(command, *, facilities: int) -> None:
    """`openiop bench directory`: print the JSON object (exit 2 on bad input)."""
    from django.core.management.base import CommandError

    from openiop.demo.directory import FINDTREATMENT_FILE

    try:
        result = bench_directory(
            facilities=facilities,
            queries=DEFAULT_QUERIES,
            oregon=FINDTREATMENT_FILE,
            log=lambda msg: command.stderr.write(msg),
        )
    except BenchInputError as exc:
        raise CommandError(str(exc), returncode=2) from None
    command.stdout.write(json.dumps(result, indent=2))
