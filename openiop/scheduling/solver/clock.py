"""Site-local wall-clock time to UTC.

The solver works in local wall-clock minutes, so a session at 18:00 stays at
18:00 local whichever side of a DST change its day falls. Storing or sending
it (iCalendar, the database) needs the absolute instant: these helpers give it.

Local times that do not exist (the hour skipped in spring) or happen twice
(the hour repeated in autumn) follow RFC 5545 section 3.3.5: a skipped time is
read with the offset in force before the gap (02:30 becomes 03:30), a repeated
time is its first occurrence.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from openiop.scheduling.solver.model import Instance, InstanceError, Interval


def zone(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise InstanceError(f"'{name}' is not a known time zone.", field="time_zone") from None


def local_datetime(week: dt.date, day: int, minute: int, time_zone: str) -> dt.datetime:
    """The aware local datetime of weekday `day` (0 = Monday of `week`) at `minute`."""
    if week.weekday() != 0:
        raise InstanceError(f"A week starts on a Monday; {week:%Y-%m-%d} is not one.", field="week")
    date = week + dt.timedelta(days=day)
    naive = dt.datetime.combine(date, dt.time()) + dt.timedelta(minutes=minute)
    return naive.replace(tzinfo=zone(time_zone), fold=0)


def local_to_utc(week: dt.date, day: int, minute: int, time_zone: str) -> dt.datetime:
    return local_datetime(week, day, minute, time_zone).astimezone(dt.UTC)


def interval_utc(
    week: dt.date, interval: Interval, time_zone: str
) -> tuple[dt.datetime, dt.datetime]:
    """(start, end) of a local interval as aware UTC datetimes."""
    start = local_to_utc(week, interval.day, interval.start, time_zone)
    end = local_to_utc(week, interval.day, interval.end, time_zone)
    return start, end


def session_utc(
    instance: Instance, site_id: str, interval: Interval
) -> tuple[dt.datetime, dt.datetime]:
    return interval_utc(instance.week, interval, instance.site[site_id].time_zone)
