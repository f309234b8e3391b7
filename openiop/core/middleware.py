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
            return hops[-proxies]
    return request.META.get("REMOTE_ADDR")


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
