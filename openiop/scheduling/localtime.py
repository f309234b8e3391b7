"""Site-local wall-clock times and the UTC instants they stand for.

A session is kept at its local date and time; its UTC instants are computed
with the zone's rules for that date, so an 18:00 group is at 18:00 local on
both sides of a DST change (and an hour apart in UTC). Times the clock skips
or repeats follow RFC 5545 3.3.5 (fold=0), as the solver's `clock` module does.
"""

import datetime as dt
import zoneinfo

WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def zone(name: str) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(name)


def local_instant(date: dt.date, time: dt.time, time_zone: str) -> dt.datetime:
    return dt.datetime.combine(date, time).replace(tzinfo=zone(time_zone), fold=0)


def unambiguous(moment: dt.datetime) -> bool:
    """Whether this local wall time names one instant (not in a repeated hour)."""
    return moment.replace(fold=0).utcoffset() == moment.replace(fold=1).utcoffset()


def exists(date: dt.date, time: dt.time, time_zone: str) -> bool:
    """Whether the clocks show this time on this day (not in a skipped hour)."""
    local = local_instant(date, time, time_zone)
    back = local.astimezone(dt.UTC).astimezone(zone(time_zone)).replace(tzinfo=None)
    return back == dt.datetime.combine(date, time)


def to_utc(date: dt.date, time: dt.time, time_zone: str) -> dt.datetime:
    return local_instant(date, time, time_zone).astimezone(dt.UTC)


def monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def minutes(time: dt.time) -> int:
    return time.hour * 60 + time.minute


def time_of(minute: int) -> dt.time:
    if minute >= 24 * 60:
        return dt.time(23, 59)
    return dt.time(minute // 60, minute % 60)


def add_minutes(time: dt.time, count: int) -> dt.time:
    return time_of(minutes(time) + count)


def today_in(time_zone: str) -> dt.date:
    from django.utils import timezone

    return timezone.now().astimezone(zone(time_zone)).date()


def week_label(week: dt.date) -> str:
    end = week + dt.timedelta(days=6)
    return f"{week:%b} {week.day} - {end:%b} {end.day}, {end:%Y}"
