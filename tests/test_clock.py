"""The program's own clock: after 16:00 in Oregon, UTC is already tomorrow.
Found: admission and discharge dates defaulted to tomorrow, times printed in
UTC. These tests run with the server's zone set to UTC (as in production) and
a clock at 23:30 and 00:30 Pacific, and on both 2026 DST changes."""

import datetime as dt

import pytest
from django.utils import timezone

from openiop.core.clock import zone_for_user
from openiop.measures.models import SafetyAlert
from tests.factories import OrganizationFactory, SiteFactory, UserFactory, staff
from tests.test_safety_net import item9

WED_2330_PST = dt.datetime(2026, 12, 3, 7, 30, tzinfo=dt.UTC)  # Wednesday 2 Dec, 23:30 PST
THU_0030_PST = dt.datetime(2026, 12, 3, 8, 30, tzinfo=dt.UTC)  # Thursday 3 Dec, 00:30 PST
SPRING = dt.datetime(2026, 3, 8, 10, 30, tzinfo=dt.UTC)  # 03:30 PDT, just after the change
FALL = dt.datetime(2026, 11, 1, 9, 30, tzinfo=dt.UTC)  # 01:30 PST, the second 01:30


@pytest.fixture
def utc_server(settings):
    settings.TIME_ZONE = "UTC"


def at(monkeypatch, instant):
    monkeypatch.setattr(timezone, "now", lambda: instant)


@pytest.mark.parametrize(
    "instant, day",
    [(WED_2330_PST, "2026-12-02"), (THU_0030_PST, "2026-12-03"), (SPRING, "2026-03-08")],
)
def test_forms_default_to_the_sites_today(cast, utc_server, monkeypatch, instant, day):
    at(monkeypatch, instant)
    client = cast.client("intake")
    page = client.get(f"/care/patients/{cast.patient_b.uuid}/admit/").content.decode()
    assert f'value="{day}"' in page
    discharge = cast.client("director_a").get(f"/care/episodes/{cast.episode_a.uuid}/discharge/")
    assert f'value="{day}"' in discharge.content.decode()


def test_times_are_shown_in_the_sites_zone_with_its_abbreviation(cast, utc_server, monkeypatch):
    at(monkeypatch, WED_2330_PST)
    alert = item9(cast)
    SafetyAlert.objects.filter(pk=alert.pk).update(created_at=WED_2330_PST)
    page = cast.client("clinician_a").get(f"/measures/alerts/{alert.uuid}/").content.decode()
    assert "2026-12-02 23:30 PST" in page
    assert "UTC" not in page


def test_on_the_night_the_clocks_go_back_the_zone_follows(cast, utc_server, monkeypatch):
    at(monkeypatch, FALL)
    alert = item9(cast)
    SafetyAlert.objects.filter(pk=alert.pk).update(created_at=FALL)
    page = cast.client("clinician_a").get(f"/measures/alerts/{alert.uuid}/").content.decode()
    assert "2026-11-01 01:30 PST" in page


def test_the_zone_of_each_kind_of_person(cast, utc_server):
    east = OrganizationFactory(name="East Org")
    SiteFactory(organization=east, time_zone="America/New_York", zip_code="10001")
    org_wide = staff("clinician", organization=east)
    assert zone_for_user(cast.clinician_a) == "America/Los_Angeles"  # program's site
    assert zone_for_user(cast.intake) == "America/Los_Angeles"  # the organization's site
    assert zone_for_user(org_wide) == "America/New_York"
    assert zone_for_user(cast.patient_user) == "America/Los_Angeles"  # their program's
    assert zone_for_user(UserFactory()) == "UTC"  # nobody's: the server's


def test_an_api_token_works_in_its_owners_zone(cast, utc_server, monkeypatch):
    from openiop.accounts.services import api_token_create
    from openiop.core.api import TokenAuth

    at(monkeypatch, WED_2330_PST)
    _token, raw = api_token_create(actor=cast.clinician_a, name="clock")
    request = type("Request", (), {"method": "GET"})()
    try:
        assert TokenAuth().authenticate(request, raw) == cast.clinician_a
        assert timezone.localdate() == dt.date(2026, 12, 2)
    finally:
        timezone.deactivate()
    assert timezone.localdate() == dt.date(2026, 12, 3)  # the server's UTC again
