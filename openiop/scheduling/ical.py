"""iCalendar (RFC 5545) feeds, with the `icalendar` package.

A feed holds times, places, the session type's label and the telehealth link,
nothing else: no diagnosis, no plan, no note, no other patient's name (a
clinician's feed does not name the patients either). Times carry their site's
zone (TZID with a VTIMEZONE of yearly rules, `vtimezone.py`), so phones show
18:00 as 18:00 across DST. An event's UID is the session's UUID at the
configured SITE_DOMAIN, never the request's host: it stays the same behind a
proxy or under a new domain, so calendars update events instead of doubling
them.
"""

import datetime as dt

from django.conf import settings
from icalendar import Calendar, Event

from openiop.scheduling import localtime
from openiop.scheduling.vtimezone import vtimezone

PRODID = "-//OpenIOP//Scheduling//EN"


def event_uid(session) -> str:
    return f"{session.uuid}@{settings.SITE_DOMAIN}"


def feed_calendar(sessions, *, name: str, cancelled=frozenset()) -> bytes:
    """`cancelled`: ids of sessions cancelled for this feed's person (a place
    given up), whatever the session's own status."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    sessions = list(sessions)
    dates: dict[str, list[dt.date]] = {}
    for s in sessions:
        ends_on = s.ends_at.astimezone(localtime.zone(s.time_zone)).date()
        dates.setdefault(s.time_zone, []).extend((s.date, ends_on))
    for zone_name, days in sorted(dates.items()):
        cal.add_component(vtimezone(zone_name, min(days), max(days)))
    for s in sessions:
        ev = Event()
        ev.add("uid", event_uid(s))
        ev.add("dtstamp", s.updated_at.astimezone(dt.UTC))
        ev.add("dtstart", localtime.local_instant(s.date, s.start_time, s.time_zone))
        ends = s.ends_at.astimezone(localtime.zone(s.time_zone))
        # an end at a wall time the clocks show twice (the hour after a fall-back) is
        # read as its first showing (RFC 5545 3.3.5): written in UTC, it is exact
        ev.add("dtend", ends if localtime.unambiguous(ends) else s.ends_at.astimezone(dt.UTC))
        ev.add("summary", s.session_type.name)
        if s.room_id:
            site = s.program.site
            ev.add(
                "location", f"{s.room.name}, {site.name}, {site.street}, {site.city} {site.state}"
            )
        elif s.telehealth_url:
            ev.add("location", "Telehealth")
            ev.add("url", s.telehealth_url)
            ev.add("description", f"Join online: {s.telehealth_url}")
        gone = s.status == "cancelled" or s.pk in cancelled
        ev.add("status", "CANCELLED" if gone else "CONFIRMED")
        if gone:
            ev.add("sequence", 1)  # a change a calendar client applies
        ev.add("transp", "OPAQUE")
        cal.add_component(ev)
    return cal.to_ical()
