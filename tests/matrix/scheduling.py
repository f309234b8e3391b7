"""Routes of scheduling: the calendar, rosters and attendance, the optimizer's
runs, repairs, configuration, a patient's week, alerts, notes, calendar feeds.

What a route needs is made on first use and kept on the cast: a group of
program A that took place yesterday with patient A on its roster and marked
present, its draft group note, a finished run, and two calendar feeds (patient
A's and clinician A's own)."""

import datetime as dt

from django.utils import timezone

from tests.matrix.common import EVERYONE, STAFF

READERS = {"clinician_a", "readonly_a", "director_a", "prescriber_a", "intake"}
NOTE_READERS = {"clinician_a", "director_a", "prescriber_a"}
DIRECTOR = {"director_a"}
TYPE_READERS = set(STAFF) - {"auditor"}


def expect(ok: dict, *, api=False, default=403):
    out = {}
    for who in EVERYONE:
        if who is None:
            out[who] = 401 if api else 302
        else:
            out[who] = ok.get(who, default)
    return out


def each(members, status):
    return dict.fromkeys(members, status)


def things(c):
    if hasattr(c, "_sched"):
        return c._sched
    from openiop.accounts.models import StaffCredential
    from openiop.organizations.models import Room
    from openiop.scheduling.models import SessionType, SolverRun
    from openiop.scheduling.services.attendance import Mark, attendance_record
    from openiop.scheduling.services.feeds import feed_create_for_patient, feed_create_for_self
    from openiop.scheduling.services.notes import note_start
    from openiop.scheduling.services.sessions import roster_add, session_create
    from openiop.scheduling.services.types import session_types_ensure
    from tests.factories import EpisodeFactory, PatientFactory

    t = type("Scheduling", (), {})()
    today = timezone.localdate()
    monday = today - dt.timedelta(days=today.weekday())
    session_types_ensure(c.org)
    t.type = SessionType.objects.get(organization=c.org, code="group_therapy")
    t.room = Room.objects.create(site=c.program_a.site, name="Matrix Room", capacity=12)
    StaffCredential.objects.create(
        user=c.clinician_a,
        organization=c.org,
        license_type="LCSW",
        number="MATRIX-1",
        state="OR",
        expires_on=timezone.localdate() + dt.timedelta(days=300),
    )
    t.extra = EpisodeFactory(program=c.program_a, patient=PatientFactory(organization=c.org))
    t.session = session_create(
        actor=c.director_a,
        program=c.program_a,
        session_type=t.type,
        date=timezone.localdate() - dt.timedelta(days=1),
        start_time=dt.time(9),
        room=t.room,
        facilitator=c.clinician_a,
    )
    roster_add(actor=c.director_a, session=t.session, patient=c.patient_a)
    attendance_record(
        actor=c.director_a, session=t.session, marks=[Mark(c.patient_a.pk, "present")]
    )
    t.note = note_start(actor=c.director_a, session=t.session)
    t.run = SolverRun.objects.create(
        organization=c.org,
        program=c.program_a,
        week=monday,
        status="done",
        result={"groups": [], "appointments": []},
    )
    _feed, t.token = feed_create_for_patient(actor=c.director_a, patient=c.patient_a)
    t.own_feed, _token = feed_create_for_self(actor=c.clinician_a, organization_id=c.org.pk)
    c._sched = t
    return t


S = "scheduling/sessions/<uuid:session_uuid>/"
R = "scheduling/runs/<uuid:run_uuid>/"
P = "scheduling/programs/<uuid:program_uuid>/"


def _session(suffix, method, ok, status=200):
    return (
        method,
        lambda c: f"/scheduling/sessions/{things(c).session.uuid}/{suffix}",
        None,
        expect({**each(ok, status), "clinician_b": 404 if "clinician_b" not in ok else status}),
    )


def _run(suffix, method, ok, status):
    return (
        method,
        lambda c: f"/scheduling/runs/{things(c).run.uuid}/{suffix}",
        None,
        expect(each(ok, status)),
    )


def _program(suffix, extra=""):
    return (
        "get",
        lambda c: f"/scheduling/programs/{c.program_a.uuid}/{suffix}{extra and extra(c)}",
        None,
        expect(each(DIRECTOR, 200)),
    )


