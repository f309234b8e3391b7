"""pytest plugin for `.ci/mutation`: every pytest session gets its own copy of
one migrated SQLite database, so a mutant's run skips the migrations.

mutmut runs pytest once per mutant, in a forked process, two at a time.
Migrating a fresh test database takes seconds, longer than the focused tests
themselves; copying a migrated one takes milliseconds. With `--reuse-db`
pytest-django keeps the copy as it is (the migrations only confirm that
nothing is left to apply), and a copy per process means two mutants never
share a database.

Active only when MUTATION_TEMPLATE_DB names the migrated database (`-p
tests.mutation_db` alone changes nothing).
"""

import os
import shutil
from pathlib import Path

import pytest

TEMPLATE = "MUTATION_TEMPLATE_DB"


def _copy_path() -> Path:
    template = Path(os.environ[TEMPLATE])
    return template.with_name(f"{template.stem}-{os.getpid()}.sqlite3")


def _remove(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


@pytest.hookimpl(trylast=True)
def pytest_configure(config) -> None:
    if not os.environ.get(TEMPLATE):
        return
    from django.conf import settings
    from django.db import connections

    connections.close_all()  # never use a handle inherited across fork
    copy = _copy_path()
    _remove(copy)
    shutil.copyfile(os.environ[TEMPLATE], copy)
    settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = str(copy)


def pytest_unconfigure(config) -> None:
    if os.environ.get(TEMPLATE):
        _remove(_copy_path())
