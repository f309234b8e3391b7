"""Episodes of care: one open per program, discharge rules, caseload and census."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from openiop.care.models import Episode
from openiop.care.selectors import admissions_by_week, caseload, census_summary
from openiop.care.services import episode_admit, episode_discharge, episode_update
from openiop.core.errors import ApplicationError, PermissionDenied
from tests.factories import EpisodeFactory, TrackFactory, staff

TODAY = timezone.localdate()


def admit(cast, actor=None, **over):
    kwargs = {
        "patient": cast.patient_a,
        "program": cast.program_a,
        "admitted_on": TODAY,
        "admission_type": "direct",
        "referral_source": "self",
        **over,
    }
    return episode_admit(actor=actor or cast.director_a, **kwargs)


def test_a_second_open_episode_in_the_same_program_is_refused(cast):
    with pytest.raises(ApplicationError) as err:
        admit(cast)
    assert "program" in err.value.fields
    assert Episode.objects.filter(patient=cast.patient_a).count() == 1


def test_the_database_also_refuses_a_second_open_episode(cast):
    with pytest.raises(IntegrityError), transaction.atomic():
        Episode.objects.create(
            organization=cast.org,
            patient=cast.patient_a,
            program=cast.program_a,
            admitted_on=TODAY,
            admission_type="direct",
            referral_source="self",
        )


def test_after_discharge_the_patient_can_be_admitted_again(cast):
    episode_discharge(
        actor=cast.clinician_a, episode=cast.episode_a, discharged_on=TODAY, reason="completed"
    )
    again = admit(cast, admission_type="after_relapse")
    assert again.is_open
    assert cast.patient_a.episodes.count() == 2


def test_a_discharge_before_the_admission_is_refused(cast):
    with pytest.raises(ApplicationError) as err:
        episode_discharge(
            actor=cast.clinician_a,
            episode=cast.episode_a,
            discharged_on=cast.episode_a.admitted_on - dt.timedelta(days=1),
            reason="completed",
        )
    assert "discharged_on" in err.value.fields
    cast.episode_a.refresh_from_db()
    assert cast.episode_a.is_open


def test_a_track_of_another_program_is_refused(cast):
    with pytest.raises(ApplicationError) as err:
        episode_update(actor=cast.clinician_a, episode=cast.episode_a, track=cast.track_b)
    assert "track" in err.value.fields


def test_the_primary_clinician_must_work_in_the_program(cast):
    with pytest.raises(ApplicationError) as err:
        episode_update(
            actor=cast.clinician_a, episode=cast.episode_a, primary_clinician=cast.clinician_b
        )
    assert "primary_clinician" in err.value.fields


def test_billing_cannot_discharge(cast):
    with pytest.raises(PermissionDenied):
        episode_discharge(
            actor=cast.readonly_a, episode=cast.episode_a, discharged_on=TODAY, reason="completed"
        )


def test_the_discharge_form_names_the_field(cast):
    response = cast.client("clinician_a").post(
        f"/care/episodes/{cast.episode_a.uuid}/discharge/",
        {"discharged_on": "2000-01-01", "discharge_reason": "completed"},
    )
    assert response.status_code == 200
    assert b"cannot be before the admission date" in response.content


def test_caseload_lists_the_clinicians_open_episodes(cast):
    other = EpisodeFactory(program=cast.program_a, primary_clinician=cast.director_a)
    assert list(caseload(actor=cast.clinician_a, clinician=cast.clinician_a)) == [cast.episode_a]
    # a director sees a colleague's caseload in their program, not another program's
    assert list(caseload(actor=cast.director_a, clinician=cast.director_a)) == [other]
    assert list(caseload(actor=cast.director_a, clinician=cast.clinician_b)) == []


def test_census_counts_open_episodes_by_program_and_track(cast):
    t2 = TrackFactory(program=cast.program_a, name="Morning A")
    EpisodeFactory(program=cast.program_a, track=t2)
    EpisodeFactory(
        program=cast.program_a,
        status="discharged",
        discharged_on=TODAY,
        admitted_on=TODAY - dt.timedelta(days=20),
    )
    intake_view = {p.name: p for p in census_summary(actor=cast.intake)}
    assert intake_view["Program A"].active_count == 2
    assert intake_view["Program A"].discharged_30 == 1
    assert intake_view["Program A"].admitted_30 == 3
    assert {t["track__name"]: t["n"] for t in intake_view["Program A"].track_counts} == {
        "Evening A": 1,
        "Morning A": 1,
    }
    assert intake_view["Program B"].active_count == 1
    director_view = census_summary(actor=cast.director_a)
    assert [p.name for p in director_view] == ["Program A"]


def test_admissions_by_week_places_each_admission_in_its_week(cast):
    monday = TODAY - dt.timedelta(days=TODAY.weekday())
    EpisodeFactory(program=cast.program_a, admitted_on=monday - dt.timedelta(days=7))
    weeks = admissions_by_week(actor=cast.intake, weeks=4)
    assert [w["week_start"] for w in weeks][-1] == monday
    assert sum(w["count"] for w in weeks) == 3
    assert weeks[-2]["count"] >= 1


def test_a_director_of_one_program_sees_only_that_programs_census_page(cast):
    staff("program_director", program=cast.program_b, username="director.b")
    page = cast.client("director_a").get("/care/census/")
    assert b"Program A" in page.content and b"Program B" not in page.content


# admission rules: the program's ages, one intensive level at a time ----------------------


def test_a_fourteen_year_old_is_not_admitted_to_an_adult_program(cast):
    from openiop.audit.models import AuditEvent
    from tests.factories import PatientFactory

    teen = PatientFactory(organization=cast.org, date_of_birth=TODAY.replace(year=TODAY.year - 14))
    before = AuditEvent.objects.count()
    with pytest.raises(ApplicationError) as err:
        admit(cast, patient=teen)
    assert err.value.fields["program"] == [
        f"The patient is 14 on the admission date; {cast.program_a.name} admits ages 18 and over."
    ]
    assert not Episode.objects.filter(patient=teen).exists()
    assert AuditEvent.objects.count() == before


def test_an_adolescent_program_admits_twelve_to_seventeen_on_the_admission_date(cast):
    from tests.factories import PatientFactory, ProgramFactory

    teens = ProgramFactory(organization=cast.org, site=cast.program_a.site, population="adolescent")
    # eighteen tomorrow: still 17 today, admitted; eighteen today: refused
    born = TODAY.replace(year=TODAY.year - 18)
    almost = PatientFactory(organization=cast.org, date_of_birth=born + dt.timedelta(days=1))
    grown = PatientFactory(organization=cast.org, date_of_birth=born)
    assert admit(cast, patient=almost, program=teens, actor=cast.intake).program == teens
    with pytest.raises(ApplicationError, match="is 18 on the admission date.*ages 12 to 17"):
        admit(cast, patient=grown, program=teens, actor=cast.intake)
    eleven = PatientFactory(
        organization=cast.org, date_of_birth=TODAY.replace(year=TODAY.year - 11)
    )
    with pytest.raises(ApplicationError, match="is 11 "):
        admit(cast, patient=eleven, program=teens, actor=cast.intake)


def test_one_intensive_level_at_a_time(cast):
    from tests.factories import ProgramFactory

    php = ProgramFactory(organization=cast.org, site=cast.program_a.site, level_of_care="2.5")
    with pytest.raises(ApplicationError) as err:
        admit(cast, program=php, actor=cast.intake)  # patient A is open in program A, an IOP
    assert err.value.fields["program"] == [
        f"The patient is in {cast.program_a.name} (ASAM 2.1 - Intensive outpatient): "
        "discharge them there first; one level of care at a time."
    ]
    assert not Episode.objects.filter(program=php).exists()
    # a second program at the same level (mental health beside substance use) is allowed
    assert admit(cast, program=cast.program_b, actor=cast.intake).program == cast.program_b
    # and once the IOP episodes are closed, the PHP admits
    Episode.objects.filter(patient=cast.patient_a, status="active").update(
        status="discharged", discharged_on=TODAY, discharge_reason="stepped_up"
    )
    assert admit(cast, program=php, actor=cast.intake).program == php
