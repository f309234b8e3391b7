"""Print the fuzzing step's summary (.ci/fuzz): one block a token, from
schemathesis' JSON reports, and the exceptions the server logged.

Usage: python tests/fuzz/summary.py WORKDIR ROLE...
Reads WORKDIR/report-ROLE/json-*.json, WORKDIR/ROLE.rc and WORKDIR/server.log.
"""

import json
import re
import sys
from collections import Counter
from pathlib import Path


def role_summary(workdir: Path, role: str) -> bool:
    """Print one token's results; True when that run passed."""
    rc_file = workdir / f"{role}.rc"
    rc = int(rc_file.read_text().strip()) if rc_file.exists() else None
    reports = sorted((workdir / f"report-{role}").glob("json-*.json"))
    if not reports:
        print(f"  {role}: no report (schemathesis exit status {rc}); see its output above")
        return False
    try:
        report = json.loads(reports[-1].read_text())
    except ValueError:  # the run was stopped (timeout) while it wrote its report
        print(f"  {role}: FAILED, its report is incomplete (schemathesis exit status {rc})")
        return False
    ops, cases = report["operations"], report["test_cases"]
    verdict = "passed" if rc == 0 else f"FAILED (exit status {rc})"
    print(
        f"  {role}: {verdict}; {ops['tested']}/{ops['selected']} operations, "
        f"{cases['generated']} test cases, {cases['unique_failures']} unique failures, "
        f"{report['running_time']:.0f}s (stopped: {report['stop_reason']})"
    )
    for failure in report.get("failures", []):
        print(f"    {failure['code']} {failure['title']} ({failure['count']}):")
        for operation in failure["operations"]:
            print(f"      - {operation}")
    for error in report.get("errors", []):
        print(f"    error: {json.dumps(error)[:300]}")
    return rc == 0


def server_exceptions(log: Path) -> Counter:
    """(path, last line of the traceback) of each 500 the server logged."""
    found: Counter = Counter()
    if not log.exists():
        return found
    last_line = ""
    for line in log.read_text(errors="replace").splitlines():
        match = re.match(r"Internal Server Error: (\S+)", line)
        if match:
            path = re.sub(r"[0-9a-f]{8}-[0-9a-f-]{27}", "{uuid}", match.group(1))
            found[(path, last_line)] += 1
        elif line and not line.startswith(" ") and not line.startswith("Traceback"):
            last_line = line.strip()[:200]
    return found


def main(workdir: Path, roles: list[str]) -> int:
    print("== fuzzing summary")
    passed = [role_summary(workdir, role) for role in roles]
    exceptions = server_exceptions(workdir / "server.log")
    if exceptions:
        print("  server-side exceptions (500 answers), by path:")
        for (path, exception), count in sorted(exceptions.items()):
            print(f"    {count:4d}x {path}: {exception}")
    ok = all(passed)
    print(f"== fuzzing {'passed' if ok else 'FAILED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    sys.exit(main(Path(sys.argv[1]), sys.argv[2:]))
