"""Sites, programs and tracks: ZIP look-ups, hour bands, track rules, credentials."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from openiop.accounts.models import StaffCredential
from openiop.core.errors import ApplicationError
from openiop.organizations.levels import default_band
from openiop.organizations.services import (
    program_create,
    program_update,
    site_create,
    track_create,
    track_update,
    zip_lookup,
)


def test_zip_lookup_gives_centroid_city_and_time_zone():
    # 97201 is Portland, Oregon (Pacific time); 10001 is New York (Eastern time)
    portland = zip_lookup("97201")
    assert portland["city"] == "Portland" and portland["state"] == "OR"
    assert portland["time_zone"] == "America/Los_Angeles"
    assert Decimal("45") < portland["latitude"] < Decimal("46")
    assert zip_lookup("10001")["time_zone"] == "America/New_York"


@pytest.mark.parametrize("bad", ["00000", "abcde", "", "9720"])
def test_an_unknown_zip_is_refused_naming_the_field(bad):
    with pytest.raises(ApplicationError) as err:
        zip_lookup(bad)
    assert "zip_code" in err.value.fields


def test_a_site_takes_its_place_from_the_zip(cast):
    site = site_create(
        actor=cast.admin, organization=cast.org, name="Salem", street="1 St", zip_code="97301"
    )
    assert site.city == "Salem" and site.time_zone == "America/Los_Angeles"


def test_bands_default_from_the_asam_levels():
    # DOMAIN.md: ASAM 2.1 adults 9-19 h/week, adolescents 6-19 h; 2.5 at least 20 h
    assert (default_band("2.1", "adult").minimum, default_band("2.1", "adult").maximum) == (9, 19)
    assert default_band("2.1", "adolescent").minimum == 6
    assert default_band("2.5", "adult").minimum == 20
    assert default_band("2.5", "adult").maximum is None


def test_a_new_program_gets_its_levels_default_band(cast):
    teen = program_create(
        actor=cast.admin,
        organization=cast.org,
        name="Teen IOP",
        site=cast.program_a.site,
        population="adolescent",
        focus="co_occurring",
        level_of_care="2.1",
    )
    assert (teen.min_weekly_hours, teen.max_weekly_hours) == (6, 19)
    assert teen.band_label == "6-19 h/week"
    # ages left blank: the population's usual range (adolescents 12 to 17)
    assert (teen.min_age, teen.max_age, teen.ages_label) == (12, 17, "ages 12 to 17")
    assert (cast.program_a.min_age, cast.program_a.max_age) == (18, None)


def test_a_program_sets_its_ages_and_they_must_be_in_order(cast):
    program_update(actor=cast.director_a, program=cast.program_a, min_age=21, max_age=None)
    cast.program_a.refresh_from_db()
    assert cast.program_a.ages_label == "ages 21 and over"
    with pytest.raises(ApplicationError) as err:
        program_update(actor=cast.director_a, program=cast.program_a, min_age=30, max_age=25)
    assert err.value.fields == {"max_age": ["The oldest age is below the youngest."]}
    cast.program_a.refresh_from_db()
    assert cast.program_a.min_age == 21


def test_a_band_whose_maximum_is_below_its_minimum_is_refused(cast):
    with pytest.raises(ApplicationError) as err:
        program_update(
            actor=cast.director_a,
            program=cast.program_a,
            min_weekly_hours=Decimal(12),
            max_weekly_hours=Decimal(10),
        )
    assert "max_weekly_hours" in err.value.fields
    cast.program_a.refresh_from_db()
    assert cast.program_a.min_weekly_hours == 9


def test_a_track_must_end_after_it_starts_and_have_days(cast):
    with pytest.raises(ApplicationError) as err:
        track_create(
            actor=cast.director_a,
            program=cast.program_a,
            name="Bad",
            kind="evening",
            weekdays=[1],
            start_time=dt.time(21),
            end_time=dt.time(18),
        )
    assert "end_time" in err.value.fields
    with pytest.raises(ApplicationError) as err:
        track_create(
            actor=cast.director_a,
            program=cast.program_a,
            name="Bad",
            kind="evening",
            weekdays=[],
            start_time=dt.time(18),
            end_time=dt.time(21),
        )
    assert "weekdays" in err.value.fields


def test_a_track_knows_its_weekly_hours(cast):
    t = track_create(
        actor=cast.director_a,
        program=cast.program_a,
        name="Weekend",
        kind="weekend",
        weekdays=[7, 6],
        start_time=dt.time(9),
        end_time=dt.time(13, 30),
    )
    assert t.weekdays == [6, 7]
    assert t.weekly_hours == Decimal("9.00")
    assert t.days_label == "Sat/Sun"


def test_a_duplicate_track_name_is_refused(cast):
    with pytest.raises(ApplicationError) as err:
        track_create(
            actor=cast.director_a,
            program=cast.program_a,
            name=" Evening A ",
            kind="evening",
            weekdays=[1],
            start_time=dt.time(18),
            end_time=dt.time(21),
        )
    assert "name" in err.value.fields
    other = track_create(
        actor=cast.director_a,
        program=cast.program_a,
        name="Morning",
        kind="morning",
        weekdays=[1],
        start_time=dt.time(9),
        end_time=dt.time(12),
    )
    with pytest.raises(ApplicationError):
        track_update(actor=cast.director_a, track=other, name="Evening A")
    other.refresh_from_db()
    assert other.name == "Morning"


def test_credentials_warn_30_days_before_expiry(cast):
    today = timezone.localdate()

    def cred(days):
        return StaffCredential(
            user=cast.clinician_a,
            organization=cast.org,
            license_type="LCSW",
            number="1",
            state="OR",
            expires_on=today + dt.timedelta(days=days),
        )

    assert cred(31).status(today) == "current"
    assert cred(30).status(today) == "expiring"
    assert cred(-1).status(today) == "expired"


def test_the_dashboard_warns_of_expiring_credentials(cast):
    StaffCredential.objects.create(
        user=cast.clinician_a,
        organization=cast.org,
        license_type="LCSW",
        number="1",
        state="OR",
        expires_on=timezone.localdate() + dt.timedelta(days=10),
    )
    own = cast.client("clinician_a").get("/")
    assert b"Credentials expiring" in own.content
    director = cast.client("director_a").get("/")
    assert b"Credentials expiring" in director.content
    other = cast.client("clinician_b").get("/")
    assert b"Credentials expiring" not in other.content


def test_the_program_settings_form_saves_a_new_band(cast):
    client = cast.client("director_a")
    response = client.post(
        f"/organization/programs/{cast.program_a.uuid}/edit/",
        {
            "name": "Program A",
            "site": cast.program_a.site.pk,
            "population": "adult",
            "focus": "substance_use",
            "level_of_care": "2.1",
            "min_weekly_hours": "10",
            "max_weekly_hours": "18",
            "plan_review_days": "30",
            "is_active": "on",
            "alert_minutes_open": "20",
            "alert_minutes_closed": "10",
        },
    )
    assert response.status_code == 302
    cast.program_a.refresh_from_db()
    assert cast.program_a.band_label == "10-18 h/week"
    assert (cast.program_a.alert_minutes_open, cast.program_a.alert_minutes_closed) == (20, 10)


def test_the_admin_site_form_fills_the_place_from_the_zip(cast):
    from openiop.organizations.admin import SiteForm

    form = SiteForm(
        data={
            "organization": cast.org.pk,
            "name": "Bend",
            "street": "1 Way",
            "zip_code": "97701",
            "phone": "",
        }
    )
    assert form.is_valid(), form.errors
    site = form.save()
    assert site.city == "Bend" and site.time_zone == "America/Los_Angeles"
    bad = SiteForm(
        data={"organization": cast.org.pk, "name": "X", "street": "1", "zip_code": "00000"}
    )
    assert not bad.is_valid() and "zip_code" in bad.errors


def test_a_renewed_licence_is_not_listed_as_expiring(cast):
    """Found: the dashboard listed a lapsed CADC although a renewed one was valid."""
    for days, number in ((-5, "OLD-1"), (700, "NEW-1")):
        StaffCredential.objects.create(
            user=cast.clinician_a,
            organization=cast.org,
            license_type="CADC",
            number=number,
            state="OR",
            expires_on=timezone.localdate() + dt.timedelta(days=days),
        )
    assert b"Credentials expiring" not in cast.client("clinician_a").get("/").content
