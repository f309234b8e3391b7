"""Registering, changing and finding patients; bad input changes nothing."""

import datetime as dt

import pytest
from django.utils import timezone

from openiop.audit.models import AuditEvent
from openiop.care.models import Episode
from openiop.core.errors import ApplicationError, PermissionDenied
from openiop.patients.models import Patient
from openiop.patients.selectors import patient_search
from openiop.patients.services import coverage_add, patient_register, support_person_add
from tests.factories import EpisodeFactory

TODAY = timezone.localdate()


def admission(cast, **over):
    return {
        "program": cast.program_a,
        "track": cast.track_a,
        "primary_clinician": cast.clinician_a,
        "admitted_on": TODAY,
        "admission_type": "step_down",
        "referral_source": "inpatient",
        **over,
    }


def person(**over):
    return {
        "legal_given_name": "Quinn",
        "legal_family_name": "Samplewood",
        "date_of_birth": dt.date(1988, 1, 2),
        **over,
    }


def test_intake_registers_and_admits_in_one_step(cast):
    p = patient_register(
        actor=cast.intake, organization=cast.org, admission=admission(cast), **person()
    )
    assert p.mrn.startswith("MRN-")
    ep = Episode.objects.get(patient=p)
    assert ep.program == cast.program_a and ep.status == "active"
    assert AuditEvent.objects.filter(event="patient.create", patient=p).exists()
    assert AuditEvent.objects.filter(event="episode.admit", patient=p).exists()


def test_a_duplicate_mrn_is_refused_naming_the_field(cast):
    with pytest.raises(ApplicationError) as err:
        patient_register(
            actor=cast.intake, organization=cast.org, mrn=cast.patient_a.mrn, **person()
        )
    assert "mrn" in err.value.fields
    assert Patient.objects.filter(legal_family_name="Samplewood").count() == 0


def test_a_future_date_of_birth_is_refused(cast):
    with pytest.raises(ApplicationError) as err:
        patient_register(
            actor=cast.intake,
            organization=cast.org,
            **person(date_of_birth=TODAY + dt.timedelta(days=1)),
        )
    assert "date_of_birth" in err.value.fields


def test_a_failed_admission_leaves_no_half_written_patient(cast):
    with pytest.raises(ApplicationError) as err:
        patient_register(
            actor=cast.intake,
            organization=cast.org,
            admission=admission(cast, admitted_on=TODAY + dt.timedelta(days=3)),
            **person(),
        )
    assert "admitted_on" in err.value.fields
    assert not Patient.objects.filter(legal_family_name="Samplewood").exists()
    assert not AuditEvent.objects.filter(event="patient.create").exists()


def test_a_program_clinician_cannot_register_patients(cast):
    with pytest.raises(PermissionDenied):
        patient_register(
            actor=cast.clinician_a, organization=cast.org, admission=admission(cast), **person()
        )


def test_search_finds_by_name_words_mrn_and_date_of_birth(cast):
    p = cast.patient_a
    p.legal_given_name, p.legal_family_name = "Harper", "Testington"
    p.search_name = "harper testington"
    p.date_of_birth = dt.date(2001, 4, 30)
    p.save()
    actor = cast.director_a
    assert list(patient_search(actor=actor, query="test")) == [p]
    assert list(patient_search(actor=actor, query="harp testi")) == [p]
    assert list(patient_search(actor=actor, query=p.mrn.lower())) == [p]
    assert list(patient_search(actor=actor, query="2001-04-30")) == [p]
    assert list(patient_search(actor=actor, query="04/30/2001")) == [p]
    assert list(patient_search(actor=actor, query="ington")) == []


def test_search_never_shows_another_programs_patients(cast):
    assert list(patient_search(actor=cast.clinician_b, query="")) == [cast.patient_b]
    assert cast.patient_a not in patient_search(actor=cast.clinician_b, query=cast.patient_a.mrn)


def test_a_discharged_patient_stays_visible_to_the_program(cast):
    old = EpisodeFactory(
        program=cast.program_a,
        status="discharged",
        discharged_on=TODAY,
        admitted_on=TODAY - dt.timedelta(days=60),
    )
    assert old.patient in patient_search(actor=cast.clinician_a)
    assert old.patient not in patient_search(actor=cast.clinician_a, status="active")


def test_the_register_form_shows_field_errors_and_writes_nothing(cast):
    client = cast.client("intake")
    response = client.post(
        "/patients/new/",
        {
            "legal_given_name": "",
            "legal_family_name": "Samplewood",
            "date_of_birth": "not-a-date",
            "sex_at_birth": "unknown",
            "preferred_language": "English",
            "program": cast.program_a.pk,
            "admitted_on": TODAY.isoformat(),
            "admission_type": "direct",
            "referral_source": "self",
        },
    )
    assert response.status_code == 200
    assert b"This field is required" in response.content
    assert b"Enter a valid date" in response.content
    assert not Patient.objects.filter(legal_family_name="Samplewood").exists()


def test_the_register_form_admits_and_opens_the_chart(cast):
    client = cast.client("intake")
    response = client.post(
        "/patients/new/",
        {
            "legal_given_name": "Wren",
            "legal_family_name": "Mockridge",
            "date_of_birth": "1999-09-09",
            "sex_at_birth": "female",
            "preferred_language": "English",
            "program": cast.program_a.pk,
            "track": cast.track_a.pk,
            "primary_clinician": cast.clinician_a.pk,
            "admitted_on": TODAY.isoformat(),
            "admission_type": "direct",
            "referral_source": "self",
        },
    )
    assert response.status_code == 302
    p = Patient.objects.get(legal_family_name="Mockridge")
    assert response["Location"] == f"/patients/{p.uuid}/"


def test_support_person_consent_is_dated_and_coverage_has_one_primary(cast):
    sp = support_person_add(
        actor=cast.clinician_a,
        patient=cast.patient_a,
        name="Bo Demoson",
        relationship="parent",
        involvement_consent=True,
    )
    assert sp.consent_recorded_on == TODAY
    coverage_add(
        actor=cast.clinician_a,
        patient=cast.patient_a,
        payer_type="medicaid",
        payer_name="Demo Medicaid",
        member_id="X1",
    )
    coverage_add(
        actor=cast.clinician_a,
        patient=cast.patient_a,
        payer_type="commercial",
        payer_name="Demo Mutual",
        member_id="Y2",
    )
    assert list(
        cast.patient_a.coverages.filter(is_primary=True).values_list("payer_name", flat=True)
    ) == ["Demo Mutual"]


def test_coverage_ending_before_it_starts_is_refused(cast):
    with pytest.raises(ApplicationError) as err:
        coverage_add(
            actor=cast.clinician_a,
            patient=cast.patient_a,
            payer_type="medicaid",
            payer_name="Demo",
            starts_on=TODAY,
            ends_on=TODAY - dt.timedelta(days=1),
        )
    assert "ends_on" in err.value.fields


def test_another_programs_clinician_cannot_change_the_patient(cast):
    with pytest.raises(PermissionDenied):
        support_person_add(
            actor=cast.clinician_b, patient=cast.patient_a, name="X", relationship="friend"
        )
    assert AuditEvent.objects.filter(outcome="denied", event="patient.change").exists()


def test_the_register_form_asks_for_the_person_before_the_program(cast):
    from openiop.patients.forms import RegisterForm

    names = list(RegisterForm(actor=cast.intake).fields)
    assert names.index("legal_given_name") < names.index("program")
