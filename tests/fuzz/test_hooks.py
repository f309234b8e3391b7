"""The fuzzing step's error-shape check (tests/fuzz/hooks.py) itself."""

import pytest

from tests.fuzz.hooks import error_shape_problems


def test_the_error_shape_passes():
    body = {"error": {"code": "invalid", "message": "m", "fields": {"page": ["too big"]}}}
    assert error_shape_problems(body) == []
    assert error_shape_problems({"error": {"code": "c", "message": "m", "fields": {}}}) == []


@pytest.mark.parametrize(
    "body",
    [
        [],
        {"detail": "Not Found"},
        {"error": "nope"},
        {"error": {"code": "c", "message": "m"}},
        {"error": {"code": 1, "message": "m", "fields": {}}},
        {"error": {"code": "c", "message": None, "fields": {}}},
        {"error": {"code": "c", "message": "m", "fields": {"x": "not a list"}}},
        {"error": {"code": "c", "message": "m", "fields": {"x": [1]}}},
        {"error": {"code": "c", "message": "m", "fields": {}}, "detail": "extra"},
    ],
)
def test_other_bodies_fail(body):
    assert error_shape_problems(body)
