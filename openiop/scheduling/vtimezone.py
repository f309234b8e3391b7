"""VTIMEZONE components as calendar clients read them: yearly RRULEs.

icalendar's `add_missing_timezones()` writes every transition from 1970 to
2038 as RDATE lists; ical.js and vobject then read sessions in daylight-saving
months an hour off. Here the zone's transitions are taken from zoneinfo, year
by year, and each run of years that follows one rule ("the second Sunday of
March at 02:00, -0800 to -0700") becomes one observance with
RRULE:FREQ=YEARLY;BYMONTH=m;BYDAY=nSU, as in the examples of RFC 5545 3.6.5.
A run that ends before the feed's last year closes with an UNTIL in UTC; a
transition that follows no weekday rule stays a one-off observance (DTSTART
alone, never RDATE). A zone without transitions gets one observance.

The rules cover the years of the events (from the year before the first one,
stretched back while the rule holds) so every event lies after an onset.
"""

import calendar
import datetime as dt
import functools
import zoneinfo
from dataclasses import dataclass

from icalendar import Timezone, TimezoneDaylight, TimezoneStandard

DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
EARLIEST_YEAR = 1970


@dataclass(frozen=True)
class Transition:
    at: dt.datetime  # the UTC instant
    wall: dt.datetime  # the local time it happens at, in the offset before (naive)
    offset_from: dt.timedelta
    offset_to: dt.timedelta
    dst: bool
    name: str

    @property
    def shape(self) -> tuple:
        """What stays the same from year to year under one rule."""
        return (
            self.wall.month,
            self.wall.weekday(),
            self.wall.time(),
            self.offset_from,
            self.offset_to,
            self.dst,
            self.name,
        )

    @property
    def weekdays(self) -> frozenset[str]:
        """The BYDAY values this date satisfies: the nth weekday, and -1 for the last."""
        day, wd = self.wall.day, DAYS[self.wall.weekday()]
        found = {f"{(day - 1) // 7 + 1}{wd}"}
        if day + 7 > calendar.monthrange(self.wall.year, self.wall.month)[1]:
            found.add(f"-1{wd}")
        return frozenset(found)


def _offset(zone: zoneinfo.ZoneInfo, instant: dt.datetime) -> tuple:
    local = instant.astimezone(zone)
    return local.utcoffset(), local.dst(), local.tzname()


@functools.lru_cache(maxsize=512)
def transitions(name: str, year: int) -> tuple[Transition, ...]:
    """The zone's changes of offset (or name) whose local time falls in `year`,
    from zoneinfo: scanned every 12 hours, then narrowed to the second."""
    zone = zoneinfo.ZoneInfo(name)

    def state(second: int) -> tuple:
        return _offset(zone, dt.datetime.fromtimestamp(second, dt.UTC))

    margin = 15 * 3600  # wider than any UTC offset
    here = int(dt.datetime(year, 1, 1, tzinfo=dt.UTC).timestamp()) - margin
    end = int(dt.datetime(year + 1, 1, 1, tzinfo=dt.UTC).timestamp()) + margin
    step = 12 * 3600
    found: list[Transition] = []
    current = state(here)
    while here < end:
        ahead = here + step
        if state(ahead) == current:
            here = ahead
            continue
        low, high = here, ahead  # the old state at low, the new one at high
        while high - low > 1:
            mid = (low + high) // 2
            if state(mid) == current:
                low = mid
            else:
                high = mid
        at = dt.datetime.fromtimestamp(high, dt.UTC)
        after = state(high)
        found.append(
            Transition(
                at=at,
                wall=(at + current[0]).replace(tzinfo=None),
                offset_from=current[0],
                offset_to=after[0],
                dst=bool(after[1]),
                name=after[2] or "",
            )
        )
        here, current = high, after
    return tuple(t for t in found if t.wall.year == year)


@dataclass
class _Run:
    """Consecutive years whose transitions follow the same rules."""

    first: int
    last: int
    shapes: tuple
    weekdays: list[frozenset[str]]
    occurrences: list[list[Transition]]  # per transition of the year, every year's


def _fits(run: _Run, found: tuple[Transition, ...]) -> bool:
    return tuple(t.shape for t in found) == run.shapes and all(
        run.weekdays[i] & t.weekdays for i, t in enumerate(found)
    )


def _runs(name: str, first_year: int, last_year: int) -> list[_Run]:
    runs: list[_Run] = []
    for year in range(first_year, last_year + 1):
        found = transitions(name, year)
        if runs and _fits(runs[-1], found):
            run = runs[-1]
            run.last = year
            run.weekdays = [run.weekdays[i] & t.weekdays for i, t in enumerate(found)]
            for i, t in enumerate(found):
                run.occurrences[i].append(t)
        else:
            runs.append(
                _Run(
                    first=year,
                    last=year,
                    shapes=tuple(t.shape for t in found),
                    weekdays=[t.weekdays for t in found],
                    occurrences=[[t] for t in found],
                )
            )
    return runs


def _first_year(name: str, year: int) -> int:
    """`year`, moved back while the year before follows the same rules."""
    run = _runs(name, year, year)[0]
    while year > EARLIEST_YEAR:
        before = transitions(name, year - 1)
        if not _fits(run, before):
            break
        run.weekdays = [run.weekdays[i] & t.weekdays for i, t in enumerate(before)]
        year -= 1
    return year


def _byday(choices: frozenset[str]) -> str:
    """The positive count when it always fits (2SU), else the last (-1SU)."""
    positive = sorted(c for c in choices if not c.startswith("-"))
    return positive[0] if positive else sorted(choices)[0]


def _observance(t: Transition):
    part = TimezoneDaylight() if t.dst else TimezoneStandard()
    part.add("tzname", t.name or _label(t.offset_to))
    part.add("tzoffsetfrom", t.offset_from)
    part.add("tzoffsetto", t.offset_to)
    part.add("dtstart", t.wall)
    return part


def _label(offset: dt.timedelta) -> str:
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d}"


def vtimezone(name: str, first: dt.date, last: dt.date) -> Timezone:
    """The VTIMEZONE for zone `name` (an IANA id) covering events from `first`
    to `last`."""
    zone = zoneinfo.ZoneInfo(name)
    tz = Timezone()
    tz.add("tzid", name)
    start = _first_year(name, max(first.year - 1, EARLIEST_YEAR))
    end = last.year + 1
    runs = _runs(name, start, end)
    if not runs[0].shapes:
        # the offset at the start holds until the first transition, if any
        moment = dt.datetime(start, 1, 1, tzinfo=dt.UTC)
        offset, dst, label = _offset(zone, moment)
        part = TimezoneDaylight() if dst else TimezoneStandard()
        part.add("tzname", label or _label(offset))
        part.add("tzoffsetfrom", offset)
        part.add("tzoffsetto", offset)
        part.add("dtstart", dt.datetime(start, 1, 1))
        tz.add_component(part)
    for number, run in enumerate(runs):
        closed = number < len(runs) - 1
        for i, occurrences in enumerate(run.occurrences):
            part = _observance(occurrences[0])
            if len(occurrences) > 1:
                rule = {
                    "freq": "YEARLY",
                    "bymonth": occurrences[0].wall.month,
                    "byday": _byday(run.weekdays[i]),
                }
                if closed:
                    rule["until"] = occurrences[-1].at
                part.add("rrule", rule)
            tz.add_component(part)
    return tz
