"""Structured logs: one JSON object per line with the request id, and a line per
request naming the route pattern (`patients/<uuid:patient_uuid>/`), never the
address asked for or its query string (a search may carry a name). Exceptions
are logged by type and code location, without their message, which may quote
a value from the database."""

import json
import logging
import time
import traceback

from openiop.core import context

# record attributes passed through (from `extra=`)
FIELDS = ("method", "route", "status", "ms", "via", "task")

request_logger = logging.getLogger("openiop.request")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": _safe_message(record),
            "request_id": context.current().request_id or None,
        }
        for name in FIELDS:
            if hasattr(record, name):
                entry[name] = getattr(record, name)
        if record.exc_info and record.exc_info[0] is not None:
            kind, _value, tb = record.exc_info
            entry["exception"] = kind.__name__
            entry["where"] = [
                f"{f.filename.rsplit('/openiop/', 1)[-1]}:{f.lineno} {f.name}"
                for f in traceback.extract_tb(tb)[-5:]
            ]
        return json.dumps(entry, default=str)

    converter = time.gmtime


def _safe_message(record: logging.LogRecord) -> str:
    """Django's request loggers put the address in the message ("Not Found:
    /patients/<uuid>/"): keep the reason only (this request's own line names
    its route pattern)."""
    message = record.getMessage()
    if record.name.startswith("django.request") or record.name.startswith("django.server"):
        return message.split(": /", 1)[0].split("?", 1)[0]
    return message


class RequestLogMiddleware:
    """One INFO line per request: method, route pattern, status, milliseconds."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        start = time.perf_counter()
        response = self.get_response(request)
        if request_logger.isEnabledFor(logging.INFO):
            match = getattr(request, "resolver_match", None)
            request_logger.info(
                "request",
                extra={
                    "method": request.method,
                    "route": match.route if match else "(no route)",
                    "status": response.status_code,
                    "ms": round((time.perf_counter() - start) * 1000, 1),
                },
            )
        return response
