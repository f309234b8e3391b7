"""Encrypted backups that restore.

A backup file is the database (PostgreSQL: `pg_dump --format=custom`; SQLite:
its online backup API) encrypted with AES-256-GCM in 1 MiB chunks under
BACKUP_KEY, after a plain header: the manifest (when, which migrations, row
counts per table, the audit chain's head). The header is authenticated with
every chunk, and each chunk with its position and whether it is the last, so
a changed manifest, a reordered, altered or truncated file, and a wrong key
all fail to decrypt. Nothing in the manifest names a patient.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import os
import secrets
import shutil
import sqlite3
import struct
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

MAGIC = b"OPENIOP-BACKUP\x01\n"
CHUNK = 1 << 20
FORMAT = 1


class BackupError(Exception):
    """A backup cannot be made, read or restored; the message says why."""


# ----- the key -------------------------------------------------------------------


def new_key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def key_from(text: str | None) -> bytes:
    if not text:
        raise BackupError("Set BACKUP_KEY (make one with: openiop backup --new-key).")
    try:
        key = base64.urlsafe_b64decode(text.strip().encode())
    except ValueError:
        key = b""
    if len(key) != 32:
        raise BackupError("BACKUP_KEY is not a key made by openiop backup --new-key.")
    return key


# ----- what a database holds -------------------------------------------------------


def inventory(using: str = "default") -> dict:
    """Row counts per table, the applied migrations and the audit head."""
    from django.apps import apps
    from django.db import connections
    from django.db.migrations.recorder import MigrationRecorder

    from openiop.audit.services import audit_head

    present = set(connections[using].introspection.table_names())
    counts = {}
    for model in apps.get_models(include_auto_created=True):
        table = model._meta.db_table
        if model._meta.proxy or not model._meta.managed or table not in present:
            continue  # a table a pending migration would create holds nothing yet
        counts[table] = model._base_manager.using(using).count()
    applied = sorted(
        f"{app}.{name}"
        for app, name in MigrationRecorder(connections[using]).migration_qs.values_list(
            "app", "name"
        )
    )
    return {"counts": counts, "migrations": applied, "audit_head": audit_head()}


def _tables() -> list[str]:
    from django.apps import apps

    return [
        model._meta.db_table
        for model in apps.get_models(include_auto_created=True)
        if not model._meta.proxy and model._meta.managed
    ]


def manifest(engine: str, counted: dict | None = None) -> dict:
    from django.conf import settings

    from openiop.operations.version import version

    return {
        "format": FORMAT,
        "made_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "version": version(),
        "engine": engine,
        "time_zone": settings.TIME_ZONE,
        **(counted or inventory()),
    }


# ----- the file ---------------------------------------------------------------------


def _aad(header_digest: bytes, index: int, last: bool) -> bytes:
    return header_digest + struct.pack(">Q?", index, last)


def encrypt_file(plain: Path, out: Path, header: dict, key: bytes) -> None:
    body = json.dumps(header, sort_keys=True).encode()
    digest = hashlib.sha256(body).digest()
    prefix = secrets.token_bytes(4)
    aes = AESGCM(key)
    with plain.open("rb") as src, out.open("wb") as dst:
        dst.write(MAGIC)
        dst.write(struct.pack(">I", len(body)) + body + prefix)
        index, chunk = 0, src.read(CHUNK)
        while True:
            following = src.read(CHUNK)
            last = not following
            nonce = prefix + struct.pack(">Q", index)
            sealed = aes.encrypt(nonce, chunk, _aad(digest, index, last))
            dst.write(struct.pack(">I", len(sealed)) + sealed)
            if last:
                break
            index, chunk = index + 1, following


def read_header(path: Path) -> dict:
    with Path(path).open("rb") as f:
        return _header(f)[0]


def _header(f) -> tuple[dict, bytes, bytes]:
    if f.read(len(MAGIC)) != MAGIC:
        raise BackupError("This is not an OpenIOP backup file.")
    try:
        (length,) = struct.unpack(">I", f.read(4))
        body = f.read(length)
        header = json.loads(body)
        prefix = f.read(4)
    except (struct.error, ValueError):
        raise BackupError("The backup file is damaged (its manifest cannot be read).") from None
    if len(prefix) != 4:
        raise BackupError("The backup file is damaged (it ends in its manifest).")
    return header, hashlib.sha256(body).digest(), prefix


def decrypt_file(path: Path, out: Path, key: bytes) -> dict:
    aes = AESGCM(key)
    with Path(path).open("rb") as src, out.open("wb") as dst:
        header, digest, prefix = _header(src)
        index = 0
        pending = _sealed_chunks(src)
        current = next(pending, None)
        if current is None:
            raise BackupError("The backup file is damaged (it holds no data).")
        while current is not None:
            following = next(pending, None)
            nonce = prefix + struct.pack(">Q", index)
            try:
                dst.write(aes.decrypt(nonce, current, _aad(digest, index, following is None)))
            except InvalidTag:
                if index == 0:
                    raise BackupError(
                        "The backup cannot be decrypted: wrong BACKUP_KEY, or the file was changed."
                    ) from None
                raise BackupError(
                    f"The backup file is damaged or cut short (at part {index + 1})."
                ) from None
            index, current = index + 1, following
    return header


def _sealed_chunks(src) -> Iterator[bytes]:
    while True:
        size = src.read(4)
        if not size:
            return
        if len(size) < 4:
            raise BackupError("The backup file is cut short.")
        (length,) = struct.unpack(">I", size)
        if length > CHUNK + 64:
            raise BackupError("The backup file is damaged (a part has an impossible size).")
        sealed = src.read(length)
        if len(sealed) < length:
            raise BackupError("The backup file is cut short.")
        yield sealed


# ----- making and restoring -------------------------------------------------------


def _pg_args(db: dict) -> tuple[list[str], dict]:
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    args = []
    for flag, key in (("-h", "HOST"), ("-p", "PORT"), ("-U", "USER")):
        if db.get(key):
            args += [flag, str(db[key])]
    return args, env


def _run(argv: list[str], env: dict, what: str) -> None:
    try:
        done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    except FileNotFoundError:
        raise BackupError(f"{argv[0]} is not installed (the postgresql-client package).") from None
    if done.returncode != 0:
        raise BackupError(f"{what} failed: {done.stderr.strip()[:500]}")


def dump_with_manifest(db: dict, plain: Path, engine: str) -> dict:
    """Write the database to `plain` and return the manifest of what was
    written, both of one moment however busy the clinic is. PostgreSQL: the
    manifest is counted in a repeatable-read transaction whose snapshot
    `pg_dump --snapshot` shares; SQLite: the online backup copies one moment,
    and the manifest is counted in the copy."""
    from django.db import connection, transaction

    if engine != "postgresql":
        dump_to(db, plain)
        return manifest(engine, counted=_sqlite_inventory(plain))
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            cursor.execute("SELECT pg_export_snapshot()")
            (snapshot,) = cursor.fetchone()
        header = manifest(engine)
        dump_to(db, plain, snapshot)
    return header


def _sqlite_inventory(path: Path) -> dict:
    """`inventory()` of an SQLite file (the backup copy), read with sqlite3."""
    from openiop.audit.services import GENESIS

    con = sqlite3.connect(str(path))
    try:
        present = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        counts = {
            table: con.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]  # noqa: S608
            for table in _tables()
            if table in present
        }
        applied = sorted(
            f"{a}.{n}" for a, n in con.execute("SELECT app, name FROM django_migrations")
        )
        head = con.execute(
            "SELECT count, last_id, last_hash FROM audit_audithead WHERE id = 1"
        ).fetchone()
    finally:
        con.close()
    events, last_id, last_hash = head or (0, 0, GENESIS)
    return {
        "counts": counts,
        "migrations": applied,
        "audit_head": {"events": events, "last_id": last_id, "last_hash": last_hash},
    }


def dump_to(db: dict, plain: Path, snapshot: str | None = None) -> str:
    """Write the database to `plain` (as of `snapshot`, on PostgreSQL); return
    the engine's name."""
    engine = db["ENGINE"].rsplit(".", 1)[-1]
    if engine == "postgresql":
        args, env = _pg_args(db)
        argv = ["pg_dump", "--format=custom", "--no-owner", "--no-privileges"]
        if snapshot:
            argv.append(f"--snapshot={snapshot}")
        _run([*argv, *args, "-f", str(plain), db["NAME"]], env, "pg_dump")
    elif engine == "sqlite3":
        from django.db import connection

        # through the application's own connection: no second writer to wait
        # for, and an in-memory database works too
        connection.ensure_connection()
        target = sqlite3.connect(str(plain))
        with target:
            connection.connection.backup(target)
        target.close()
    else:
        raise BackupError(f"Backups of {engine} databases are not supported.")
    return engine


