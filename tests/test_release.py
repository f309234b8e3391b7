"""Leaving releases the future. Found: a discharged patient stayed on future
rosters and sign-in sheets, their calendar feed still listed the sessions as
CONFIRMED, unused one-time links stayed live, and no screen could take a
patient off a roster."""

import datetime as dt

from django.utils import timezone

from openiop.care.services import episode_discharge
from openiop.measures import services as measures
from openiop.scheduling.models import RosterEntry, RosterStatus, SessionStatus, SessionType
from openiop.scheduling.services.feeds import feed_create_for_patient
from openiop.scheduling.services.sessions import roster_add, session_create
from tests.scheduling_helpers import world

TODAY = timezone.localdate()


def booked(cast, days: int, code: str = "group_therapy", hour: int = 18):
    """A session of program A `days` from today with patient A on its roster."""
    w = world(cast, patients=0, series=False)
    session = session_create(
        actor=cast.director_a,
        program=cast.program_a,
        session_type=SessionType.objects.get(organization=cast.org, code=code),
        date=TODAY + dt.timedelta(days=days),
        start_time=dt.time(hour),
        room=w.group_room if code == "group_therapy" else w.office,
        facilitator=cast.clinician_a,
    )
    roster_add(actor=cast.director_a, session=session, patient=cast.patient_a)
    return session


def discharge(cast, reason="completed"):
    from openiop.care.models import Episode

    Episode.objects.filter(pk=cast.episode_a.pk).update(admitted_on=TODAY - dt.timedelta(days=30))
    episode = Episode.objects.get(pk=cast.episode_a.pk)
    return episode_discharge(
        actor=cast.director_a, episode=episode, discharged_on=TODAY, reason=reason
    )


def entry(session, patient):
    return RosterEntry.objects.get(session=session, patient=patient)


def test_discharge_ends_future_roster_places_and_keeps_the_past(cast):
    past, future = booked(cast, -3), booked(cast, 2)
    discharge(cast)
    assert entry(past, cast.patient_a).status == RosterStatus.ENROLLED  # history stays
    gone = entry(future, cast.patient_a)
    assert gone.status == RosterStatus.REMOVED
    assert gone.removed_reason == "Discharged: Completed treatment"
    assert gone.removed_at is not None
    future.refresh_from_db()
    assert future.status == SessionStatus.SCHEDULED  # a group goes on without them


def test_discharge_cancels_future_individual_sessions(cast):
    visit = booked(cast, 3, code="individual_therapy", hour=16)
    discharge(cast)
    visit.refresh_from_db()
    assert visit.status == SessionStatus.CANCELLED


def test_discharge_revokes_unused_links_but_a_transfer_keeps_them(cast):
    from openiop.measures.models import PatientLink

    link, _token = measures.link_create(
        actor=cast.clinician_a, patient=cast.patient_a, purpose="checkin"
    )
    discharge(cast, reason="transferred")
    link.refresh_from_db()
    assert link.revoked_at is None  # still in care elsewhere: the link is routed there
    PatientLink.objects.all().delete()
    cast.episode_a.refresh_from_db()
    from openiop.care.models import Episode, EpisodeStatus

    Episode.objects.filter(pk=cast.episode_a.pk).update(
        status=EpisodeStatus.ACTIVE, discharged_on=None, discharge_reason=""
    )
    link, _token = measures.link_create(
        actor=cast.clinician_a, patient=cast.patient_a, purpose="checkin"
    )
    discharge(cast, reason="completed")
    link.refresh_from_db()
    assert link.revoked_at is not None


def test_the_calendar_feed_cancels_what_was_released(cast, client):
    future = booked(cast, 2)
    _feed, token = feed_create_for_patient(actor=cast.director_a, patient=cast.patient_a)
    before = client.get(f"/calendar/{token}.ics").content.decode()
    assert "STATUS:CONFIRMED" in before
    discharge(cast)
    after = client.get(f"/calendar/{token}.ics").content.decode()
    assert f"UID:{future.uuid}" in after
    assert "STATUS:CANCELLED" in after and "STATUS:CONFIRMED" not in after


def test_the_discharge_page_says_what_was_released(cast):
    booked(cast, 2)
    booked(cast, 3, code="individual_therapy", hour=16)
    from openiop.care.models import Episode

    Episode.objects.filter(pk=cast.episode_a.pk).update(admitted_on=TODAY - dt.timedelta(days=30))
    page = cast.client("director_a").post(
        f"/care/episodes/{cast.episode_a.uuid}/discharge/",
        {"discharged_on": TODAY.isoformat(), "discharge_reason": "completed"},
        follow=True,
    )
    text = page.content.decode()
    assert "taken off 2 future sessions" in text
    assert "1 individual session cancelled" in text


def test_a_roster_screen_removes_a_patient_with_a_reason(cast):
    session = booked(cast, 2)
    client = cast.client("director_a")
    url = f"/scheduling/sessions/{session.uuid}/roster/remove/"
    refused = client.post(url, {"patient": str(cast.patient_a.uuid), "reason": ""}, follow=True)
    assert b"Give the reason" in refused.content
    assert entry(session, cast.patient_a).status == RosterStatus.ENROLLED
    client.post(url, {"patient": str(cast.patient_a.uuid), "reason": "Moved to mornings"})
    gone = entry(session, cast.patient_a)
    assert gone.status == RosterStatus.REMOVED and gone.removed_reason == "Moved to mornings"
    again = client.post(url, {"patient": str(cast.patient_a.uuid), "reason": "Twice"}, follow=True)
    assert b"not on this roster" in again.content
    assert (
        cast.client("clinician_a").post(url, {"patient": str(cast.patient_a.uuid)}).status_code
        == 403
    )


