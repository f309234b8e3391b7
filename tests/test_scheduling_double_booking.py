"""One person in one place. Found: the optimizer and publishing ignored a
patient's bookings in another program, so one person could be booked in two
places at once."""

import datetime as dt

import pytest

from openiop.core.errors import Conflict
from openiop.scheduling.models import PublishedWeek, RosterEntry, Session
from openiop.scheduling.services.runs import solver_run_publish
from openiop.scheduling.services.sessions import roster_add, session_create
from tests.factories import EpisodeFactory
from tests.scheduling_helpers import next_monday, world
from tests.test_scheduling_services import run_week


@pytest.fixture
def immediate(settings):
    from tests.test_scheduling_services import IMMEDIATE

    settings.TASKS = IMMEDIATE


def booked_in_program_b(cast, w, day: dt.date):
    """Patient 0 of program A also in program B, in a session there at 18:00."""
    from tests.scheduling_helpers import licence

    licence(cast.clinician_b, cast.org, "LPC")
    patient = w.patients[0]
    EpisodeFactory(patient=patient, program=cast.program_b, primary_clinician=cast.clinician_b)
    session = session_create(
        actor=_b_director(cast),
        program=cast.program_b,
        session_type=w.types["individual_therapy"],
        date=day,
        start_time=dt.time(18),
        room=w.office,
        facilitator=cast.clinician_b,
    )
    roster_add(actor=_b_director(cast), session=session, patient=patient)
    return patient


def _b_director(cast):
    from openiop.accounts.models import User
    from tests.factories import staff

    found = User.objects.filter(username="director.b").first()
    return found or staff("program_director", program=cast.program_b, username="director.b")


def test_the_optimizer_does_not_book_a_patient_busy_in_another_program(
    cast, immediate, django_capture_on_commit_callbacks
):
    w = world(cast)
    week = next_monday()
    patient = booked_in_program_b(cast, w, week)  # Monday 18:00, as program A's group
    run = run_week(cast, week, django_capture_on_commit_callbacks)
    with_patient = [g for g in run.result["groups"] if patient.pk in g["patients"]]
    assert len(with_patient) == 2  # Wednesday and Thursday, not Monday
    assert len([g for g in run.result["groups"] if len(g["patients"]) == 7]) == 2


def test_publishing_refuses_a_double_booking_made_since_the_proposal(
    cast, immediate, django_capture_on_commit_callbacks
):
    w = world(cast)
    week = next_monday()
    run = run_week(cast, week, django_capture_on_commit_callbacks)
    patient = booked_in_program_b(cast, w, week)
    with pytest.raises(Conflict) as exc:
        solver_run_publish(actor=cast.director_a, run=run)
    assert f"patient {patient.mrn} is booked in another program" in exc.value.message
    assert not PublishedWeek.objects.exists()
    assert not RosterEntry.objects.filter(session__program=cast.program_a).exists()
    assert Session.objects.filter(program=cast.program_a).count() == 0
