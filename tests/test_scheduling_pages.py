"""Scheduling pages: plan, review and publish a week; the week calendar; a
roster with bulk attendance; the patient's hours ledger and alerts; notes with
the near-identical warning; calendar feeds that hold no clinical detail."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from icalendar import Calendar

from openiop.audit.models import AuditEvent
from openiop.scheduling.models import Attendance, Note, Session, SolverRun
from openiop.scheduling.services.sessions import roster_add, session_create
from tests.scheduling_helpers import next_monday, signed_plan_with, world

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def past_group(cast, w, *, days_ago=1, facilitator=None, patients=None):
    """A group that took place `days_ago` days ago, with the world's patients on it."""
    session = session_create(
        actor=cast.director_a,
        program=cast.program_a,
        session_type=w.types["group_therapy"],
        date=timezone.localdate() - dt.timedelta(days=days_ago),
        start_time=dt.time(9),
        room=w.group_room,
        facilitator=facilitator or cast.clinician_a,
        track=cast.track_a,
    )
    for p in patients or w.patients:
        roster_add(actor=cast.director_a, session=session, patient=p)
    return session


def test_a_director_plans_reviews_and_publishes_a_week(
    cast, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = IMMEDIATE
    world(cast)
    client = cast.client("director_a")
    week = next_monday()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/scheduling/plan/",
            {"program": cast.program_a.pk, "week": week.isoformat(), "time_limit_s": 2},
        )
    run = SolverRun.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/scheduling/runs/{run.uuid}/"
    page = client.get(f"/scheduling/runs/{run.uuid}/")
    html = page.content.decode()
    assert "How good is this week?" in html and "Publish this week" in html
    assert "gap to CP-SAT's bound" in html and "By clinician" in html
    assert cast.patient_a.mrn in html
    # the progress partial stops polling once the run is done
    partial = client.get(f"/scheduling/runs/{run.uuid}/", HTTP_HX_REQUEST="true")
    assert b"hx-trigger" not in partial.content
    response = client.post(f"/scheduling/runs/{run.uuid}/publish/")
    assert response.status_code == 302
    calendar = client.get(f"/scheduling/?week={week}&program={cast.program_a.uuid}")
    assert calendar.content.count(b'class="block group"') == 3
    assert b'viewBox="0 0 1000 ' in calendar.content
    assert Session.objects.filter(week=week).count() == 3


def test_planning_refuses_a_week_with_no_staff_on_the_form(cast):
    from openiop.scheduling.models import StaffHours

    world(cast)
    StaffHours.objects.all().delete()
    response = cast.client("director_a").post(
        "/scheduling/plan/",
        {"program": cast.program_a.pk, "week": next_monday().isoformat(), "time_limit_s": 5},
    )
    assert response.status_code == 400
    assert b"has no staff with working hours" in response.content
    assert not SolverRun.objects.exists()


def test_attendance_is_marked_from_the_roster_in_one_screen(cast):
    w = world(cast, series=False)
    session = past_group(cast, w)
    client = cast.client("clinician_a")
    page = client.get(f"/scheduling/sessions/{session.uuid}/")
    assert page.status_code == 200 and page.content.count(b'<select name="status_') == 7
    data = {f"status_{p.uuid}": "present" for p in w.patients}
    data[f"status_{w.patients[1].uuid}"] = "late"
    data[f"minutes_{w.patients[1].uuid}"] = "70"
    data[f"status_{w.patients[2].uuid}"] = "absent"
    response = client.post(f"/scheduling/sessions/{session.uuid}/", data)
    assert response.status_code == 302
    marks = {a.patient_id: a for a in Attendance.objects.filter(session=session)}
    assert len(marks) == 7
    assert (marks[w.patients[1].pk].status, marks[w.patients[1].pk].minutes) == ("late", 70)
    assert marks[w.patients[0].pk].minutes == 90 and marks[w.patients[2].pk].minutes == 0


def test_minutes_beyond_the_session_are_refused_and_nothing_is_written(cast):
    w = world(cast, series=False)
    session = past_group(cast, w)
    data = {f"status_{p.uuid}": "present" for p in w.patients}
    data[f"minutes_{w.patients[3].uuid}"] = "95"
    response = cast.client("clinician_a").post(f"/scheduling/sessions/{session.uuid}/", data)
    assert response.status_code == 400
    assert b"95 minutes is more than the session&#x27;s 90 minutes." in response.content
    assert not Attendance.objects.exists()


