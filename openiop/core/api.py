"""API plumbing shared by every router: auth, permission declaration, errors, pages."""

import datetime as dt
import math
from functools import wraps
from typing import Annotated

from django.http import Http404
from ninja import Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer, SessionAuth
from pydantic import AfterValidator, Field, WithJsonSchema

from openiop.access.scope import can
from openiop.audit.models import Action, Outcome
from openiop.audit.services import audit_denied, audit_record
from openiop.core.errors import ApplicationError, PermissionDenied

AUTHENTICATED = "authenticated"
# Anyone, signed in or not (the public program finder); the operation sets auth=None.
PUBLIC = "public"
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


class TokenAuth(HttpBearer):
    """`Authorization: Bearer oiop_...`: a personal token acting as its owner."""

    def authenticate(self, request, token):
        from openiop.accounts.services import api_token_authenticate

        found = api_token_authenticate(token)
        if found is None:
            audit_record(
                actor=None, action=Action.LOGIN, event="api.token_refused", outcome=Outcome.FAILURE
            )
            return None
        user, api_token = found
        if api_token.read_only and request.method in UNSAFE:
            audit_denied(actor=user, event="api.read_only_token", action=Action.UPDATE)
            raise PermissionDenied("This token is read-only.")
        request.user = user
        return user


class VerifiedSessionAuth(SessionAuth):
    """The browser session, with CSRF; the two-factor middleware has already run."""


def permission(name: str):
    """Declare and check the permission an operation needs (deny by default)."""

    def deco(func):
        @wraps(func)
        def wrapped(request, *args, **kwargs):
            if name not in (AUTHENTICATED, PUBLIC) and not can(request.auth, name):
                audit_denied(
                    actor=request.auth,
                    event=name,
                    action=Action.READ if request.method == "GET" else Action.UPDATE,
                )
                raise PermissionDenied("You do not have permission to do that.")
            return func(request, *args, **kwargs)

        wrapped.openiop_permission = name
        return wrapped

    return deco


def error_body(code: str, message: str, fields: dict | None = None) -> dict:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


class ErrorDetail(Schema):
    code: str
    message: str
    fields: dict[str, list[str]]


class ErrorOut(Schema):
    error: ErrorDetail


def install_error_handlers(api) -> None:
    @api.exception_handler(ApplicationError)
    def application_error(request, exc: ApplicationError):
        return api.create_response(
            request, error_body(exc.code, exc.message, exc.fields), status=exc.status
        )

    @api.exception_handler(ValidationError)
    def validation_error(request, exc: ValidationError):
        fields: dict[str, list[str]] = {}
        for err in exc.errors:
            loc = [
                str(x) for x in err.get("loc", []) if x not in ("body", "query", "path", "payload")
            ]
            fields.setdefault(".".join(loc) or "body", []).append(err.get("msg", "Invalid value."))
        first = next(iter(fields.items()))
        return api.create_response(
            request,
            error_body("invalid", f"{first[0]}: {first[1][0]}", fields),
            status=422,
        )

    @api.exception_handler(AuthenticationError)
    def auth_error(request, exc):
        return api.create_response(
            request,
            error_body("not_authenticated", "Sign in or send a valid API token."),
            status=401,
        )

    @api.exception_handler(Http404)
    def not_found(request, exc):
        return api.create_response(
            request, error_body("not_found", "Not found, or not yours to see."), status=404
        )

    @api.exception_handler(HttpError)
    def http_error(request, exc: HttpError):
        return api.create_response(request, error_body("error", str(exc)), status=exc.status_code)


MAX_PAGE = 100_000
MAX_PAGE_SIZE = 100
# the page parameters every list operation declares (their bounds are in the
# OpenAPI document, so a client and a fuzzer know them)
PageNumber = Annotated[int, Field(ge=1, le=MAX_PAGE, description="Pages start at 1.")]
PageSize = Annotated[int, Field(ge=1, le=MAX_PAGE_SIZE, description="1 to 100 items.")]


def _wall_clock(value: dt.time) -> dt.time:
    if value.tzinfo is not None:
        raise ValueError(
            "Give the site's wall-clock time without an offset, e.g. 18:00 (sessions keep "
            "their local time across daylight saving changes)."
        )
    return value


# A time of day in the site's own zone, "18:00" or "18:00:00": an offset is
# refused rather than guessed at. JSON Schema's format "time" requires an
# offset, so the document says what is sent: a pattern, not that format.
WallTime = Annotated[
    dt.time,
    AfterValidator(_wall_clock),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,6})?)?$",
            "description": "Wall-clock time at the site, without an offset.",
            "examples": ["18:00"],
        }
    ),
]


class PageOut(Schema):
    count: int
    page: int
    pages: int


def page_of(queryset, page: int, page_size: int) -> tuple[list, dict]:
    if not 1 <= page <= MAX_PAGE or not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ApplicationError(
            f"Pages are 1 to {MAX_PAGE} and hold 1 to {MAX_PAGE_SIZE} items.",
            fields={
                "page": [f"Must be 1 to {MAX_PAGE}."],
                "page_size": [f"Must be 1 to {MAX_PAGE_SIZE}."],
            },
        )
    count = queryset.count()
    items = list(queryset[(page - 1) * page_size : page * page_size])
    return items, {"count": count, "page": page, "pages": max(1, math.ceil(count / page_size))}
