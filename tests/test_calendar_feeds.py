"""Calendar feeds that every parser reads right. Found: the VTIMEZONE was
icalendar's RDATE lists for 1970-2038, and vobject and ical.js read 5 of 10
sessions in daylight-saving months an hour off; every UID was built from the
request's Host header, so it changed behind a proxy or under a new domain.

A feed spanning both changes of a year is read by three parsers we did not
write (vobject, recurring-ical-events on icalendar, and ical.js through node),
and each event's start and end in UTC must be the session's own instants."""

import datetime as dt
import json
import os
import shutil
import subprocess
import uuid
import zoneinfo
from pathlib import Path

import icalendar
import pytest
import recurring_ical_events
import vobject
from django.utils import timezone

from openiop.scheduling.ical import feed_calendar
from openiop.scheduling.models import Session
from openiop.scheduling.services.feeds import feed_create_for_patient
from openiop.scheduling.services.sessions import roster_add, session_create
from openiop.scheduling.vtimezone import vtimezone
from tests.scheduling_helpers import world
from tests.test_settings import GOOD_KEY, run

ROOT = Path(__file__).resolve().parent.parent
ICALJS = ROOT / ".ci" / "validators" / "ical"
US_ZONES = [
    "America/Los_Angeles",
    "America/Denver",
    "America/Phoenix",
    "America/Chicago",
    "America/New_York",
    "America/Anchorage",
    "Pacific/Honolulu",
]
YEAR = dt.date.today().year + 1


def private(zone: str) -> str:
    """A TZID no library knows: icalendar reads a known IANA name from zoneinfo
    and would never look at our VTIMEZONE (and it caches zones by TZID, hence
    a new one each time)."""
    return f"X-Test-{zone.replace('/', '-')}-{uuid.uuid4().hex}"


def dst_sessions(cast, zone: str) -> list[Session]:
    """Sessions of program A's site, moved to `zone`, every fourth day around
    both changes of YEAR, plus mornings on the changes' own Sundays."""
    site = cast.program_a.site
    site.time_zone = zone
    site.save(update_fields=["time_zone"])
    w = world(cast, patients=0, series=False)
    days = [dt.date(YEAR, 2, 20) + dt.timedelta(days=4 * i) for i in range(10)]
    days += [dt.date(YEAR, 10, 16) + dt.timedelta(days=4 * i) for i in range(10)]
    made = []
    for day in days:
        made.append((day, dt.time(18)))
    for month in (3, 11):  # the second Sunday of March, the first of November
        first = dt.date(YEAR, month, 1)
        sunday = first + dt.timedelta(days=(6 - first.weekday()) % 7)
        made.append((sunday + dt.timedelta(days=7 if month == 3 else 0), dt.time(9)))
    sessions = []
    for day, start in made:
        session = session_create(
            actor=cast.director_a,
            program=cast.program_a,
            session_type=w.types["group_therapy"],
            date=day,
            start_time=start,
            room=w.group_room,
        )
        roster_add(actor=cast.director_a, session=session, patient=cast.patient_a)
        sessions.append(session)
    return list(
        Session.objects.filter(pk__in=[s.pk for s in sessions])
        .select_related("session_type", "room", "program__site")
        .order_by("starts_at")
    )


def expected(sessions) -> dict[str, tuple[dt.datetime, dt.datetime]]:
    from django.conf import settings

    return {f"{s.uuid}@{settings.SITE_DOMAIN}": (s.starts_at, s.ends_at) for s in sessions}


@pytest.fixture(params=US_ZONES)
def feed(request, cast):
    sessions = dst_sessions(cast, request.param)
    return request.param, sessions, feed_calendar(sessions, name="My IOP sessions")


def test_the_feed_spans_both_changes_with_yearly_rules(feed):
    zone, sessions, body = feed
    offsets = {s.starts_at.astimezone(zoneinfo.ZoneInfo(zone)).utcoffset() for s in sessions}
    text = body.decode()
    if zone in ("America/Phoenix", "Pacific/Honolulu"):
        assert len(offsets) == 1 and "RRULE" not in text
    else:
        assert len(offsets) == 2
        assert "RRULE:FREQ=YEARLY;BYDAY=2SU;BYMONTH=3" in text
        assert "RRULE:FREQ=YEARLY;BYDAY=1SU;BYMONTH=11" in text
    assert "RDATE" not in text and text.count("BEGIN:VTIMEZONE") == 1


