"""Sign-in policy: lockout, automatic logoff, two-factor, API tokens, headers."""

import datetime as dt
import re
import time

from django.test import Client, override_settings
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from openiop.accounts import middleware as policy
from openiop.accounts.models import ApiToken
from openiop.accounts.services import api_token_create, api_token_revoke
from openiop.accounts.two_factor import enrolment_code_issue
from openiop.audit.models import AuditEvent
from openiop.audit.selectors import audit_search


def login(client, username, password):
    return client.post("/accounts/login/", {"username": username, "password": password})


@override_settings(LOGIN_MAX_FAILURES=3, LOGIN_LOCKOUT_MINUTES=15)
def test_it_locks_an_account_after_repeated_failed_logins(cast, client, password):
    for _ in range(3):
        response = login(client, "clin.a", "wrong-password")
        assert b"do not match" in response.content
    cast.clinician_a.refresh_from_db()
    assert cast.clinician_a.is_locked
    response = login(client, "clin.a", password)  # right password, still locked
    assert response.status_code == 200
    assert b"locked" in response.content
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(event="login.locked", outcome="denied").exists()


@override_settings(LOGIN_MAX_FAILURES=3)
def test_a_lock_ends_after_its_time(cast, client, password):
    cast.clinician_a.locked_until = timezone.now() - dt.timedelta(seconds=1)
    cast.clinician_a.save()
    assert login(client, "clin.a", password).status_code == 302


def test_a_failed_login_is_visible_to_the_accounts_auditor(cast, client):
    login(client, "clin.a", "wrong-password")
    assert audit_search(actor=cast.auditor).filter(event="login.failed").exists()


def test_an_unknown_username_gets_the_same_message(db, client):
    response = login(client, "nobody", "whatever-password")
    assert b"do not match an active account" in response.content


@override_settings(SESSION_IDLE_TIMEOUT_MINUTES=15)
def test_it_signs_out_after_15_idle_minutes(cast):
    client = cast.client("clinician_a")
    assert client.get("/").status_code == 200
    session = client.session
    session[policy.LAST_SEEN] = time.time() - 16 * 60
    session.save()
    response = client.get("/patients/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client.get("/").status_code == 302
    assert AuditEvent.objects.filter(event="logout.idle").exists()


@override_settings(SESSION_IDLE_TIMEOUT_MINUTES=15)
def test_activity_within_the_limit_keeps_the_session(cast):
    client = cast.client("clinician_a")
    client.get("/")
    session = client.session
    session[policy.LAST_SEEN] = time.time() - 14 * 60
    session.save()
    assert client.get("/patients/").status_code == 200


def _device(user):
    return TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


def test_a_user_with_a_device_must_give_the_code_before_anything_else(cast, client, password):
    device = _device(cast.clinician_a)
    response = login(client, "clin.a", password)
    assert response["Location"].startswith("/accounts/verify/")
    assert client.get("/patients/")["Location"] == "/accounts/verify/"
    assert client.get("/api/v1/patients").status_code == 401
    bad = client.post("/accounts/verify/", {"otp_token": "000000"})
    assert bad.status_code == 200 and b"not right" in bad.content
    device.refresh_from_db()
    device.throttling_failure_count = 0
    device.throttling_failure_timestamp = None
    device.save()
    ok = client.post("/accounts/verify/", {"otp_token": f"{totp(device.bin_key):06d}"})
    assert ok.status_code == 302
    assert client.get("/patients/").status_code == 200
    assert AuditEvent.objects.filter(event="login.2fa", outcome="success").exists()


@override_settings(REQUIRE_2FA=True)
def test_when_required_a_user_without_a_device_must_set_one_up(cast, client, password):
    response = login(client, "clin.a", password)
    assert response["Location"] == "/accounts/two-factor/"
    assert client.get("/patients/")["Location"] == "/accounts/two-factor/"
    _, code = enrolment_code_issue(actor=cast.admin, user=cast.clinician_a)
    client.post("/accounts/two-factor/", {"code": code})
    page = client.get("/accounts/two-factor/")
    assert b"<svg" in page.content
    device = TOTPDevice.objects.get(user=cast.clinician_a, confirmed=False)
    client.post("/accounts/two-factor/", {"otp_token": f"{totp(device.bin_key):06d}"})
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/patients/").status_code == 200


def test_argon2_is_the_password_hasher():
    import openiop.settings as production

    assert production.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")


def test_an_api_token_is_stored_only_as_a_hash_and_acts_as_its_owner(cast, client):
    token, raw = api_token_create(actor=cast.clinician_a, name="script")
    assert raw not in {token.key_hash, token.prefix}
    assert not ApiToken.objects.filter(key_hash__contains=raw[8:]).exists()
    response = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.json()["username"] == "clin.a"
    listed = client.get("/api/v1/patients", HTTP_AUTHORIZATION=f"Bearer {raw}").json()
    assert [p["mrn"] for p in listed["results"]] == [cast.patient_a.mrn]


def test_a_revoked_or_expired_token_is_refused(cast, client):
    token, raw = api_token_create(actor=cast.clinician_a, name="script")
    api_token_revoke(actor=cast.clinician_a, token=token)
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401
    token2, raw2 = api_token_create(actor=cast.clinician_a, name="old", days=1)
    ApiToken.objects.filter(pk=token2.pk).update(expires_at=timezone.now())
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw2}").status_code == 401


def test_a_read_only_token_cannot_write(cast, client):
    _token, raw = api_token_create(actor=cast.clinician_a, name="ro", read_only=True)
    response = client.patch(
        f"/api/v1/patients/{cast.patient_a.uuid}",
        data={"pronouns": "she/her"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )
    assert response.status_code == 403
    cast.patient_a.refresh_from_db()
    assert cast.patient_a.pronouns == ""


def test_a_token_has_no_more_power_than_its_owner(cast, client):
    _token, raw = api_token_create(actor=cast.readonly_a, name="billing")
    response = client.get("/api/v1/staff", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 403


def test_tokens_page_shows_a_new_token_once(cast):
    client = cast.client("clinician_a")
    created = client.post("/accounts/tokens/", {"name": "reports", "days": 30}).content.decode()
    [raw] = re.findall(r'<p class="token">(oiop_[\w-]+)</p>', created)
    token = ApiToken.objects.get(name="reports")
    # what the page showed is the working secret...
    me = Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert me.status_code == 200 and me.json()["username"] == "clin.a"
    assert raw.startswith(token.prefix)
    secret = raw[len(token.prefix) :]  # what follows the prefix the list shows
    row = f"<tr><td>reports</td><td><code>{token.prefix}</code></td>"
    # ...shown in the notice only: the list of tokens names it by its prefix
    listing = created.split("<h2>Your tokens</h2>", 1)[1]
    assert row in listing
    assert raw not in listing and secret not in listing
    # the next visit shows the list, never the secret or the hash again
    again = client.get("/accounts/tokens/").content.decode()
    assert row in again
    assert raw not in again and secret not in again and token.key_hash not in again
    assert "Copy your new token now" not in again


def test_pages_carry_a_content_security_policy_and_no_store(cast):
    response = cast.client("clinician_a").get("/patients/")
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert response["Cache-Control"] == "no-store"
    assert response["X-Frame-Options"] == "DENY"


def test_logout_needs_a_post_and_ends_the_session(cast):
    client = cast.client("clinician_a")
    assert client.get("/accounts/logout/").status_code == 405
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/").status_code == 302
