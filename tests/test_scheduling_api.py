"""The scheduling API: a week generated and published over HTTP, and every bad
input the issue names answered with a 4xx in the one error shape, nothing
written."""

import datetime as dt
import json

from django.utils import timezone

from openiop.scheduling.models import Attendance, PatientAvailability, Session, SolverRun
from openiop.scheduling.services.sessions import roster_add, session_create
from tests.scheduling_helpers import next_monday, world

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def call(client, method, path, body=None):
    kwargs = {}
    if body is not None:
        kwargs = {"data": json.dumps(body), "content_type": "application/json"}
    response = getattr(client, method)(f"/api/v1/scheduling{path}", **kwargs)
    return response.status_code, response.json() if response.content else None


def test_a_week_is_generated_and_published_over_the_api(
    cast, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = IMMEDIATE
    world(cast)
    client = cast.client("director_a")
    with django_capture_on_commit_callbacks(execute=True):
        status, body = call(
            client,
            "post",
            "/solver-runs",
            {"program": str(cast.program_a.uuid), "week": str(next_monday()), "time_limit_s": 2},
        )
    assert status == 202 and body["status"] == "queued"
    status, body = call(client, "get", f"/solver-runs/{body['uuid']}")
    assert status == 200 and body["status"] == "done" and body["groups"] == 3
    assert body["bound"] <= body["objective"] and body["gap"] == 0.0
    status, body = call(client, "post", f"/solver-runs/{body['uuid']}/publish")
    assert status == 200 and body["status"] == "published"
    status, body = call(client, "get", f"/sessions?week={next_monday()}")
    assert status == 200 and body["count"] == 3
    assert {s["enrolled"] for s in body["results"]} == {7}


def test_a_solver_request_for_a_week_with_no_staff_is_refused(cast):
    world(cast)
    from openiop.scheduling.models import StaffHours

    StaffHours.objects.all().delete()
    status, body = call(
        cast.client("director_a"),
        "post",
        "/solver-runs",
        {"program": str(cast.program_a.uuid), "week": str(next_monday())},
    )
    assert status == 400 and "has no staff with working hours" in body["error"]["message"]
    assert body["error"]["fields"] == {"clinicians": [body["error"]["message"]]}
    assert not SolverRun.objects.exists()


def test_overlapping_windows_are_refused_with_a_field_error(cast):
    w = world(cast, patients=1, series=False)
    before = PatientAvailability.objects.count()
    status, body = call(
        cast.client("clinician_a"),
        "put",
        f"/patients/{w.patients[0].uuid}/availability",
        {
            "windows": [
                {"weekday": 2, "start_time": "09:00", "end_time": "12:00"},
                {"weekday": 2, "start_time": "11:30", "end_time": "13:00"},
            ]
        },
    )
    assert status == 400
    assert body["error"]["fields"]["windows"] == [
        "Wednesday 09:00-12:00 overlaps Wednesday 11:30-13:00; merge them into one window."
    ]
    assert PatientAvailability.objects.count() == before


def test_a_session_longer_than_a_day_is_refused(cast):
    w = world(cast, patients=1, series=False)
    status, body = call(
        cast.client("director_a"),
        "post",
        "/sessions",
        {
            "program": str(cast.program_a.uuid),
            "session_type": "psychoeducation",
            "date": str(timezone.localdate()),
            "start_time": "08:00",
            "duration_min": 1500,
            "room": str(w.group_room.uuid),
        },
    )
    assert status == 400 and "duration_min" in body["error"]["fields"]
    assert not Session.objects.exists()


def _past_session(cast, w):
    session = session_create(
        actor=cast.director_a,
        program=cast.program_a,
        session_type=w.types["individual_therapy"],
        date=timezone.localdate() - dt.timedelta(days=1),
        start_time=dt.time(10),
        room=w.office,
        facilitator=cast.clinician_a,
    )
    roster_add(actor=cast.director_a, session=session, patient=w.patients[0])
    return session


def test_attendance_beyond_the_session_or_off_the_roster_is_refused(cast):
    w = world(cast, patients=2, series=False)
    session = _past_session(cast, w)
    client = cast.client("clinician_a")
    path = f"/sessions/{session.uuid}/attendance"
    status, body = call(
        client,
        "put",
        path,
        {"marks": [{"patient": str(w.patients[0].uuid), "status": "late", "minutes": 51}]},
    )
    assert status == 400
    assert body["error"]["message"] == "51 minutes is more than the session's 50 minutes."
    status, body = call(
        client,
        "put",
        path,
        {
            "marks": [
                {"patient": str(w.patients[0].uuid), "status": "present"},
                {"patient": str(w.patients[1].uuid), "status": "present"},
            ]
        },
    )
    assert status == 400 and "not on this session's roster" in body["error"]["message"]
    assert not Attendance.objects.exists()
    status, body = call(
        client,
        "put",
        path,
        {"marks": [{"patient": str(w.patients[0].uuid), "status": "late", "minutes": 40}]},
    )
    assert status == 200 and body["roster"][0]["minutes"] == 40


def test_a_dap_note_signed_by_someone_who_did_not_run_the_session_is_refused(cast):
    w = world(cast, patients=1, series=False)
    session = _past_session(cast, w)
    clin = cast.client("clinician_a")
    status, note = call(clin, "post", f"/sessions/{session.uuid}/note")
    assert status == 201 and note["kind"] == "dap"
    status, note = call(
        clin,
        "put",
        f"/notes/{note['uuid']}",
        {
            "revision": note["revision"],
            "data": "Reported three sober days (synthetic).",
            "assessment": "Engaged; cravings lower.",
            "plan": "Continue weekly sessions.",
        },
    )
    assert status == 200
    status, body = call(cast.client("director_a"), "post", f"/notes/{note['uuid']}/sign", {})
    assert status == 400 and body["error"]["message"] == (
        "Only the clinician who ran the session signs its note."
    )
    status, body = call(clin, "post", f"/notes/{note['uuid']}/sign", {})
    assert status == 200 and body["status"] == "signed"
    status, body = call(
        clin, "put", f"/notes/{note['uuid']}", {"revision": body["revision"], "data": "Changed."}
    )
    assert status == 400 and "addendum" in body["error"]["message"]
