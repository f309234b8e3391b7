"""Session policy: automatic logoff when idle, and the two-factor step."""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

from openiop.audit.models import Action
from openiop.audit.services import audit_record

LAST_SEEN = "openiop_last_seen"
PENDING_2FA = "openiop_2fa_pending"
NEEDS_2FA_SETUP = "openiop_2fa_setup"


def _refuse(request, url_name: str, message: str):
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"error": {"code": "not_authenticated", "message": message, "fields": {}}},
            status=401,
        )
    return redirect(reverse(url_name))


class IdleLogoffMiddleware:
    """HIPAA 164.312(a)(2)(iii) automatic logoff after SESSION_IDLE_TIMEOUT_MINUTES."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            now = time.time()
            last = request.session.get(LAST_SEEN)
            limit = settings.SESSION_IDLE_TIMEOUT_MINUTES * 60
            if last is not None and now - last > limit:
                audit_record(actor=user, action=Action.LOGOUT, event="logout.idle")
                logout(request)
                messages.info(
                    request,
                    f"You were signed out after {settings.SESSION_IDLE_TIMEOUT_MINUTES} "
                    "minutes without activity.",
                )
                return _refuse(request, "accounts:login", "Your session ended; sign in again.")
            if last is None or now - last > 15:
                request.session[LAST_SEEN] = now
        return self.get_response(request)


class TwoFactorMiddleware:
    """Until the second factor is given, a signed-in user reaches only the
    two-factor pages and sign-out."""

    ALLOWED = ("accounts:verify", "accounts:2fa_setup", "accounts:logout")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            allowed = {reverse(name) for name in self.ALLOWED}
            static = "/" + settings.STATIC_URL.lstrip("/")
            if request.path not in allowed and not request.path.startswith(static):
                if request.session.get(PENDING_2FA) and not user.is_verified():
                    return _refuse(request, "accounts:verify", "Finish the two-factor step.")
                if request.session.get(NEEDS_2FA_SETUP):
                    return _refuse(request, "accounts:2fa_setup", "Set up two-factor sign-in.")
        return self.get_response(request)