MATRIX = {
    ("scheduling/", "week"): (
        "get",
        lambda c: "/scheduling/",
        None,
        expect(each(READERS | {"clinician_b"}, 200)),
    ),
    ("scheduling/day/<str:date>/", "day"): (
        "get",
        lambda c: f"/scheduling/day/{timezone.localdate()}/",
        None,
        expect(each(READERS | {"clinician_b"}, 200)),
    ),
    ("scheduling/sessions/new/", "session_new"): (
        "get",
        lambda c: "/scheduling/sessions/new/",
        None,
        expect(each(DIRECTOR, 200)),
    ),
    (S, "session"): _session("", "get", READERS),
    (S + "print/", "session_print"): _session("print/", "get", READERS),
    (S + "roster/", "roster_add"): (
        "post",
        lambda c: f"/scheduling/sessions/{things(c).session.uuid}/roster/",
        None,
        expect(each(DIRECTOR, 302)),
    ),
    (S + "roster/remove/", "roster_remove"): (
        "post",
        lambda c: f"/scheduling/sessions/{things(c).session.uuid}/roster/remove/",
        None,
        expect(each(DIRECTOR, 302)),
    ),
    (S + "cancel/", "session_cancel"): (
        "post",
        lambda c: f"/scheduling/sessions/{things(c).session.uuid}/cancel/",
        None,
        expect(each(DIRECTOR, 302)),
    ),
    (S + "note/", "note_start"): _session("note/", "post", NOTE_READERS, 302),
    ("scheduling/plan/", "plan"): (
        "get",
        lambda c: "/scheduling/plan/",
        None,
        expect(each(DIRECTOR, 200)),
    ),
    (R, "run"): (
        "get",
        lambda c: f"/scheduling/runs/{things(c).run.uuid}/",
        None,
        expect({**each(READERS, 200), "clinician_b": 404}),
    ),
    (R + "publish/", "run_publish"): _run("publish/", "post", DIRECTOR, 302),
    (R + "discard/", "run_discard"): _run("discard/", "post", DIRECTOR, 302),
    (R + "apply/", "run_apply"): _run("apply/", "post", DIRECTOR, 302),
    (P + "repair/", "repair"): _program("repair/"),
    (P + "series/", "series"): _program("series/"),
    (P + "staff/", "staff"): _program("staff/"),
    (P + "staff/<uuid:user_uuid>/", "staff_edit"): (
        "get",
        lambda c: f"/scheduling/programs/{c.program_a.uuid}/staff/{c.clinician_a.uuid}/",
        None,
        expect(each(DIRECTOR, 200)),
    ),
    (P + "rooms/", "rooms"): _program("rooms/"),
    (P + "rooms/<uuid:room_uuid>/", "room_edit"): (
        "get",
        lambda c: f"/scheduling/programs/{c.program_a.uuid}/rooms/{things(c).room.uuid}/",
        None,
        expect(each(DIRECTOR, 200)),
    ),
    ("scheduling/types/", "types"): (
        "get",
        lambda c: "/scheduling/types/",
        None,
        expect(each(TYPE_READERS, 200)),
    ),
    ("scheduling/types/<uuid:type_uuid>/", "type_edit"): (
        "get",
        lambda c: f"/scheduling/types/{things(c).type.uuid}/",
        None,
        expect(each({"director_a", "admin"}, 200)),
    ),
    ("scheduling/patients/<uuid:patient_uuid>/", "patient"): (
        "get",
        lambda c: f"/scheduling/patients/{c.patient_a.uuid}/",
        None,
        expect({**each(READERS, 200), "clinician_b": 404}),
    ),
    ("scheduling/patients/<uuid:patient_uuid>/feeds/", "patient_feed"): (
        "post",
        lambda c: f"/scheduling/patients/{c.patient_a.uuid}/feeds/",
        None,
        expect({**each({"clinician_a", "director_a", "intake"}, 302), "clinician_b": 404}),
    ),
    ("scheduling/alerts/", "alerts"): (
        "get",
        lambda c: "/scheduling/alerts/",
        None,
        expect(each(READERS | {"clinician_b"}, 200)),
    ),
    ("scheduling/notes/", "notes"): (
        "get",
        lambda c: "/scheduling/notes/",
        None,
        expect(each(NOTE_READERS | {"clinician_b"}, 200)),
    ),
    ("scheduling/notes/<uuid:note_uuid>/", "note"): (
        "get",
        lambda c: f"/scheduling/notes/{things(c).note.uuid}/",
        None,
        expect({**each(NOTE_READERS, 200), "clinician_b": 404}),
    ),
    ("scheduling/feeds/", "my_feeds"): (
        "get",
        lambda c: "/scheduling/feeds/",
        None,
        expect(each(set(STAFF) | {"patient_user"}, 200)),
    ),
    ("scheduling/feeds/<uuid:feed_uuid>/revoke/", "feed_revoke"): (
        "post",
        lambda c: f"/scheduling/feeds/{things(c).own_feed.uuid}/revoke/",
        None,
        expect({"clinician_a": 302}, default=404),
    ),
    ("calendar/<str:token>.ics", "ics"): (
        "get",
        lambda c: f"/calendar/{things(c).token}.ics",
        None,
        dict.fromkeys(EVERYONE, 200),
    ),
    # API
    ("api/v1/scheduling/session-types", "list_session_types"): (
        "get",
        lambda c: "/api/v1/scheduling/session-types",
        None,
        expect(each(TYPE_READERS, 200), api=True),
    ),
    ("api/v1/scheduling/sessions", "list_sessions"): (
        "get",
        lambda c: f"/api/v1/scheduling/sessions?week={things(c).session.date}",
        None,
        expect(each(READERS | {"clinician_b"}, 200), api=True),
    ),
    ("api/v1/scheduling/sessions", "create_session"): (
        "post",
        lambda c: "/api/v1/scheduling/sessions",
        lambda c: {
            "program": str(c.program_a.uuid),
            "session_type": "psychoeducation",
            "date": str(timezone.localdate() + dt.timedelta(days=2)),
            "start_time": "10:00",
            "room": str(things(c).room.uuid),
            "topic": "Relapse prevention",
        },
        expect({**each(DIRECTOR, 201)}, api=True),
    ),
    ("api/v1/scheduling/sessions/<session_uuid>", "get_session"): (
        "get",
        lambda c: f"/api/v1/scheduling/sessions/{things(c).session.uuid}",
        None,
        expect({**each(READERS, 200), "clinician_b": 404}, api=True),
    ),
    ("api/v1/scheduling/sessions/<session_uuid>/roster", "add_to_roster"): (
        "post",
        lambda c: f"/api/v1/scheduling/sessions/{things(c).session.uuid}/roster",
        lambda c: {"patient": str(things(c).extra.patient.uuid)},
        expect(each(DIRECTOR, 201), api=True),
    ),
    ("api/v1/scheduling/sessions/<session_uuid>/attendance", "record_attendance"): (
        "put",
        lambda c: f"/api/v1/scheduling/sessions/{things(c).session.uuid}/attendance",
        lambda c: {"marks": [{"patient": str(c.patient_a.uuid), "status": "late", "minutes": 60}]},
        expect({**each(NOTE_READERS, 200), "clinician_b": 404}, api=True),
    ),
    ("api/v1/scheduling/patients/<patient_uuid>/availability", "get_availability"): (
        "get",
        lambda c: f"/api/v1/scheduling/patients/{c.patient_a.uuid}/availability",
        None,
        expect({**each(READERS, 200), "clinician_b": 404}, api=True),
    ),
    ("api/v1/scheduling/patients/<patient_uuid>/availability", "put_availability"): (
        "put",
        lambda c: f"/api/v1/scheduling/patients/{c.patient_a.uuid}/availability",
        lambda c: {"windows": [{"weekday": 0, "start_time": "17:00", "end_time": "21:00"}]},
        expect(
            {**each({"clinician_a", "director_a", "intake"}, 200), "clinician_b": 404}, api=True
        ),
    ),
    ("api/v1/scheduling/patients/<patient_uuid>/hours", "get_hours"): (
        "get",
        lambda c: f"/api/v1/scheduling/patients/{c.patient_a.uuid}/hours",
        None,
        expect({**each(READERS, 200), "clinician_b": 404}, api=True),
    ),
    ("api/v1/scheduling/sessions/<session_uuid>/note", "start_note"): (
        "post",
        lambda c: f"/api/v1/scheduling/sessions/{things(c).session.uuid}/note",
        None,
        expect({**each(NOTE_READERS, 201), "clinician_b": 404}, api=True),
    ),
    ("api/v1/scheduling/notes/<note_uuid>", "get_note"): (
        "get",
        lambda c: f"/api/v1/scheduling/notes/{things(c).note.uuid}",
        None,
        expect({**each(NOTE_READERS, 200), "clinician_b": 404}, api=True),
    ),
    ("api/v1/scheduling/notes/<note_uuid>", "save_note"): (
        "put",
        lambda c: f"/api/v1/scheduling/notes/{things(c).note.uuid}",
        lambda c: {"revision": 1, "topic": "Coping with cravings", "group_part": "Synthetic."},
        expect({**each(NOTE_READERS, 200), "clinician_b": 404}, api=True),
    ),
    ("api/v1/scheduling/notes/<note_uuid>/sign", "sign_note"): (
        "post",
        lambda c: f"/api/v1/scheduling/notes/{things(c).note.uuid}/sign",
        lambda c: {},
        # a draft without its group part is refused, whoever signs it
        expect({**each(NOTE_READERS, 400), "clinician_b": 404}, api=True),
    ),
    ("api/v1/scheduling/notes/<note_uuid>/addenda", "add_addendum"): (
        "post",
        lambda c: f"/api/v1/scheduling/notes/{things(c).note.uuid}/addenda",
        lambda c: {"text": "Late entry."},
        # addenda follow a signed note; this one is a draft
        expect({**each(NOTE_READERS, 400), "clinician_b": 404}, api=True),
    ),
    ("api/v1/scheduling/solver-runs", "start_run"): (
        "post",
        lambda c: "/api/v1/scheduling/solver-runs",
        lambda c: {"program": str(c.program_a.uuid), "week": str(timezone.localdate())},
        # nobody has working hours in the matrix world: refused with a reason
        expect(each(DIRECTOR, 400), api=True),
    ),
    ("api/v1/scheduling/solver-runs/<run_uuid>", "get_run"): (
        "get",
        lambda c: f"/api/v1/scheduling/solver-runs/{things(c).run.uuid}",
        None,
        expect({**each(READERS, 200), "clinician_b": 404}, api=True),
    ),
    ("api/v1/scheduling/solver-runs/<run_uuid>/publish", "publish_run"): (
        "post",
        lambda c: f"/api/v1/scheduling/solver-runs/{things(c).run.uuid}/publish",
        None,
        expect(each(DIRECTOR, 200), api=True),
    ),
}
