"""pytest plugin for `.ci/mutation`: every pytest session gets its own copy of
one migrated SQLite database, and uses it as it is.

mutmut runs pytest once per mutant, in a forked process, two at a time.
Migrating a fresh test database takes seconds, longer than the focused tests
themselves; copying a migrated one takes milliseconds. A copy per process
means two mutants never share a database. pytest-django's `django_db_setup`
would still run `migrate` on the copy (a fifth of a mutant's run, only to
find nothing to apply): it is replaced by one that points the connection at
the copy. The template is migrated by `.ci/mutation` from the same tree.

Active only when MUTATION_TEMPLATE_DB names the migrated database (`-p
tests.mutation_db` alone changes nothing).
"""

import os
import shutil
import types
from pathlib import Path

import pytest

TEMPLATE = "MUTATION_TEMPLATE_DB"


def _copy_path() -> Path:
    template = Path(os.environ[TEMPLATE])
    return template.with_name(f"{template.stem}-{os.getpid()}.sqlite3")


def _remove(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def _use_the_copy() -> types.ModuleType:
    """A plugin holding `django_db_setup`: registered after pytest-django, its
    fixture is the one used."""

    @pytest.fixture(scope="session", name="django_db_setup")
    def django_db_setup(django_test_environment, django_db_blocker):
        from django.conf import settings
        from django.db import connections

        with django_db_blocker.unblock():
            connection = connections["default"]
            connection.close()
            settings.DATABASES["default"]["NAME"] = connection.settings_dict["NAME"] = str(
                _copy_path()
            )
        yield

    plugin = types.ModuleType("tests.mutation_db.setup")
    plugin.django_db_setup = django_db_setup
    return plugin


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
    config.pluginmanager.register(_use_the_copy(), "mutation_db_setup")


def pytest_unconfigure(config) -> None:
    if os.environ.get(TEMPLATE):
        _remove(_copy_path())
