"""The client address the audit records and the finder's rate limit counts.
Found by the hostile probe: with BEHIND_TLS_PROXY=1 the leftmost X-Forwarded-For
entry was trusted, so a client could forge its audited address and rotate it
past the rate limit."""

import pytest
from django.test import RequestFactory, override_settings

from openiop.audit.models import AuditEvent
from openiop.core.middleware import client_ip


def _ip(xff=None, remote="10.0.0.9"):
    meta = {"REMOTE_ADDR": remote}
    if xff is not None:
        meta["HTTP_X_FORWARDED_FOR"] = xff
    return client_ip(RequestFactory().get("/", **meta))


@override_settings(TRUSTED_PROXIES=1)
def test_with_one_proxy_the_address_it_appended_is_the_client():
    assert _ip("203.0.113.7") == "203.0.113.7"
    # a client that writes its own header gets the proxy's entry, not its forgery
    assert _ip("198.51.100.66, 203.0.113.7") == "203.0.113.7"


@override_settings(TRUSTED_PROXIES=2)
def test_with_two_proxies_the_outer_ones_entry_is_the_client():
    assert _ip("1.2.3.4, 203.0.113.7, 10.0.0.2") == "203.0.113.7"
    assert _ip("10.0.0.2") == "10.0.0.9"  # did not pass both: the socket's address


@override_settings(TRUSTED_PROXIES=0)
def test_without_a_proxy_the_header_is_ignored():
    assert _ip("198.51.100.66") == "10.0.0.9"


@override_settings(TRUSTED_PROXIES=1)
def test_the_audit_records_the_proxys_view_of_the_client(cast, client):
    client.post(
        "/accounts/login/",
        {"username": "clin.a", "password": "wrong"},
        HTTP_X_FORWARDED_FOR="198.51.100.66, 203.0.113.7",
        REMOTE_ADDR="10.0.0.2",
    )
    assert AuditEvent.objects.get(event="login.failed").client_ip == "203.0.113.7"


@pytest.mark.django_db
@override_settings(TRUSTED_PROXIES=1, RATE_LIMITS={"directory-api": "5/minute"})
def test_rotating_a_forged_address_does_not_escape_the_finders_rate_limit(client):
    from django.core.cache import cache

    cache.clear()
    statuses = []
    for i in range(8):
        response = client.get(
            "/api/v1/directory/facilities?near=97201",
            HTTP_X_FORWARDED_FOR=f"198.51.100.{i}, 203.0.113.7",
        )
        statuses.append(response.status_code)
    assert statuses[:5] == [200] * 5 and statuses[5:] == [429] * 3


@override_settings(TRUSTED_PROXIES=1)
def test_one_address_has_one_spelling():
    assert _ip("::ffff:7.7.7.7") == "7.7.7.7"
    assert _ip("::ffff:707:707") == "7.7.7.7"
    assert _ip("2001:0db8:0000::0001") == "2001:db8::1"
    # not an address: the socket's address, not the client's words
    assert _ip("007.7.7.7") == "10.0.0.9"
    assert _ip("hello") == "10.0.0.9"