def test_a_mark_for_a_patient_not_on_the_roster_is_refused(cast):
    from openiop.core.errors import ApplicationError
    from openiop.scheduling.services.attendance import Mark, attendance_record

    w = world(cast, series=False)
    session = past_group(cast, w, patients=w.patients[:6])
    with pytest.raises(ApplicationError) as err:
        attendance_record(
            actor=cast.clinician_a,
            session=session,
            marks=[Mark(w.patients[0].pk, "present"), Mark(w.patients[6].pk, "present")],
        )
    assert "not on this session's roster" in err.value.message
    assert not Attendance.objects.exists()


def test_the_hours_ledger_and_alerts_react_to_attendance(cast):
    w = world(cast, series=False)
    patient = w.patients[0]
    client = cast.client("director_a")
    before = client.get(f"/scheduling/patients/{patient.uuid}/").content.decode()
    assert "days without a clinical service since admission" in before
    s1 = past_group(cast, w, days_ago=2)
    s2 = past_group(cast, w, days_ago=1)
    for s, status in ((s1, "absent"), (s2, "absent")):
        client.post(
            f"/scheduling/sessions/{s.uuid}/",
            {f"status_{p.uuid}": status if p == patient else "present" for p in w.patients},
        )
    alerts = client.get("/scheduling/alerts/").content.decode()
    assert f"{patient.display_name} missed the last two sessions in a row." in alerts
    other = w.patients[1]
    page = client.get(f"/scheduling/patients/{other.uuid}/").content.decode()
    assert "missed the last two" not in page
    assert "3 h" in page or "3.0" in page  # two groups of 90 minutes this fortnight


def test_a_group_note_warns_about_near_identical_parts_and_only_the_facilitator_signs(cast):
    w = world(cast, series=False)
    objectives = signed_plan_with(cast, w.episodes[0], [], objectives=2)
    session = past_group(cast, w, patients=w.patients[:6], facilitator=cast.clinician_a)
    clin = cast.client("clinician_a")
    clin.post(
        f"/scheduling/sessions/{session.uuid}/",
        {f"status_{p.uuid}": "present" for p in w.patients[:6]},
    )
    response = clin.post(f"/scheduling/sessions/{session.uuid}/note/")
    note = Note.objects.get()
    assert response["Location"] == f"/scheduling/notes/{note.uuid}/"
    same = "Participated actively and shared coping strategies with peers."
    data = {
        "revision": note.revision,
        "topic": "Relapse prevention",
        "interventions": "CBT, motivational interviewing",
        "group_part": "Members mapped high-risk situations for the holidays (synthetic).",
        "action": "sign",
        f"objectives_{w.patients[0].pk}": [objectives[1].pk],
    }
    for p in w.patients[:6]:
        data[f"entry_{p.pk}"] = same
    # signed by someone who did not run the session: refused
    other = cast.client("director_a").post(f"/scheduling/notes/{note.uuid}/", data)
    assert other.status_code == 400 and b"Only the clinician who ran the session" in other.content
    note.refresh_from_db()
    data["revision"] = note.revision
    warned = clin.post(f"/scheduling/notes/{note.uuid}/", data)
    assert warned.status_code == 400 and b"100% alike" in warned.content
    note.refresh_from_db()
    assert note.status == "draft"
    data["revision"] = note.revision
    data["confirm_similar"] = "1"
    signed = clin.post(f"/scheduling/notes/{note.uuid}/", data)
    assert signed.status_code == 302
    note.refresh_from_db()
    assert note.status == "signed" and note.participants == 6
    # immutable: a save is refused, an addendum is added
    data["revision"] = note.revision
    data["action"] = "save"
    assert clin.post(f"/scheduling/notes/{note.uuid}/", data).status_code == 400
    clin.post(f"/scheduling/notes/{note.uuid}/", {"action": "addendum", "text": "Late entry."})
    assert note.addenda.count() == 1
    # the chart shows the note under the objective it addressed
    chart = cast.client("clinician_a").get(f"/patients/{w.patients[0].uuid}/").content.decode()
    section = chart[chart.index("Session notes by plan objective") :]
    assert "Synthetic objective 2." in section and same[:40] in section


