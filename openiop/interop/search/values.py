"""Search values as FHIR R4 defines them (3.1.1.4 and 3.1.1.5): comma lists,
prefixes on dates, partial dates as ranges, tokens with a system, references.

Pure functions: each parser raises `BadValue` with one plain sentence, which
the request parser turns into a 400 OperationOutcome naming the parameter.
"""

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

from django.utils import timezone


class BadValue(ValueError):
    pass


def split_or(raw: str) -> list[str]:
    """`a,b` is a OR b; `\\,` is a literal comma (3.1.1.5.7)."""
    parts, current, escaped = [], [], False
    for ch in raw:
        if escaped:
            current.append(ch if ch in ",$|\\" else "\\" + ch)
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == ",":
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current) + ("\\" if escaped else ""))
    return parts


def split_token(raw: str) -> tuple[str | None, str]:
    """`system|code` -> (system, code); `|code` -> ("", code): no system;
    `code` -> (None, code): any system. `\\|` is a literal bar."""
    marker = "\x00"
    text = raw.replace("\\|", marker)
    if "|" not in text:
        return None, text.replace(marker, "|")
    system, _, code = text.partition("|")
    return system.replace(marker, "|"), code.replace(marker, "|")


def fold(text: str) -> str:
    """Case- and accent-insensitive form for string search (3.1.1.5.2)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


# dates -------------------------------------------------------------------------------

PREFIXES = ("eq", "ne", "gt", "lt", "ge", "le")
UNSUPPORTED_PREFIXES = ("sa", "eb", "ap")
DATE_RE = re.compile(
    r"^(?P<y>\d{4})(-(?P<m>\d{2})(-(?P<d>\d{2})"
    r"(T(?P<H>\d{2}):(?P<M>\d{2})(:(?P<S>\d{2})(\.\d+)?)?(?P<tz>Z|[+-]\d{2}:\d{2})?)?)?)?$"
)


@dataclass(frozen=True)
class DateRange:
    """[start, end): the moments a (partial) date or time stands for."""

    prefix: str
    start: dt.datetime
    end: dt.datetime

    def days(self) -> tuple[dt.date, dt.date]:
        """The same range as whole local days, for a column that holds a date."""
        zone = timezone.get_current_timezone()
        first = self.start.astimezone(zone).date()
        last = self.end.astimezone(zone)
        end = last.date() if last.time() == dt.time(0) else last.date() + dt.timedelta(days=1)
        return first, end

    def matches(self, start: dt.datetime, end: dt.datetime | None) -> bool:
        """Whether a target range [start, end) matches (end None: still open)."""
        far = dt.datetime.max.replace(tzinfo=dt.UTC)
        end = end or far
        eq = self.start <= start and end <= self.end
        if self.prefix == "eq":
            return eq
        if self.prefix == "ne":
            return not eq
        above = end > self.end
        below = start < self.start
        if self.prefix == "gt":
            return above
        if self.prefix == "lt":
            return below
        if self.prefix == "ge":
            return above or eq
        return below or eq  # le


def _add_months(day: dt.date, months: int) -> dt.date:
    total = day.year * 12 + day.month - 1 + months
    return dt.date(total // 12, total % 12 + 1, 1)


def parse_date(raw: str) -> DateRange:
    """`ge1970-01-01`, `1992`, `2026-03`, `2026-03-08T10:00:00-08:00`; a time
    without a zone is in the program's zone."""
    prefix, value = "eq", raw
    if raw[:2] in PREFIXES:
        prefix, value = raw[:2], raw[2:]
    elif raw[:2] in UNSUPPORTED_PREFIXES:
        raise BadValue(f"The prefix {raw[:2]} is not supported: use eq, ne, gt, lt, ge or le.")
    match = DATE_RE.match(value)
    if not match:
        raise BadValue(
            f"{value!r} is not a date: write 2026, 2026-03, 2026-03-08 or "
            "2026-03-08T18:00:00-08:00, with an optional prefix such as ge."
        )
    g = match.groupdict()
    zone = timezone.get_current_timezone()
    if g["tz"]:
        zone = dt.UTC if g["tz"] == "Z" else _offset(g["tz"])
    try:
        year = int(g["y"])
        if g["m"] is None:
            start, end = dt.date(year, 1, 1), dt.date(year + 1, 1, 1)
        elif g["d"] is None:
            start = dt.date(year, int(g["m"]), 1)
            end = _add_months(start, 1)
        else:
            start = dt.date(year, int(g["m"]), int(g["d"]))
            end = start + dt.timedelta(days=1)
        if g["H"] is None:
            begin = dt.datetime.combine(start, dt.time(0), tzinfo=zone)
            finish = dt.datetime.combine(end, dt.time(0), tzinfo=zone)
        else:
            second = int(g["S"]) if g["S"] is not None else 0
            begin = dt.datetime.combine(
                start, dt.time(int(g["H"]), int(g["M"]), second), tzinfo=zone
            )
            finish = begin + dt.timedelta(seconds=1 if g["S"] is not None else 60)
    except (ValueError, OverflowError):
        raise BadValue(f"{value!r} is not a date that exists.") from None
    return DateRange(prefix, begin, finish)


def _offset(text: str) -> dt.timezone:
    sign = 1 if text[0] == "+" else -1
    hours, minutes = int(text[1:3]), int(text[4:6])
    if hours > 14 or minutes > 59:
        raise BadValue(f"{text} is not a time zone offset.")
    return dt.timezone(sign * dt.timedelta(hours=hours, minutes=minutes))


def target_range(value) -> tuple[dt.datetime, dt.datetime | None] | None:
    """A resource's date, dateTime, instant or Period as [start, end)."""
    if isinstance(value, dict):
        start = target_range(value.get("start")) if value.get("start") else None
        end = target_range(value.get("end")) if value.get("end") else None
        if start is None and end is None:
            return None
        low = start[0] if start else dt.datetime.min.replace(tzinfo=dt.UTC)
        return low, (end[1] if end else None)
    if not isinstance(value, str):
        return None
    try:
        parsed = parse_date(value)
    except BadValue:
        return None
    return parsed.start, parsed.end


# references --------------------------------------------------------------------------


def reference_id(raw: str, resource_type: str = "Patient") -> str:
    """`Patient/123`, `123` or `https://host/fhir/R4/Patient/123` -> `123`."""
    value = raw.strip().rstrip("/")
    parts = value.split("/")
    if len(parts) >= 2 and parts[-2] != resource_type:
        raise BadValue(f"{raw!r} does not refer to a {resource_type}.")
    return parts[-1]


def whole_number(raw: str, name: str, low: int, high: int | None = None) -> int:
    try:
        number = int(raw)
    except (TypeError, ValueError):
        raise BadValue(f"{name} is a whole number.") from None
    if number < low:
        raise BadValue(f"{name} is {low} or more.")
    if high is not None and number > high:
        raise BadValue(f"{name} is at most {high}.")
    return number
