"""Fixtures of the program finder tests: the real Oregon file, imported or not
(skipped without it, a failure on CI), and a fresh rate-limit window for every
test."""

import json
from pathlib import Path

import pytest

from openiop.core import ratelimit
from openiop.directory.services import facilities_import
from tests.directory.helpers import OREGON, require_data_file


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    ratelimit.reset()
    yield
    ratelimit.reset()


@pytest.fixture
def oregon_file() -> Path:
    return require_data_file(OREGON)


@pytest.fixture
def oregon_rows(oregon_file) -> list[dict]:
    return json.loads(oregon_file.read_text())["rows"]


@pytest.fixture
def oregon(db, oregon_file):
    return facilities_import(path=oregon_file)
