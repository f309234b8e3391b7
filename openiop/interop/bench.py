"""`openiop bench fhir`: bulk FHIR export of a seeded organization, in
resources per second and peak memory; then the search (`bench_search.py`).

It exports the organization named by BENCH_ORGANIZATION (a slug), else the
newest `bench-*` one (seeding bench-s1-p10000 if there is none), into a
temporary directory, twice: once plain, for the rate; once under tracemalloc,
for the peak of Python allocations. It also reports the process's peak
resident memory (ru_maxrss), which includes Django itself, and the resident
memory before the export, so the growth is plain.
"""

import os
import resource
import shutil
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from django.db import connection

from openiop.demo.seed import latest_bench_organization, seed_organization
from openiop.interop.bench_search import bench_search
from openiop.interop.services.bulk import bulk_export
from openiop.organizations.models import Organization
from openiop.patients.models import Patient


def _rss_mb() -> float:
    """Current resident memory of this process (Linux /proc), in MB."""
    try:
        with open("/proc/self/statm") as f:
            pages = int(f.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 1e6
    except (OSError, ValueError):
        return 0.0


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6  # KiB on Linux


def bench_fhir(*, log=None) -> dict:
    log = log or (lambda msg: sys.stderr.write(msg + "\n"))
    slug = os.environ.get("BENCH_ORGANIZATION", "")
    org = Organization.objects.filter(slug=slug).first() if slug else latest_bench_organization()
    if org is None:
        if slug:
            raise ValueError(f"There is no organization {slug!r}.")
        log("No benchmark organization: seeding one (10,000 patients, 26 weeks, seed 1)...")
        org = seed_organization(patients=10_000, weeks=26, seed=1).organization
    patients = Patient.objects.filter(organization=org).count()
    out = Path(tempfile.mkdtemp(prefix="openiop-fhir-bench-"))
    try:
        rss_before = _rss_mb()
        started = time.perf_counter()
        result = bulk_export(organization=org, out_dir=out)
        seconds = time.perf_counter() - started
        peak_rss = _peak_rss_mb()
        size = sum(p.stat().st_size for p in out.glob("*.ndjson"))
        log(f"{result.resources:,} resources in {seconds:.1f} s; measuring memory...")
        tracemalloc.start()
        bulk_export(organization=org, out_dir=out)
        _current, traced_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    finally:
        shutil.rmtree(out, ignore_errors=True)
    return {
        "database": connection.vendor,
        "organization": org.slug,
        "patients": patients,
        "resources": result.resources,
        "by_type": result.counts,
        "seconds": round(seconds, 2),
        "resources_per_second": round(result.resources / seconds),
        "ndjson_mb": round(size / 1e6, 1),
        "python_peak_mb": round(traced_peak / 1e6, 1),
        "rss_before_mb": round(rss_before, 1),
        "rss_peak_mb": round(peak_rss, 1),
        "search": bench_search(org, log=log),
    }