def test_the_session_page_shows_who_was_taken_off_and_why(cast):
    session = booked(cast, 2)
    discharge(cast)
    page = cast.client("director_a").get(f"/scheduling/sessions/{session.uuid}/").content.decode()
    assert "Taken off this session" in page and "Discharged: Completed treatment" in page


def test_back_on_the_roster_the_old_reason_is_cleared(cast):
    from openiop.scheduling.services.sessions import roster_remove

    session = booked(cast, 2)
    roster_remove(actor=cast.director_a, session=session, patient=cast.patient_a, reason="Ill")
    roster_add(actor=cast.director_a, session=session, patient=cast.patient_a)
    again = entry(session, cast.patient_a)
    assert again.status == RosterStatus.ENROLLED and again.removed_reason == ""
    assert again.removed_at is None


def test_a_staff_feed_keeps_a_cancelled_session_as_cancelled(cast, client):
    from openiop.scheduling.services.feeds import feed_create_for_self
    from openiop.scheduling.services.sessions import session_cancel

    session = booked(cast, 2)
    _feed, token = feed_create_for_self(actor=cast.clinician_a, organization_id=cast.org.pk)
    session_cancel(actor=cast.director_a, session=session)
    body = client.get(f"/calendar/{token}.ics").content.decode()
    assert f"UID:{session.uuid}" in body and "STATUS:CANCELLED" in body


def test_a_discharge_with_a_summary_says_what_was_released(cast):
    from openiop.care.plans.services.discharge import discharge_with_summary

    booked(cast, 2)
    from openiop.care.models import Episode

    Episode.objects.filter(pk=cast.episode_a.pk).update(admitted_on=TODAY - dt.timedelta(days=30))
    summary = discharge_with_summary(
        actor=cast.director_a,
        episode=Episode.objects.get(pk=cast.episode_a.pk),
        discharged_on=TODAY,
        reason="completed",
        services_received="Group and individual therapy (synthetic).",
        clinical_summary="Completed the program (synthetic).",
        goal_progress=[],
        diagnoses=[],
        step_down="none",
        aftercare=[],
    )
    assert "taken off 1 future session" in str(summary.released)


def test_moving_to_another_track_ends_the_old_tracks_future_places(cast):
    """The same holds for a transfer between tracks: the patient leaves the old
    track's coming groups (kept with the reason); past ones and their own
    individual sessions stay."""
    from openiop.care.services import episode_update
    from openiop.organizations.services import track_create

    w = world(cast, patients=0, series=False)
    group = SessionType.objects.get(organization=cast.org, code="group_therapy")

    def track_group(days):
        session = session_create(
            actor=cast.director_a,
            program=cast.program_a,
            session_type=group,
            date=TODAY + dt.timedelta(days=days),
            start_time=dt.time(18),
            room=w.group_room,
            facilitator=cast.clinician_a,
            track=cast.track_a,
        )
        roster_add(actor=cast.director_a, session=session, patient=cast.patient_a)
        return session

    past, coming = track_group(-2), track_group(3)
    own = booked(cast, 4, code="individual_therapy", hour=10)
    morning = track_create(
        actor=cast.director_a,
        program=cast.program_a,
        name="Morning",
        kind="morning",
        weekdays=[1, 2, 4],
        start_time=dt.time(9),
        end_time=dt.time(12),
    )
    episode = episode_update(actor=cast.director_a, episode=cast.episode_a, track=morning)
    assert str(episode.released) == "Released: taken off 1 future session."
    gone = entry(coming, cast.patient_a)
    assert (gone.status, gone.removed_reason) == (RosterStatus.REMOVED, "Moved to Morning")
    assert entry(past, cast.patient_a).status == RosterStatus.ENROLLED
    assert entry(own, cast.patient_a).status == RosterStatus.ENROLLED
    page = cast.client("director_a").post(
        f"/care/episodes/{cast.episode_a.uuid}/edit/",
        {"track": cast.track_a.pk, "primary_clinician": cast.clinician_a.pk},
        follow=True,
    )
    assert "Saved." in page.content.decode()


def test_the_api_discharge_says_what_was_released(cast):
    import json

    future = booked(cast, 2)
    from openiop.care.models import Episode

    Episode.objects.filter(pk=cast.episode_a.pk).update(admitted_on=TODAY - dt.timedelta(days=30))
    response = cast.client("director_a").post(
        f"/api/v1/episodes/{cast.episode_a.uuid}/discharge",
        json.dumps({"discharged_on": TODAY.isoformat(), "discharge_reason": "completed"}),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["released"] == {
        "places": 1,
        "individual_cancelled": 0,
        "links_revoked": 0,
    }
    assert entry(future, cast.patient_a).status == RosterStatus.REMOVED
    read = cast.client("director_a").get(f"/api/v1/episodes/{cast.episode_a.uuid}")
    assert read.json()["released"] is None  # only in the answer to the change
