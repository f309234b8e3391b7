"""The fixed cast of every permission test (after healthchecks' hc/test.py):
a clinician of program A, a read-only (billing) staff member of A, a clinician
of program B, a patient with a portal login, and anonymous."""

from dataclasses import dataclass

import pytest
from django.test import Client

from openiop.accounts.models import User
from openiop.care.models import Episode
from openiop.organizations.models import Organization, Program, Track
from openiop.patients.models import Patient
from tests.factories import (
    PASSWORD,
    EpisodeFactory,
    OrganizationFactory,
    ProgramFactory,
    TrackFactory,
    UserFactory,
    staff,
)


@dataclass
class Cast:
    org: Organization
    program_a: Program
    program_b: Program
    track_a: Track
    track_b: Track
    clinician_a: User
    readonly_a: User
    clinician_b: User
    director_a: User
    prescriber_a: User
    intake: User
    auditor: User
    admin: User
    patient_user: User
    patient_a: Patient
    patient_b: Patient
    episode_a: Episode
    episode_b: Episode

    def client(self, who: str | None) -> Client:
        c = Client()
        if who:
            c.force_login(getattr(self, who))
        return c


@pytest.fixture
def cast(db) -> Cast:
    org = OrganizationFactory(name="Test Org A")
    program_a = ProgramFactory(organization=org, name="Program A")
    program_b = ProgramFactory(organization=org, site=program_a.site, name="Program B")
    track_a = TrackFactory(program=program_a, name="Evening A")
    track_b = TrackFactory(program=program_b, name="Evening B")
    clinician_a = staff("clinician", program=program_a, username="clin.a")
    readonly_a = staff("billing", program=program_a, username="billing.a")
    clinician_b = staff("clinician", program=program_b, username="clin.b")
    director_a = staff("program_director", program=program_a, username="director.a")
    prescriber_a = staff("prescriber", program=program_a, username="prescriber.a")
    intake = staff("intake_coordinator", organization=org, username="intake")
    auditor = staff("auditor", organization=org, username="auditor")
    admin = staff("administrator", organization=org, username="admin")
    episode_a = EpisodeFactory(program=program_a, track=track_a, primary_clinician=clinician_a)
    episode_b = EpisodeFactory(program=program_b, track=track_b, primary_clinician=clinician_b)
    patient_user = UserFactory(username="patient.portal")
    episode_a.patient.portal_user = patient_user
    episode_a.patient.save()
    return Cast(
        org=org,
        program_a=program_a,
        program_b=program_b,
        track_a=track_a,
        track_b=track_b,
        clinician_a=clinician_a,
        readonly_a=readonly_a,
        clinician_b=clinician_b,
        director_a=director_a,
        prescriber_a=prescriber_a,
        intake=intake,
        auditor=auditor,
        admin=admin,
        patient_user=patient_user,
        patient_a=episode_a.patient,
        patient_b=episode_b.patient,
        episode_a=episode_a,
        episode_b=episode_b,
    )


@pytest.fixture
def password() -> str:
    return PASSWORD


@pytest.fixture(autouse=True)
def _readyz_answers_fresh(monkeypatch):
    """Tests ask /readyz again after changing the world: no reuse of the last
    answer (tests/test_operations.py checks the reuse itself)."""
    from openiop.operations import views

    monkeypatch.setattr(views, "ANSWER_FOR_SECONDS", 0.0)
