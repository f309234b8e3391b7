"""OperationOutcome: how the FHIR API and the importer say what went wrong."""

ISSUE_CODE = {
    400: "invalid",
    401: "login",
    403: "forbidden",
    404: "not-found",
    405: "not-supported",
    406: "not-supported",
    409: "conflict",
    410: "deleted",
    415: "not-supported",
    422: "processing",
    429: "throttled",
}


def issue(message: str, *, severity: str = "error", code: str = "processing", where=None) -> dict:
    out = {"severity": severity, "code": code, "diagnostics": message}
    if where:
        out["expression"] = [where] if isinstance(where, str) else list(where)
    return out


def outcome(issues: list[dict]) -> dict:
    return {"resourceType": "OperationOutcome", "issue": issues}


def error_outcome(status: int, message: str, fields: dict | None = None) -> dict:
    code = ISSUE_CODE.get(status, "processing")
    issues = [issue(message, code=code)]
    for name, messages in (fields or {}).items():
        for m in messages:
            if m != message:
                issues.append(issue(m, code=code, where=name))
    return outcome(issues)