def test_vobject_reads_every_session_at_its_instant(feed):
    _zone, sessions, body = feed
    want = expected(sessions)
    cal = vobject.readOne(body.decode())
    got = {
        ev.uid.value: (
            ev.dtstart.value.astimezone(dt.UTC),
            ev.dtend.value.astimezone(dt.UTC),
        )
        for ev in cal.vevent_list
    }
    assert got == want


def test_recurring_ical_events_reads_every_session_at_its_instant(feed):
    zone, sessions, body = feed
    want = expected(sessions)
    cal = icalendar.Calendar.from_ical(body.decode().replace(zone, private(zone)))
    events = recurring_ical_events.of(cal).between(
        dt.datetime(YEAR, 1, 1, tzinfo=dt.UTC), dt.datetime(YEAR + 1, 1, 1, tzinfo=dt.UTC)
    )
    got = {}
    for ev in events:
        start, end = ev.decoded("dtstart"), ev.decoded("dtend")
        assert not isinstance(start.tzinfo, zoneinfo.ZoneInfo)  # read from the VTIMEZONE
        got[str(ev["uid"])] = (start.astimezone(dt.UTC), end.astimezone(dt.UTC))
    assert got == want


def vobject_zone(component: str):
    """vobject's reading of a VTIMEZONE (as a tzinfo), inside a calendar."""
    text = f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\n{component}END:VCALENDAR\r\n"
    return vobject.readOne(text).vtimezone.gettzinfo()


def icaljs_ready() -> bool:
    return bool(shutil.which("node")) and (ICALJS / "node_modules" / "ical.js").is_dir()


