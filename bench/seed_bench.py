"""Time `openiop seed` on a fresh SQLite file and print one JSON object.

    .venv/bin/python bench/seed_bench.py [--patients 10000] [--weeks 26] [--seed 7] [--keep]

It migrates a new database in a temporary directory, then runs the seeder in
a subprocess (as `python -m openiop`), timing each step. With --keep the
database stays, so that `openiop bench pages` can run against it.
"""

import argparse
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def run(args: list[str], env: dict) -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "openiop", *args], env=env, check=True, stdout=subprocess.DEVNULL
    )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--weeks", type=int, default=26)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", action="store_true", help="keep the database file")
    opts = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="openiop-seed-bench-"))
    db = workdir / "bench.sqlite3"
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{db}")
    # production settings refuse to start without these unless DEBUG is on
    env.setdefault("SECRET_KEY", "seed-bench-" + secrets.token_urlsafe(48))
    env.setdefault("ALLOWED_HOSTS", "localhost")
    try:
        migrate_s = run(["migrate", "--noinput", "-v", "0"], env)
        seed_s = run(
            [
                "seed",
                f"--patients={opts.patients}",
                f"--weeks={opts.weeks}",
                f"--seed={opts.seed}",
            ],
            env,
        )
        size = sum(p.stat().st_size for p in workdir.glob("bench.sqlite3*"))
        result = {
            "benchmark": "seed",
            "database": "sqlite",
            "patients": opts.patients,
            "weeks": opts.weeks,
            "seed": opts.seed,
            "seconds": round(seed_s, 2),
            "migrate_seconds": round(migrate_s, 2),
            "db_size_mb": round(size / 1024 / 1024, 1),
        }
        if opts.keep:
            result["database_url"] = env["DATABASE_URL"]
        print(json.dumps(result, indent=2))
    finally:
        if not opts.keep:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
