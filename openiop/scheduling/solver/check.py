"""An independent checker: recompute hard-rule violations from a schedule alone.

It shares nothing with the optimizer but the input dataclasses: its own
interval arithmetic, no candidate lists, no model. Every output the solver,
the greedy baseline or a repair produces must come back with no violations;
tests plant violations to show it finds them.

Hard rules (violations): nobody double-booked (patient, clinician, room);
group and room capacities (never above 15); facilitator credentials and site;
patient, staff and room hours (working hours minus leave, room closures);
the program's weekly maximum; a clinician's weekly cap; nothing beyond what a
plan prescribes; telehealth only where patient and session type allow it.
Soft rules come back as warnings: groups below their minimum size, patients
below the program's weekly minimum, two sessions of one kind on a day, a
psychoeducation topic twice.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from openiop.scheduling.solver.model import (
    DAY_MINUTES,
    GROUP_HARD_MAX,
    Instance,
    Interval,
    RoomKind,
    Schedule,
)

Span = tuple[int, int, int]  # day, start, end


@dataclass(frozen=True)
class Violation:
    code: str
    message: str


@dataclass
class CheckReport:
    violations: list[Violation] = field(default_factory=list)
    warnings: list[Violation] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.violations

    def codes(self) -> Counter:
        return Counter(v.code for v in self.violations)


def _span(iv: Interval) -> Span:
    return (iv.day, iv.start, iv.end)


def _inside(windows, span: Span) -> bool:
    day, start, end = span
    return any(w.day == day and w.start <= start and end <= w.end for w in windows)


def _touches(windows, span: Span) -> bool:
    day, start, end = span
    return any(w.day == day and w.start < end and start < w.end for w in windows)


def _label(span: Span) -> str:
    day, start, end = span
    names = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
    return f"{names[day]} {start // 60:02d}:{start % 60:02d}-{end // 60:02d}:{end % 60:02d}"


def check(instance: Instance, schedule: Schedule) -> CheckReport:
    rep = CheckReport()
    bad = rep.violations.append
    warn = rep.warnings.append
    inst = instance
    bookings: dict[tuple[str, str], list[tuple[Span, str]]] = defaultdict(list)
    minutes: Counter = Counter()
    staff_minutes: Counter = Counter()
    counts: Counter = Counter()
    per_day: Counter = Counter()
    topics: Counter = Counter()

    def staff_ok(cid: str, span: Span, site_id: str, stype, what: str) -> None:
        c = inst.clinician.get(cid)
        if c is None:
            bad(Violation("unknown", f"{what}: unknown clinician {cid}"))
            return
        if stype.credentials and not (stype.credentials & c.credentials):
            bad(Violation("credential", f"{what}: {c.name} holds no licence for {stype.name}"))
        if site_id not in c.site_ids:
            bad(Violation("site", f"{what}: {c.name} does not work at this site"))
        if not _inside(c.availability, span) or _touches(c.leave, span):
            bad(
                Violation("staff_unavailable", f"{what}: {c.name} is not working at {_label(span)}")
            )
        bookings[("clinician", cid)].append((span, what))
        staff_minutes[cid] += span[2] - span[1]

    def room_ok(rid: str, span: Span, site_id: str, kind: RoomKind, seats: int, what: str) -> None:
        r = inst.room.get(rid)
        if r is None:
            bad(Violation("unknown", f"{what}: unknown room {rid}"))
            return
        if r.site_id != site_id or r.kind != kind:
            bad(Violation("room_kind", f"{what}: {r.name} is not a {kind.value} room at this site"))
        open_hours = (
            r.open_hours if r.open_hours is not None else [Interval(span[0], 0, DAY_MINUTES)]
        )
        if not _inside(open_hours, span) or _touches(r.closed, span):
            bad(Violation("room_closed", f"{what}: {r.name} is closed at {_label(span)}"))
        if seats > r.capacity:
            bad(
                Violation(
                    "capacity", f"{what}: {seats} people in {r.name}, which seats {r.capacity}"
                )
            )
        bookings[("room", rid)].append((span, what))

    def patient_ok(pid: str, span: Span, program_id: str | None, what: str) -> bool:
        p = inst.patient.get(pid)
        if p is None:
            bad(Violation("unknown", f"{what}: unknown patient {pid}"))
            return False
        if program_id is not None and p.program_id != program_id:
            bad(Violation("wrong_program", f"{what}: patient {p.display} is in another program"))
        if not _inside(p.availability, span):
            bad(
                Violation(
                    "patient_unavailable",
                    f"{what}: patient {p.display} is not available at {_label(span)}",
                )
            )
        bookings[("patient", pid)].append((span, what))
        minutes[pid] += span[2] - span[1]
        return True

    seen_offers: set[str] = set()
    for g in schedule.groups:
        offer = inst.offer.get(g.offer_id)
        if offer is None or g.offer_id in seen_offers:
            bad(Violation("unknown", f"group {g.offer_id} is unknown or listed twice"))
            continue
        seen_offers.add(g.offer_id)
        stype = inst.session_type[offer.session_type]
        site_id = inst.program[offer.program_id].site_id
        span = _span(offer.interval)
        what = f"{stype.name} {_label(span)} ({offer.id})"
        size = len(g.patient_ids) + offer.locked_members
        if len(set(g.patient_ids)) != len(g.patient_ids):
            bad(Violation("duplicate", f"{what}: a patient is on the roster twice"))
        if size > min(stype.max_size, GROUP_HARD_MAX):
            bad(
                Violation(
                    "capacity",
                    f"{what}: {size} patients, more than {min(stype.max_size, GROUP_HARD_MAX)}",
                )
            )
        if size < stype.min_size:
            warn(
                Violation(
                    "group_small", f"{what}: {size} patients, below the minimum of {stype.min_size}"
                )
            )
        staff_ok(g.facilitator_id, span, site_id, stype, what)
        if g.room_id is None:
            if not offer.telehealth:
                bad(Violation("no_room", f"{what}: an in-person group without a room"))
        else:
            room_ok(g.room_id, span, site_id, RoomKind.GROUP, size, what)
        for pid in g.patient_ids:
            if patient_ok(pid, span, offer.program_id, what):
                counts[(pid, stype.code)] += 1
                per_day[(pid, stype.code, span[0])] += 1
                if offer.topic:
                    topics[(pid, stype.code, offer.topic)] += 1

    for a in schedule.appointments:
        stype = inst.session_type.get(a.session_type)
        p = inst.patient.get(a.patient_id)
        span = _span(a.interval)
        what = f"{a.session_type} {_label(span)} for {p.display if p else a.patient_id}"
        if stype is None or stype.is_group or p is None:
            bad(Violation("unknown", f"{what}: unknown patient or not an appointment type"))
            continue
        site_id = inst.program[p.program_id].site_id
        need = next((n for n in p.needs if n.session_type == a.session_type), None)
        length = need.duration_min if need and need.duration_min else stype.duration_min
        if span[2] - span[1] != length:
            bad(Violation("duration", f"{what}: lasts {span[2] - span[1]} minutes, not {length}"))
        staff_ok(a.clinician_id, span, site_id, stype, what)
        if a.room_id is None:
            if not (p.telehealth_ok and stype.telehealth_ok):
                bad(Violation("telehealth", f"{what}: telehealth is not an option for it"))
        else:
            room_ok(a.room_id, span, site_id, RoomKind.OFFICE, 1 + stype.extra_seats, what)
        patient_ok(a.patient_id, span, None, what)
        counts[(a.patient_id, a.session_type)] += 1
        per_day[(a.patient_id, a.session_type, span[0])] += 1

    for (kind, key), items in bookings.items():
        items.sort()
        for i, (span, what) in enumerate(items):
            for other, other_what in items[i + 1 :]:
                if other[0] != span[0] or other[1] >= span[2]:
                    break
                bad(
                    Violation(
                        "double_booked", f"{kind} {key} is double-booked: {what} and {other_what}"
                    )
                )

    for p in inst.patients:
        program = inst.program[p.program_id]
        if program.max_weekly_minutes is not None and minutes[p.id] > program.max_weekly_minutes:
            bad(
                Violation(
                    "weekly_max",
                    f"patient {p.display}: {minutes[p.id]} minutes, above the "
                    f"program maximum of {program.max_weekly_minutes}",
                )
            )
        if minutes[p.id] < program.min_weekly_minutes:
            warn(
                Violation(
                    "below_minimum",
                    f"patient {p.display}: {minutes[p.id]} minutes, below "
                    f"the program minimum of {program.min_weekly_minutes}",
                )
            )
        prescribed = {n.session_type: n.count for n in p.needs}
        for (pid, code), n in counts.items():
            if pid == p.id and n > prescribed.get(code, 0):
                bad(
                    Violation(
                        "unprescribed",
                        f"patient {p.display}: {n} x {code}, the plan "
                        f"prescribes {prescribed.get(code, 0)}",
                    )
                )
    for c in inst.clinicians:
        if c.max_weekly_minutes is not None and staff_minutes[c.id] > c.max_weekly_minutes:
            bad(Violation("staff_cap", f"{c.name}: {staff_minutes[c.id]} minutes, above their cap"))
    for (pid, code, _day), n in per_day.items():
        if n > 1 and not inst.session_type[code].is_group:
            warn(Violation("same_day", f"patient {pid}: {n} x {code} on one day"))
    for (pid, _code, topic), n in topics.items():
        if n > 1:
            warn(Violation("topic_twice", f"patient {pid}: topic '{topic}' {n} times"))
    return rep
