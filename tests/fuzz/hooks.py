"""Schemathesis hooks for the fuzzing step (.ci/fuzz): loaded through
SCHEMATHESIS_HOOKS=tests.fuzz.hooks, they register the `error_shape` check.

Every 4xx answer of the API, whatever raised it (our handlers, django-ninja's
validation, Django's own 404/405/CSRF refusals, the directory's rate limit),
must carry one body shape, which clients rely on:

    {"error": {"code": str, "message": str, "fields": {str: [str, ...]}}}
"""

import json

import schemathesis


def error_shape_problems(body: object) -> list[str]:
    """What is wrong with an error body, as short sentences; [] when it is right."""
    if not isinstance(body, dict):
        return [f"the body is a JSON {type(body).__name__}, not an object"]
    problems = []
    if set(body) != {"error"}:
        problems.append(f"top-level keys are {sorted(body)}, expected only ['error']")
    error = body.get("error")
    if not isinstance(error, dict):
        return [*problems, f"'error' is {type(error).__name__}, not an object"]
    for key in ("code", "message"):
        if not isinstance(error.get(key), str):
            problems.append(f"error.{key} is {type(error.get(key)).__name__}, not a string")
    fields = error.get("fields")
    if not isinstance(fields, dict):
        problems.append(f"error.fields is {type(fields).__name__}, not an object")
    else:
        for name, messages in fields.items():
            if not isinstance(name, str) or not (
                isinstance(messages, list) and all(isinstance(m, str) for m in messages)
            ):
                problems.append(f"error.fields[{name!r}] is not a list of strings: {messages!r}")
    return problems


@schemathesis.check
def error_shape(ctx, response, case):
    """A 4xx answer carries {"error": {"code", "message", "fields"}}."""
    if not 400 <= response.status_code < 500:
        return None
    # schemathesis keeps header names lower-cased, each with a list of values
    content_type = (response.headers.get("content-type") or [""])[0]
    if "json" not in content_type:
        raise AssertionError(
            f"{response.status_code} answer is not JSON (Content-Type: {content_type!r})"
        )
    try:
        body = json.loads(response.content)
    except ValueError as exc:
        raise AssertionError(f"{response.status_code} answer is not valid JSON: {exc}") from None
    problems = error_shape_problems(body)
    if problems:
        raise AssertionError(
            f"{response.status_code} answer lacks the error shape: " + "; ".join(problems)
        )
    return None
