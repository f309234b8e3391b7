"""Every view declares what it needs; a view that declares nothing is refused
(`DenyByDefaultMiddleware`)."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.shortcuts import render

from openiop.access.scope import can
from openiop.audit.services import audit_denied

PUBLIC = "public"
AUTHENTICATED = "authenticated"


def public(view):
    view.openiop_permission = PUBLIC
    return view


def forbidden(request, message="You do not have permission to see this page."):
    return render(request, "403.html", {"message": message}, status=403)


def login_only(view):
    """Any signed-in user (the page itself shows only what the user may see)."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    wrapped.openiop_permission = AUTHENTICATED
    return wrapped


def requires(permission: str):
    """The user must hold `permission` somewhere; objects are then scoped by
    `visible_to`, so holding it in program A shows nothing of program B."""

    def deco(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not can(request.user, permission):
                audit_denied(
                    actor=request.user,
                    event=permission,
                    action="read" if request.method == "GET" else "update",
                )
                return forbidden(request)
            return view(request, *args, **kwargs)

        wrapped.openiop_permission = permission
        return wrapped

    return deco
