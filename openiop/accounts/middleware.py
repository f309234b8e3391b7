"""Session policy: automatic logoff when idle, and the two-factor step."""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import reverse
from django_otp import user_has_device

from openiop.audit.models import Action
from openiop.audit.services import audit_record
from openiop.core.middleware import is_machine_path, machine_error

LAST_SEEN = "openiop_last_seen"


def _refuse(request, url_name: str, message: str):
    if is_machine_path(request.path):
        return machine_error(request, 401, "not_authenticated", message)
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
    """The second factor, decided from the account rather than from a flag one
    view sets: a session whose user has a confirmed device and has not given a
    code this session reaches only the two-factor pages and sign-out, whatever
    made the session; when REQUIRE_2FA is on, a user without a device reaches
    only the set-up."""

    ALLOWED = ("accounts:verify", "accounts:2fa_setup", "accounts:logout")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        pending = None
        if user is not None and user.is_authenticated and not user.is_verified():
            if user_has_device(user, confirmed=True):
                pending = ("accounts:verify", "Finish the two-factor step.")
            elif settings.REQUIRE_2FA:
                pending = ("accounts:2fa_setup", "Set up two-factor sign-in.")
        # the pages still open to a pending session show no menu (it leads nowhere)
        request.second_factor_pending = pending is not None
        if pending and not self._exempt(request.path):
            return _refuse(request, *pending)
        return self.get_response(request)

    def _exempt(self, path: str) -> bool:
        static = "/" + settings.STATIC_URL.lstrip("/")
        return path.startswith(static) or path in {reverse(name) for name in self.ALLOWED}
