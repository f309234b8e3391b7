"""Arithmetic on sets of weekly windows (tuples of `Interval`)."""

from __future__ import annotations

from collections.abc import Iterable

from openiop.scheduling.solver.model import ALL_WEEK, Interval


def normalize(windows: Iterable[Interval]) -> tuple[Interval, ...]:
    """Sorted, with touching or overlapping windows merged."""
    out: list[Interval] = []
    for w in sorted(windows):
        if out and out[-1].day == w.day and w.start <= out[-1].end:
            if w.end > out[-1].end:
                out[-1] = Interval(w.day, out[-1].start, w.end)
        else:
            out.append(w)
    return tuple(out)


def subtract(windows: Iterable[Interval], removed: Iterable[Interval]) -> tuple[Interval, ...]:
    result = list(normalize(windows))
    for cut in normalize(removed):
        nxt: list[Interval] = []
        for w in result:
            if not w.overlaps(cut):
                nxt.append(w)
                continue
            if w.start < cut.start:
                nxt.append(Interval(w.day, w.start, cut.start))
            if cut.end < w.end:
                nxt.append(Interval(w.day, cut.end, w.end))
        result = nxt
    return tuple(result)


def intersect(a: Iterable[Interval], b: Iterable[Interval]) -> tuple[Interval, ...]:
    out = []
    b_by_day: dict[int, list[Interval]] = {}
    for w in normalize(b):
        b_by_day.setdefault(w.day, []).append(w)
    for w in normalize(a):
        for v in b_by_day.get(w.day, ()):
            lo, hi = max(w.start, v.start), min(w.end, v.end)
            if lo < hi:
                out.append(Interval(w.day, lo, hi))
    return normalize(out)


def covers(windows: Iterable[Interval], interval: Interval) -> bool:
    return any(w.contains(interval) for w in windows)


def total_minutes(windows: Iterable[Interval]) -> int:
    return sum(w.minutes for w in normalize(windows))


def room_open(
    open_hours: tuple[Interval, ...] | None, closed: Iterable[Interval]
) -> tuple[Interval, ...]:
    return subtract(ALL_WEEK if open_hours is None else open_hours, closed)
