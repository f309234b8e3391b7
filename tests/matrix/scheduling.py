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
    from openiop.organizations.models import Room
    from openiop.scheduling.models import SessionType, SolverRun
    from openiop.scheduling.services.attendance import Mark, attendance_record
    from openiop.scheduling.services.feeds import feed_create_for_patient, feed_create_for_self
    from openiop.scheduling.services.notes import note_start
    from openiop.scheduling.services.sessions import roster_add, session_create
    from openiop.scheduling.services.types import session_types_ensure

    t = type("Scheduling", (), {})()
    today = timezone.localdate()
    monday = today - dt.timedelta(days=today.weekday())
    session_types_ensure(c.org)
    t.type = SessionType.objects.get(organization=c.org, code="group_therapy")
    t.room = Room.objects.create(site=c.program_a.site, name="Matrix Room", capacity=12)
    t.session = session_create(
        actor=c.director_a,
        program=c.program_a,
        session_type=t.type,
        date=timezone.localdate() - dt.timedelta(days=1),
        start_time=dt.time(9),
        room=t.room,
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
}
