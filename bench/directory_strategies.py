"""How should the radius search filter on services? Three ways, measured.

    DATABASE_URL=sqlite:////path/with/synthetic/facilities.sqlite3 \\
        .venv/bin/python bench/directory_strategies.py

Needs a database that holds synthetic facilities (run `openiop bench directory`
after setting OPENIOP_KEEP_SYNTHETIC=1, or see docs/benchmarks.md). For the same
500 varied queries as `openiop bench directory` it times, at the level of the
search function (no HTTP):

- bits-in-sql: the shipped way: the bounding box on the covering index, and
  `(features & mask)` conditions in the same SQL;
- bits-in-python: the box in SQL, every feature test in Python;
- feature-table: the box in SQL, and one EXISTS per filter on an indexed
  (facility, feature) table, built here in a temporary table;
- full-scan: read every facility and test everything in Python.

Every strategy's answer is checked against the full scan.
"""

import json
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "openiop.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

from openiop.directory import features as FT  # noqa: E402
from openiop.directory.bench import _query, make_params, percentile  # noqa: E402
from openiop.directory.geo import bounding_box  # noqa: E402
from openiop.directory.models import Facility, Source  # noqa: E402
from openiop.directory.search import _rank, candidates, full_scan  # noqa: E402

TABLE = Facility._meta.db_table
COLUMNS = "f.id, f.latitude, f.longitude, f.features, f.languages"
EXISTS_ANY = "EXISTS (SELECT 1 FROM tmp_feature t WHERE t.facility_id = f.id AND t.bit IN ({}))"


def box_sql(query):
    lat_min, lat_max, ranges = bounding_box(
        query.place.latitude, query.place.longitude, query.radius_miles
    )
    where = ["f.is_active = %s", "f.latitude >= %s", "f.latitude <= %s"]
    params = [True, lat_min, lat_max]
    if ranges != [(-180.0, 180.0)]:
        where.append(
            "(" + " OR ".join("(f.longitude >= %s AND f.longitude <= %s)" for _ in ranges) + ")"
        )
        for lo, hi in ranges:
            params += [lo, hi]
    return where, params


def bits_in_python(query):
    where, params = box_sql(query)
    sql = f"SELECT {COLUMNS} FROM {TABLE} f WHERE {' AND '.join(where)}"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return _rank(query, rows, recheck=True)


def feature_table(query):
    where, params = box_sql(query)
    for group, slugs in query.filters:
        bits = [FT.BY_KEY[f"{group}:{s}"].bit for s in slugs]
        if FT.GROUPS[group].combine == FT.ALL:
            for b in bits:
                where.append(
                    "EXISTS (SELECT 1 FROM tmp_feature t WHERE t.facility_id = f.id AND t.bit = %s)"
                )
                params.append(b)
        else:
            marks = ", ".join(["%s"] * len(bits))
            where.append(EXISTS_ANY.format(marks))
            params += bits
    if query.languages:
        where.append("(" + " OR ".join("f.languages LIKE %s" for _ in query.languages) + ")")
        params += [f"%|{x}|%" for x in query.languages]
    sql = f"SELECT {COLUMNS} FROM {TABLE} f WHERE {' AND '.join(where)}"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return _rank(query, rows, recheck=False)


def bits_in_sql(query):
    return _rank(query, candidates(query), recheck=False)


def build_feature_table():
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS tmp_feature")
        cursor.execute(
            "CREATE TABLE tmp_feature (facility_id bigint NOT NULL, bit smallint NOT NULL)"
        )
        rows = [
            (pk, f.bit)
            for pk, bits in Facility.objects.values_list("id", "features")
            for f in FT.FEATURES
            if bits & f.mask
        ]
        for i in range(0, len(rows), 5000):
            cursor.executemany("INSERT INTO tmp_feature VALUES (%s, %s)", rows[i : i + 5000])
        cursor.execute("CREATE INDEX tmp_feature_fb ON tmp_feature (facility_id, bit)")
        cursor.execute("ANALYZE tmp_feature" if connection.vendor == "postgresql" else "ANALYZE")
    return len(rows)


def main():
    placed = list(
        Facility.objects.filter(source=Source.SYNTHETIC).values_list("zip_code", flat=True)
    )
    if not placed:
        sys.exit("No synthetic facilities in this database: see the module docstring.")
    rows = build_feature_table()
    rng = random.Random(2)
    queries = [_query(make_params(rng, placed)) for _ in range(500)]
    strategies = {
        "bits-in-sql": bits_in_sql,
        "bits-in-python": bits_in_python,
        "feature-table": feature_table,
        "full-scan": lambda q: _rank_full(q),
    }
    out = {"database": connection.vendor, "facilities": len(placed), "feature_rows": rows}
    reference = [[h.id for h in full_scan(q)] for q in queries]
    for name, fn in strategies.items():
        for q in queries[:20]:
            fn(q)
        times, same = [], True
        for q, ref in zip(queries, reference, strict=True):
            t0 = time.perf_counter()
            got = fn(q)
            times.append((time.perf_counter() - t0) * 1000)
            ids = [
                r[1] if q.sort != "fit" else r[2] for r in got
            ]  # (h, id, ...) / (-fit, h, id, ...)
            same = same and ids == ref
        out[name] = {
            "p50_ms": round(percentile(times, 0.5), 2),
            "p95_ms": round(percentile(times, 0.95), 2),
            "identical": same,
        }
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS tmp_feature")
    out["load_average"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(out, indent=2))


def _rank_full(query):
    rows = Facility.objects.filter(is_active=True).values_list(
        "id", "latitude", "longitude", "features", "languages"
    )
    return _rank(query, rows, recheck=True)


if __name__ == "__main__":
    main()
