"""Fixtures of the program finder tests: the real Oregon file, imported or not,
and a fresh rate-limit window for every test."""

import json
from pathlib import Path

import pytest

from openiop.core import ratelimit
from openiop.directory.services import facilities_import
from tests.directory.helpers import OREGON


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    ratelimit.reset()
    yield
    ratelimit.reset()


@pytest.fixture
def oregon_file() -> Path:
    if not OREGON.exists():
        pytest.skip(f"the real FindTreatment.gov file is not at {OREGON}")
    return OREGON


@pytest.fixture
def oregon_rows(oregon_file) -> list[dict]:
    return json.loads(oregon_file.read_text())["rows"]


@pytest.fixture
def oregon(db, oregon_file):
    return facilities_import(path=oregon_file)
