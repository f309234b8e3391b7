import ipaddress
import json
import re
import uuid

from django.conf import settings

from openiop.core import context


def client_ip(request) -> str | None:
    """The client's address: with N trusted proxies (TRUSTED_PROXIES), the Nth
    address from the right of X-Forwarded-For, which the outermost of them
    appended; addresses to its left were written by the client and are not
    trusted. Without proxies, or a header too short to have passed them all,
    the socket's address."""
    proxies = getattr(settings, "TRUSTED_PROXIES", 0)
    if proxies > 0:
        hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        hops = [h for h in hops if h]
        if len(hops) >= proxies:
            found = _address(hops[-proxies])
            if found:
                return found
    return _address(request.META.get("REMOTE_ADDR"))


def _address(value: str | None) -> str | None:
    """One spelling per address (an IPv4 address written as IPv6 is IPv4), so a
    client cannot count as many; None for what is not an address."""
    try:
        address = ipaddress.ip_address((value or "").strip())
    except ValueError:
        return None
    mapped = getattr(address, "ipv4_mapped", None)
    return (mapped or address).compressed


class RequestContextMiddleware:
    """Gives every request an id and binds it, with the client address, to the
    audit context for the length of the request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.id = uuid.uuid4().hex
        via = "api" if request.path.startswith("/api/") else "web"
        with context.bind(
            request_id=request.id,
            client_ip=client_ip(request),
            user_agent=request.META.get("HTTP_USER_AGENT", "")[:200],
            via=via,
        ):
            response = self.get_response(request)
        response["X-Request-ID"] = request.id
        return response


class SecurityHeadersMiddleware:
    """Content-Security-Policy and related headers; patient pages are never cached."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        response.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if not request.path.startswith(
            settings.STATIC_URL
            if settings.STATIC_URL.startswith("/")
            else "/" + settings.STATIC_URL
        ):
            response.setdefault("Cache-Control", "no-store")
        return response


class DenyByDefaultMiddleware:
    """Refuse any view that does not declare its permission (see core.decorators).

    Django's admin checks its own permissions (superusers only here) and the API
    authenticates every operation itself.
    """

    EXEMPT_MODULES = ("django.contrib.admin", "django.views.static")
    EXEMPT_NAMESPACES = {"admin", "api"}

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if getattr(view_func, "openiop_permission", None):
            return None
        match = getattr(request, "resolver_match", None)
        if match is not None and match.namespaces and match.namespaces[0] in self.EXEMPT_NAMESPACES:
            return None
        module = getattr(view_func, "__module__", "") or ""
        if module.startswith(self.EXEMPT_MODULES):
            return None
        from openiop.core.decorators import forbidden

        return forbidden(request, "This page is not available.")


MACHINE_PREFIXES = ("/api/", "/fhir/")


def is_machine_path(path: str) -> bool:
    """Paths answered to programs: every answer is JSON, errors included."""
    return path.startswith(MACHINE_PREFIXES)


def machine_error(request, status: int, code: str, message: str, fields=None):
    """The error body of the path's audience: the API's error shape under /api/,
    an OperationOutcome under /fhir/."""
    from django.http import JsonResponse

    if request.path.startswith("/fhir/"):
        from openiop.interop.fhir.operation_outcome import error_outcome

        response = JsonResponse(error_outcome(status, message, fields), status=status)
        response["Content-Type"] = "application/fhir+json; charset=utf-8"
        return response
    return JsonResponse(
        {"error": {"code": code, "message": message, "fields": fields or {}}}, status=status
    )


EMPTY_FORM = re.compile(rb"\s*--[^\r\n]*--\s*")


class RequestShapeMiddleware:
    """Input no handler should ever see, refused at the door with a 4xx:
    a NUL character anywhere in the query or body (PostgreSQL cannot store it in
    text), and, under /api/, a body that is not a JSON object sent as JSON
    (every operation takes an object; a list or null would be read as "no
    fields" and answered 200)."""

    BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        refusal = self._refusal(request)
        if refusal is None:
            return self.get_response(request)
        status, field, message = refusal
        if is_machine_path(request.path):
            code = "unsupported_media_type" if status == 415 else "invalid"
            return machine_error(request, status, code, message, {field: [message]})
        from django.http import HttpResponse

        return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")

    def _refusal(self, request):
        nul = "A NUL character (\\0) is not allowed in text."
        query = request.META.get("QUERY_STRING", "")
        if "%00" in query.lower() or "\x00" in query or "\x00" in request.path:
            return 400, "query", nul
        if request.method not in self.BODY_METHODS:
            return None
        api = request.path.startswith("/api/")
        content_type = request.META.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
        if content_type.startswith("multipart/") and not api:
            return None  # files may hold any byte; form fields are checked by Django's forms
        body = request.body
        if api and content_type.startswith("multipart/") and EMPTY_FORM.fullmatch(body):
            return None  # a form with no parts: the body-less POST of some clients
        if not api:
            if b"\x00" in body or b"%00" in body.lower():
                return 400, "body", nul
            return None
        if not body.strip():
            return None
        if content_type != "application/json" and not content_type.endswith("+json"):
            return 415, "body", "Send the body as JSON (Content-Type: application/json)."
        try:
            data = json.loads(body)
        except RecursionError:
            return 400, "body", "The body nests too deeply."
        except ValueError:
            return 400, "body", "The body is not valid JSON."
        if not isinstance(data, dict):
            return 422, "body", "The body is a JSON object ({...}) with the fields to set."
        if _holds_nul(data):
            return 400, "body", nul
        return None


def _holds_nul(value) -> bool:
    """Whether any key or string in parsed JSON holds a NUL character."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


class ApiErrorShapeMiddleware:
    """Every error under /api/ and /fhir/ is JSON in the path's error shape, even
    those Django answers before our handlers run (405, unknown paths, CSRF) and
    unexpected exceptions (500, logged as usual, no HTML traceback page)."""

    MESSAGES = {
        404: ("not_found", "There is no such endpoint."),
        405: ("method_not_allowed", "This endpoint does not accept that method."),
    }

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        content_type = response.get("Content-Type", "")
        if (
            is_machine_path(request.path)
            and response.status_code >= 400
            and "json" not in content_type
        ):
            code, message = self.MESSAGES.get(
                response.status_code, ("error", "The request was refused.")
            )
            if response.status_code >= 500:
                code, message = "server_error", "The server could not answer this request."
            shaped = machine_error(request, response.status_code, code, message)
            for header in ("Allow", "Retry-After", "WWW-Authenticate"):
                if response.has_header(header):
                    shaped[header] = response[header]
            return shaped
        return response

    def process_exception(self, request, exception):
        from django.core.exceptions import BadRequest, PermissionDenied, SuspiciousOperation
        from django.http import Http404

        if not is_machine_path(request.path) or isinstance(
            exception, Http404 | PermissionDenied | SuspiciousOperation | BadRequest
        ):
            return None  # Django answers these with a 4xx, shaped on the way out
        import logging

        logging.getLogger("django.request").error(
            "Server error on %s", request.path, exc_info=exception
        )
        return machine_error(
            request, 500, "server_error", "The server could not answer this request."
        )