def test_a_patient_feed_is_valid_icalendar_without_clinical_detail(cast):
    from openiop.care.plans.models import Diagnosis

    w = world(cast, series=False)
    session = past_group(cast, w)
    Diagnosis.objects.create(
        organization=cast.org,
        patient=w.patients[0],
        episode=w.episodes[0],
        code="F10.20",
        description="Alcohol dependence, uncomplicated",
        category="substance_use",
        diagnosed_on=timezone.localdate(),
    )
    client = cast.client("clinician_a")
    client.post(f"/scheduling/patients/{w.patients[0].uuid}/feeds/", {"label": "Phone"})
    page = client.get(f"/scheduling/patients/{w.patients[0].uuid}/").content.decode()
    url = page[page.index("http://testserver/calendar/") :].split("<")[0]
    path = url.removeprefix("http://testserver")
    anonymous = cast.client(None)
    response = anonymous.get(path)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    body = response.content.decode()
    cal = Calendar.from_ical(response.content)
    events = list(cal.walk("VEVENT"))
    assert len(events) == 1 and str(events[0]["summary"]) == "Group therapy"
    assert events[0].decoded("dtstart") == session.starts_at
    assert "TZID=America/Los_Angeles" in body and "BEGIN:VTIMEZONE" in body
    for secret in ("F10", "dependence", "Alcohol", w.patients[0].legal_family_name, "MRN"):
        assert secret not in body
    assert AuditEvent.objects.filter(event="calendar_feed.read").count() == 1
    from openiop.scheduling.models import CalendarFeed

    feed = CalendarFeed.objects.get(patient=w.patients[0])
    client.post(f"/scheduling/feeds/{feed.uuid}/revoke/")
    assert anonymous.get(path).status_code == 404
    assert anonymous.get("/calendar/cal_not-a-token.ics").status_code == 404


def test_the_week_page_costs_the_same_queries_for_more_sessions(cast):
    w = world(cast, series=False)
    client = cast.client("director_a")
    url = f"/scheduling/?week={timezone.localdate() - dt.timedelta(days=1)}"
    past_group(cast, w, days_ago=1)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for hour, patient in ((12, w.patients[5]), (14, w.patients[6])):
        s = session_create(
            actor=cast.director_a,
            program=cast.program_a,
            session_type=w.types["individual_therapy"],
            date=timezone.localdate() - dt.timedelta(days=1),
            start_time=dt.time(hour),
            room=w.office,
            facilitator=cast.director_a,
        )
        roster_add(actor=cast.director_a, session=s, patient=patient)
    with CaptureQueriesContext(connection) as more:
        client.get(url)
    assert len(more.captured_queries) == len(few.captured_queries)


@pytest.mark.parametrize(
    "utc, shown",
    [
        # 23:30 on Wednesday in Los Angeles is 07:30 on Thursday in UTC
        (dt.datetime(2026, 12, 3, 7, 30, tzinfo=dt.UTC), "Wednesday, December 2, 2026"),
        # 00:30 on Thursday there
        (dt.datetime(2026, 12, 3, 8, 30, tzinfo=dt.UTC), "Thursday, December 3, 2026"),
    ],
)
def test_the_day_tab_opens_today_where_the_program_meets(cast, monkeypatch, utc, shown):
    """Every scheduling page's "Day" tab links to /scheduling/day/today/ (a 404
    before); today is the program site's (Los Angeles), not UTC's."""
    monkeypatch.setattr(timezone, "now", lambda: utc)
    client = cast.client("director_a")
    alerts = client.get("/scheduling/alerts/")
    assert b'href="/scheduling/day/today/"' in alerts.content
    response = client.get(f"/scheduling/day/today/?program={cast.program_a.uuid}")
    assert response.status_code == 200
    assert f"<h1>{shown}</h1>" in response.content.decode()
    assert client.get("/scheduling/day/today/").status_code == 200  # no program chosen
    assert client.get("/scheduling/day/tomorrow/").status_code == 404
