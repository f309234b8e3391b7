import base64
import io
from urllib.parse import urlencode

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp import match_token, user_has_device
from django_otp.plugins.otp_totp.models import TOTPDevice

from openiop.accounts.forms import ApiTokenForm, EnrolmentCodeForm, LoginForm, TokenForm
from openiop.accounts.models import ApiToken
from openiop.accounts.services import (
    LoginRefused,
    api_token_create,
    api_token_revoke,
    login_attempt,
)
from openiop.accounts.two_factor import enrolment_code_redeem
from openiop.audit.models import Action, Outcome
from openiop.audit.services import audit_record
from openiop.core.decorators import login_only, public
from openiop.core.errors import ApplicationError
from openiop.core.forms import apply_errors
from openiop.core.pagination import paginate

SIGN_IN_BACKEND = "openiop.accounts.backends.SessionOnlyBackend"


def _next_url(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}):
        return target
    return settings.LOGIN_REDIRECT_URL


@public
def login_view(request):
    if request.user.is_authenticated:
        return redirect("core:dashboard")
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = login_attempt(request=request, **form.cleaned_data)
        except LoginRefused as exc:
            form.add_error(None, exc.message)
        else:
            login(request, user, backend=SIGN_IN_BACKEND)
            # the two-factor middleware holds every other page until the code is given
            if user_has_device(user, confirmed=True):
                return redirect(f"{_verify_url()}?{urlencode({'next': _next_url(request)})}")
            if settings.REQUIRE_2FA:
                return redirect("accounts:2fa_setup")
            return redirect(_next_url(request))
    return render(request, "accounts/login.html", {"form": form, "next": _next_url(request)})


def _verify_url():
    from django.urls import reverse

    return reverse("accounts:verify")


@login_only
def verify_view(request):
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = match_token(request.user, form.cleaned_data["otp_token"])
        if device is None:
            audit_record(
                actor=request.user, action=Action.LOGIN, event="login.2fa", outcome=Outcome.FAILURE
            )
            form.add_error("otp_token", "That code is not right or has expired. Try the next one.")
        else:
            otp_login(request, device)
            audit_record(actor=request.user, action=Action.LOGIN, event="login.2fa")
            return redirect(_next_url(request))
    return render(request, "accounts/verify.html", {"form": form, "next": _next_url(request)})


def _qr_svg(uri: str) -> str:
    img = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buf = io.BytesIO()
    img.save(buf)
    return buf.getvalue().decode()


ENROLMENT_REDEEMED = "openiop_2fa_enrolment"


def _needs_enrolment_code(request) -> bool:
    """A person who has not given a second factor this session sets one up only
    with an administrator's enrolment code (no trust on first use); one who is
    signed in fully (verified, or with 2FA optional and no device) needs none."""
    user = request.user
    if user.is_verified() or request.session.get(ENROLMENT_REDEEMED) == user.pk:
        return False
    return settings.REQUIRE_2FA or user_has_device(user, confirmed=True)


@login_only
def two_factor_setup(request):
    if _needs_enrolment_code(request):
        form = EnrolmentCodeForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            if enrolment_code_redeem(user=request.user, raw=form.cleaned_data["code"]):
                request.session[ENROLMENT_REDEEMED] = request.user.pk
                return redirect("accounts:2fa_setup")
            form.add_error(
                "code",
                "That code is not right, was used already or has expired. Ask an "
                "administrator for a new one.",
            )
        return render(
            request,
            "accounts/enrolment_code.html",
            {"form": form, "required": settings.REQUIRE_2FA},
        )
    device = TOTPDevice.objects.filter(user=request.user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(
            user=request.user, name="Authenticator app", confirmed=False
        )
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["otp_token"]):
            device.confirmed = True
            device.save()
            TOTPDevice.objects.filter(user=request.user).exclude(pk=device.pk).delete()
            otp_login(request, device)
            request.session.pop(ENROLMENT_REDEEMED, None)
            audit_record(
                actor=request.user,
                action=Action.UPDATE,
                event="2fa.enrol",
                obj=request.user,
                changed_fields=["totp_device"],
            )
            messages.success(request, "Two-factor sign-in is on for your account.")
            return redirect("core:dashboard")
        form.add_error("otp_token", "That code does not match. Check the time on your phone.")
    secret = base64.b32encode(device.bin_key).decode()
    return render(
        request,
        "accounts/two_factor_setup.html",
        {
            "form": form,
            "qr_svg": _qr_svg(device.config_url),
            "secret": secret,
            "required": settings.REQUIRE_2FA,
        },
    )


@require_POST
@login_only
def logout_view(request):
    audit_record(actor=request.user, action=Action.LOGOUT, event="logout")
    logout(request)
    messages.info(request, "You are signed out.")
    return redirect("accounts:login")


@login_only
def api_tokens(request):
    form = ApiTokenForm(request.POST or None)
    raw = None
    if request.method == "POST" and form.is_valid():
        try:
            _token, raw = api_token_create(actor=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            apply_errors(form, exc)
        else:
            form = ApiTokenForm()
    tokens = paginate(request, ApiToken.objects.filter(user=request.user).order_by("-created_at"))
    return render(
        request, "accounts/api_tokens.html", {"form": form, "page": tokens, "raw_token": raw}
    )


@require_POST
@login_only
def api_token_revoke_view(request, token_uuid):
    token = get_object_or_404(ApiToken, uuid=token_uuid, user=request.user)
    api_token_revoke(actor=request.user, token=token)
    messages.success(request, f"Token '{token.name}' is revoked.")
    return redirect("accounts:api_tokens")