def icaljs(tmp_path, body: bytes, want) -> subprocess.CompletedProcess:
    if not icaljs_ready():
        if os.environ.get("CALENDAR_PARSERS_REQUIRED"):
            pytest.fail("node and .ci/validators/ical/node_modules are required (npm ci)")
        pytest.skip("ical.js not installed: npm ci --prefix .ci/validators/ical")
    (tmp_path / "feed.ics").write_bytes(body)
    iso = {
        uid: {"start": f"{a:%Y-%m-%dT%H:%M:%SZ}", "end": f"{b:%Y-%m-%dT%H:%M:%SZ}"}
        for uid, (a, b) in want.items()
    }
    (tmp_path / "feed.expected.json").write_text(json.dumps({"events": iso}))
    return subprocess.run(
        ["node", str(ICALJS / "check.mjs"), str(tmp_path / "feed.ics")],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_ical_js_reads_every_session_at_its_instant(feed, tmp_path):
    _zone, sessions, body = feed
    result = icaljs(tmp_path, body, expected(sessions))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().endswith("1 passed, 0 failed")


def test_the_ical_js_check_fails_an_event_read_an_hour_off(cast, tmp_path):
    """The check itself can fail: the same feed with an instant an hour late."""
    sessions = dst_sessions(cast, "America/Los_Angeles")
    want = expected(sessions)
    uid = next(iter(want))
    start, end = want[uid]
    want[uid] = (start + dt.timedelta(hours=1), end)
    result = icaljs(tmp_path, feed_calendar(sessions, name="x"), want)
    assert result.returncode == 1
    assert f"{uid}: DTSTART read as" in result.stdout


@pytest.mark.parametrize(
    "zone",
    US_ZONES + ["Europe/Berlin", "Australia/Sydney", "America/Santiago", "America/Sao_Paulo"],
)
def test_the_vtimezone_gives_zoneinfos_offset_at_every_hour(zone):
    """Two readers of the VTIMEZONE alone (vobject's, icalendar's) against
    zoneinfo, hour by hour over the years it covers."""
    first, last = dt.date(YEAR - 1, 12, 1), dt.date(YEAR, 12, 31)
    component = vtimezone(zone, first, last).to_ical().decode()
    ours = component.replace(zone, private(zone))
    by_vobject = vobject_zone(ours)
    by_icalendar = icalendar.Timezone.from_ical(ours).to_tz()
    truth = zoneinfo.ZoneInfo(zone)
    moment = dt.datetime(first.year, first.month, first.day, tzinfo=dt.UTC)
    wrong = []
    while moment.date() <= last:
        want = moment.astimezone(truth).utcoffset()
        for name, tz in (("vobject", by_vobject), ("icalendar", by_icalendar)):
            if moment.astimezone(tz).utcoffset() != want:
                wrong.append((name, moment))
        moment += dt.timedelta(hours=1)
    assert wrong == []


def test_a_rule_that_changed_closes_with_until():
    """America/Sao_Paulo kept DST until 2019: the old rule ends, the new
    offset holds from then on."""
    text = vtimezone("America/Sao_Paulo", dt.date(2018, 6, 1), dt.date(2020, 6, 1)).to_ical()
    body = text.decode()
    assert "RDATE" not in body
    ours = body.replace("America/Sao_Paulo", private("America/Sao_Paulo"))
    tz = vobject_zone(ours)
    truth = zoneinfo.ZoneInfo("America/Sao_Paulo")
    moment = dt.datetime(2018, 1, 1, tzinfo=dt.UTC)
    while moment.year < 2021:
        assert moment.astimezone(tz).utcoffset() == moment.astimezone(truth).utcoffset(), moment
        moment += dt.timedelta(hours=6)


def test_a_uid_does_not_change_with_the_host(cast, settings):
    settings.ALLOWED_HOSTS = ["iop.example.org", "proxy.internal", "testserver"]
    when = timezone.localdate() + dt.timedelta(days=3)
    w = world(cast, patients=0, series=False)
    session = session_create(
        actor=cast.director_a,
        program=cast.program_a,
        session_type=w.types["group_therapy"],
        date=when,
        start_time=dt.time(18),
        room=w.group_room,
    )
    roster_add(actor=cast.director_a, session=session, patient=cast.patient_a)
    _feed, token = feed_create_for_patient(actor=cast.clinician_a, patient=cast.patient_a)
    anonymous = cast.client(None)

    def uids(host):
        body = anonymous.get(f"/calendar/{token}.ics", HTTP_HOST=host).content
        return [str(e["uid"]) for e in icalendar.Calendar.from_ical(body).walk("VEVENT")]

    first = uids("iop.example.org")
    assert first == [f"{session.uuid}@openiop.invalid"]
    assert uids("proxy.internal") == first
    settings.SITE_DOMAIN = "iop.example.org"
    assert uids("proxy.internal") == [f"{session.uuid}@iop.example.org"]


def test_a_site_domain_that_is_not_a_domain_is_refused():
    result = run(
        "import django; django.setup()",
        DEBUG="0",
        SECRET_KEY=GOOD_KEY,
        ALLOWED_HOSTS="iop.example.org",
        SITE_DOMAIN="iop.example.org/calendar",
    )
    assert result.returncode != 0
    assert "SITE_DOMAIN must be a domain name" in result.stderr
    fine = run(
        "import django; django.setup(); from django.conf import settings;"
        "print(settings.SITE_DOMAIN)",
        DEBUG="0",
        SECRET_KEY=GOOD_KEY,
        ALLOWED_HOSTS="iop.example.org",
        SITE_DOMAIN="IOP.Example.org",
    )
    assert fine.stdout.strip() == "iop.example.org", fine.stderr


def _sunday(month: int, nth: int) -> dt.date:
    first = dt.date(YEAR, month, 1)
    return first + dt.timedelta(days=(6 - first.weekday()) % 7 + 7 * (nth - 1))


def test_an_end_in_the_repeated_hour_is_read_exactly(cast):
    """00:30 PDT for 90 minutes ends at 01:00 PST, a wall time the clocks show twice;
    written as 01:00 local it would be read as the first showing (RFC 5545 3.3.5),
    an hour early (found by an outside check with ical.js)."""
    site = cast.program_a.site
    site.time_zone = "America/Los_Angeles"
    site.save(update_fields=["time_zone"])
    w = world(cast, patients=0, series=False)
    session = session_create(
        actor=cast.director_a,
        program=cast.program_a,
        session_type=w.types["group_therapy"],
        date=_sunday(11, 1),
        start_time=dt.time(0, 30),
        duration_min=90,
        room=w.group_room,
    )
    session = Session.objects.select_related("session_type", "room", "program__site").get(
        pk=session.pk
    )
    body = feed_calendar([session], name="Night")
    event = vobject.readOne(body.decode()).vevent
    assert event.dtend.value.astimezone(dt.UTC) == session.ends_at
    assert event.dtstart.value.astimezone(dt.UTC) == session.starts_at


def test_a_time_the_clocks_skip_is_refused(cast):
    from openiop.core.errors import ApplicationError

    site = cast.program_a.site
    site.time_zone = "America/Los_Angeles"
    site.save(update_fields=["time_zone"])
    w = world(cast, patients=0, series=False)
    with pytest.raises(ApplicationError) as refused:
        session_create(
            actor=cast.director_a,
            program=cast.program_a,
            session_type=w.types["group_therapy"],
            date=_sunday(3, 2),
            start_time=dt.time(2, 30),
            room=w.group_room,
        )
    assert "start_time" in refused.value.fields and "skip" in refused.value.message
    assert not Session.objects.filter(date=_sunday(3, 2)).exists()
