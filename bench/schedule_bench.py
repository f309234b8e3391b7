"""Run the schedule benchmark without Django: the same as `openiop bench_schedule`.

    .venv/bin/python bench/schedule_bench.py --size L --time-limit 60
    .venv/bin/python bench/schedule_bench.py --size M --planted --time-limit 30

Prints one JSON object; the figures and their commands are in docs/benchmarks.md.
"""

import argparse
import json
import sys

from openiop.scheduling.solver.bench import bench_schedule
from openiop.scheduling.solver.generate import SIZES
from openiop.scheduling.solver.model import InstanceError


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="S")
    parser.add_argument("--patients", type=int)
    parser.add_argument("--clinicians", type=int)
    parser.add_argument("--rooms", type=int)
    parser.add_argument("--sites", type=int)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--planted", action="store_true")
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-repair", action="store_true")
    opts = parser.parse_args()
    try:
        result = bench_schedule(
            size=opts.size,
            patients=opts.patients,
            clinicians=opts.clinicians,
            rooms=opts.rooms,
            sites=opts.sites,
            seed=opts.seed,
            planted=opts.planted,
            time_limit_s=opts.time_limit,
            workers=opts.workers,
            repairs=not opts.no_repair,
            log=lambda msg: print(msg, file=sys.stderr),
        )
    except InstanceError as exc:
        print(exc.message, file=sys.stderr)
        sys.exit(2)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
