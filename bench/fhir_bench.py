"""Bulk FHIR export at two sizes, to show that memory stays flat as the
organization grows. Prints one JSON object.

    .venv/bin/python bench/fhir_bench.py [--sizes 1000,10000] [--seed 1] [--database-url URL]

Without --database-url it migrates a new SQLite file in a temporary directory.
For each size it seeds `bench-s<seed>-p<size>` (`openiop seed`), then runs
`openiop bench fhir` for that organization in a process of its own, so each
peak resident memory figure belongs to one export.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path


def openiop(args: list[str], env: dict, capture: bool = False) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "openiop", *args],
        env=env,
        check=True,
        stdout=subprocess.PIPE if capture else subprocess.DEVNULL,
        text=True,
    )
    return done.stdout or ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database-url", default="")
    opts = parser.parse_args()
    workdir = None
    env = dict(os.environ, DEBUG="0")
    env.setdefault("SECRET_KEY", "bench-only-" + "x" * 60)
    env.setdefault("ALLOWED_HOSTS", "localhost")
    if opts.database_url:
        env["DATABASE_URL"] = opts.database_url
    else:
        workdir = Path(tempfile.mkdtemp(prefix="openiop-fhir-bench-db-"))
        env["DATABASE_URL"] = f"sqlite:///{workdir / 'bench.sqlite3'}"
    try:
        openiop(["migrate"], env)
        runs = []
        for size in [int(s) for s in opts.sizes.split(",")]:
            openiop(["migrate"], env)  # the working tree may have moved on
            openiop(["seed", f"--patients={size}", "--weeks=26", f"--seed={opts.seed}"], env)
            run_env = dict(env, BENCH_ORGANIZATION=f"bench-s{opts.seed}-p{size}")
            runs.append(json.loads(openiop(["bench", "fhir"], run_env, capture=True)))
        print(json.dumps({"runs": runs}, indent=2))
    finally:
        if workdir is not None:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
