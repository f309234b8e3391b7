import uuid

from django.conf import settings

from openiop.core import context


def client_ip(request) -> str | None:
    if settings.SECURE_PROXY_SSL_HEADER:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[0].strip()
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


class ApiErrorShapeMiddleware:
    """Every 4xx under /api/ has the one error body, even those Django or
    django-ninja answer before our handlers run (405, unknown paths)."""

    MESSAGES = {
        404: ("not_found", "There is no such API endpoint."),
        405: ("method_not_allowed", "This endpoint does not accept that method."),
    }

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            request.path.startswith("/api/")
            and 400 <= response.status_code < 500
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            from django.http import JsonResponse

            code, message = self.MESSAGES.get(
                response.status_code, ("error", "The request was refused.")
            )
            shaped = JsonResponse(
                {"error": {"code": code, "message": message, "fields": {}}},
                status=response.status_code,
            )
            if response.has_header("Allow"):
                shaped["Allow"] = response["Allow"]
            return shaped
        return response
