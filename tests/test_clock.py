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


def test_the_fhir_api_runs_in_the_token_owners_zone_too(cast, utc_server, monkeypatch):
    """Found with the REST API fixed: the FHIR API took the same tokens and ran
    in UTC. The zone is now set where a token is accepted, for both."""
    from openiop.accounts.services import api_token_authenticate, api_token_create

    at(monkeypatch, WED_2330_PST)
    _token, raw = api_token_create(actor=cast.clinician_a, name="fhir clock")
    try:
        assert api_token_authenticate(raw)[0] == cast.clinician_a
        assert timezone.localdate() == dt.date(2026, 12, 2)
    finally:
        timezone.deactivate()


def _consent_to_wednesday(cast):
    from openiop.core.clock import activated
    from tests.interop_helpers import consent_for, recipient

    with activated("America/Los_Angeles"):  # recorded in the clinic, on its day
        rcpt = recipient(cast)
        return rcpt, consent_for(
            cast, rcpt, signed_on=dt.date(2026, 11, 2), expires_on=dt.date(2026, 12, 2)
        )


def test_a_consent_lasts_to_the_end_of_its_last_day_in_the_clinics_zone(
    cast, utc_server, monkeypatch
):
    """Outside a page (a partner's token, a job) nothing sets a zone: the
    consent's own organization decides what day it is, not the server."""
    from openiop.consent.gate import DisclosureRefused, disclosure_check

    at(monkeypatch, WED_2330_PST)
    rcpt, consent = _consent_to_wednesday(cast)
    assert timezone.localdate() == dt.date(2026, 12, 3)  # the server: already Thursday
    assert consent.state() == "active"
    assert disclosure_check(patient=cast.patient_a, recipient=rcpt, categories=["plan"]) == consent
    at(monkeypatch, THU_0030_PST)
    assert consent.state() == "expired"
    with pytest.raises(DisclosureRefused):
        disclosure_check(patient=cast.patient_a, recipient=rcpt, categories=["plan"])


def test_a_bulk_export_in_the_worker_dates_things_in_the_clinics_zone(
    cast, utc_server, monkeypatch, tmp_path
):
    import json

    from openiop.interop.services.bulk import bulk_export

    at(monkeypatch, WED_2330_PST)
    _consent_to_wednesday(cast)
    bulk_export(organization=cast.org, out_dir=tmp_path)
    (consent,) = [json.loads(line) for line in (tmp_path / "Consent.ndjson").open()]
    assert consent["status"] == "active"  # its last day is not over in Oregon
    assert timezone.get_current_timezone_name() == "UTC"  # the job put the zone back