def load_from(db: dict, plain: Path, engine: str) -> None:
    """Restore `plain` into the (empty) database `db` of the same engine."""
    mine = db["ENGINE"].rsplit(".", 1)[-1]
    if mine != engine:
        raise BackupError(f"This backup is of a {engine} database; DATABASE_URL is {mine}.")
    if engine == "postgresql":
        args, env = _pg_args(db)
        argv = ["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error"]
        _run([*argv, *args, "-d", db["NAME"], str(plain)], env, "pg_restore")
    else:
        target = Path(db["NAME"])
        if target.exists():
            with sqlite3.connect(str(target)) as existing:
                (tables,) = existing.execute(
                    "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'"
                ).fetchone()
            existing.close()
            if tables:
                raise BackupError(f"{target} holds a database: restore into a new file.")
            for leftover in (target, Path(f"{target}-wal"), Path(f"{target}-shm")):
                leftover.unlink(missing_ok=True)
        shutil.copyfile(plain, target)


def check_version(header: dict, known: set[str]) -> None:
    """Refuse a backup made by a newer version (migrations this code lacks)."""
    if header.get("format") != FORMAT:
        raise BackupError("This backup was made by another version of OpenIOP's backup format.")
    unknown = sorted(set(header.get("migrations", [])) - known)
    if unknown:
        raise BackupError(
            f"This backup was made by a newer version of OpenIOP ({header.get('version')}): "
            f"it holds migrations this version does not know ({', '.join(unknown[:3])}...). "
            "Upgrade first, then restore."
        )


def known_migrations() -> set[str]:
    from django.db import connection
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(connection, ignore_no_migrations=True)
    return {f"{app}.{name}" for app, name in loader.disk_migrations}


def scratch_dir() -> tempfile.TemporaryDirectory:
    return tempfile.TemporaryDirectory(prefix="openiop-backup-")
