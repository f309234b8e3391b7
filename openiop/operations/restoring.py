"""Restoring a backup, and proving one restores (`openiop restore --verify`):
into a scratch database that is dropped afterwards, then the row counts and the
audit chain are checked against the backup's manifest."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.db import connection

from openiop.operations import backup as b


def compare(manifest: dict, found: dict, audit: dict) -> list[str]:
    """What differs between the manifest and a restored database, in words."""
    problems = []
    for table, rows in manifest["counts"].items():
        got = found["counts"].get(table)
        if got != rows:
            problems.append(f"{table}: {rows} rows in the backup, {got} restored")
    if not audit.get("ok"):
        problems.append(f"audit chain: {audit.get('reason') or 'broken'}")
    return problems


def inspect_here() -> dict:
    """This database's inventory and a full audit verification (JSON-ready)."""
    from openiop.audit.services import audit_verify

    found = b.inventory()
    result = audit_verify(expect=found["audit_head"])
    return {**found, "audit": {"ok": result.ok, "checked": result.checked, "reason": result.reason}}


def _inspect(database_url: str) -> dict:
    """Run `openiop backup_inspect` against another database (a fresh process,
    so Django connects to that database only)."""
    env = {**os.environ, "DATABASE_URL": database_url}
    done = subprocess.run(  # noqa: S603 - our own command
        [sys.executable, "-m", "openiop", "backup_inspect"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise b.BackupError(f"Checking the restored copy failed: {done.stderr.strip()[:500]}")
    return json.loads(done.stdout)


def _pg_url(db: dict, name: str) -> str:
    from urllib.parse import quote

    auth = quote(db.get("USER") or "", safe="")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"], safe="")
    host = db.get("HOST") or "localhost"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{auth}@{host}{port}/{name}"


def restore(path: Path, key: bytes, *, verify: bool) -> dict:
    header = b.read_header(path)
    b.check_version(header, b.known_migrations())
    db = dict(settings.DATABASES["default"])
    started = time.monotonic()
    with b.scratch_dir() as tmp:
        plain = Path(tmp) / "db"
        b.decrypt_file(path, plain, key)
        if verify:
            found = _verify_copy(db, plain, header, Path(tmp))
        else:
            if connection.introspection.table_names():
                raise b.BackupError(
                    "DATABASE_URL names a database that is not empty: restore into a new one "
                    "(or check a backup with --verify, which uses a scratch database)."
                )
            connection.close()
            b.load_from(db, plain, header["engine"])
            found = inspect_here()
    problems = compare(header, found, found["audit"])
    return {
        "file": str(path),
        "made_at": header["made_at"],
        "engine": header["engine"],
        "tables": len(header["counts"]),
        "rows": sum(header["counts"].values()),
        "audit_events": header["audit_head"]["events"],
        "verified_in_scratch": verify,
        "seconds": round(time.monotonic() - started, 2),
        "problems": problems,
    }


def _verify_copy(db: dict, plain: Path, header: dict, tmp: Path) -> dict:
    engine = header["engine"]
    if engine == "sqlite3":
        copy = tmp / "verify.sqlite3"
        b.load_from({"ENGINE": "sqlite3", "NAME": str(copy)}, plain, engine)
        return _inspect(f"sqlite:///{copy}")
    if db["ENGINE"].rsplit(".", 1)[-1] != "postgresql":
        raise b.BackupError("A PostgreSQL backup is verified with a PostgreSQL DATABASE_URL.")
    import psycopg

    scratch = f"openiop_verify_{secrets.token_hex(6)}"
    admin = _pg_url(db, "postgres")
    try:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{scratch}"')
    except psycopg.errors.InsufficientPrivilege:
        raise b.BackupError(
            "--verify makes a scratch database and the DATABASE_URL role may not "
            "(it needs CREATEDB); verify as a role that may."
        ) from None
    except psycopg.OperationalError as exc:
        raise b.BackupError(
            f"--verify connects to the server's postgres database and could not: {first_line(exc)}."
        ) from None
    try:
        b.load_from({**db, "NAME": scratch}, plain, engine)
        return _inspect(_pg_url(db, scratch))
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')


def first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text.rstrip(".")
