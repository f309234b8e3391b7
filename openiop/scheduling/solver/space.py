"""The pruned search space shared by the greedy baseline and the CP-SAT model.

Before any variable exists, every (patient, session) pair that cannot work is
dropped: wrong program or site, no credential, outside someone's hours, on
leave, a closed room, longer than the weekly maximum. What remains:

- `GroupOption` per group offer that can run: its possible facilitators and
  rooms and the patients who could join it;
- `ApptCandidate` per (need, clinician, start, room class or telehealth) for
  individual, family, medication and testing needs, on a grid of `step`
  minutes (default 30, aligned to the clock);
- `RoomClass`: offices at a site with the same capacity and the same free
  hours. Appointments only count against a class (at most `len(rooms)` at
  once), which is exact: intervals in one class can always be given distinct
  rooms (interval graphs are perfect), and `assign_rooms` does it afterwards.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from openiop.scheduling.solver import windows as win
from openiop.scheduling.solver.model import (
    Appointment,
    GroupSession,
    Instance,
    InstanceError,
    Interval,
    Patient,
    RoomKind,
    Schedule,
    TimeOfDay,
)


@dataclass(frozen=True)
class NeedRef:
    index: int
    patient_id: str
    session_type: str
    count: int
    minutes: int
    preferred_clinician_id: str | None


@dataclass(frozen=True)
class ApptCandidate:
    index: int
    need: int  # NeedRef.index
    patient_id: str
    clinician_id: str
    interval: Interval
    room_class: int | None  # None: telehealth
    cost: int  # preference misses: time of day, clinician continuity, telehealth


@dataclass
class GroupOption:
    offer_id: str
    session_type: str
    interval: Interval
    min_size: int
    facilitators: list[str]
    rooms: list[tuple[str, int]]  # (room id, seats in it)
    telehealth_seats: int  # > 0 for telehealth groups
    locked: bool
    members: list[str]
    topic: str

    @property
    def max_seats(self) -> int:
        return max([s for _, s in self.rooms] + [self.telehealth_seats])


@dataclass
class GroupClass:
    """Group offers that are interchangeable: same type, time, track, topic, facilitator
    and room options and possible members (parallel cohorts). The model decides how many
    of them run and who attends one of them; `distribute` picks which and who sits where,
    which is always possible because any split with each group between its minimum and
    its seats will do."""

    index: int
    options: list[GroupOption]

    @property
    def first(self) -> GroupOption:
        return self.options[0]


@dataclass(frozen=True)
class RoomClass:
    index: int
    site_id: str
    capacity: int
    room_ids: tuple[str, ...]
    free: tuple[Interval, ...]


@dataclass
class Space:
    instance: Instance
    step: int
    clinician_free: dict[str, tuple[Interval, ...]]
    room_free: dict[str, tuple[Interval, ...]]
    room_classes: list[RoomClass]
    groups: list[GroupOption]
    group_needs: dict[tuple[str, str], int]  # (patient, session type) -> count
    needs: list[NeedRef]
    candidates: list[ApptCandidate]
    classes: list[GroupClass] = field(default_factory=list)
    by_need: dict[int, list[int]] = field(default_factory=dict)
    max_minutes: dict[str, int | None] = field(default_factory=dict)
    min_minutes: dict[str, int] = field(default_factory=dict)

    def member_cost(self, patient: Patient, group: GroupOption) -> int:
        offer = self.instance.offer[group.offer_id]
        cost = 0
        if patient.track_id and offer.track_id and offer.track_id != patient.track_id:
            cost += 1
        if patient.time_of_day and offer.interval.time_of_day != patient.time_of_day:
            cost += 1
        return cost

    def same_place(self, cand: ApptCandidate, prev) -> bool:
        """Whether a candidate can keep a previous appointment's room (if it named one)."""
        if prev.room_id is None:
            return True
        return (
            cand.room_class is not None
            and prev.room_id in self.room_classes[cand.room_class].room_ids
        )

    def prescribed_minutes(self, patient_id: str) -> int:
        """Minutes the patient's plan prescribes this week (groups at their type's length)."""
        inst = self.instance
        patient = inst.patient[patient_id]
        return sum(need.count * inst.need_minutes(need) for need in patient.needs)

    def to_schedule(
        self, groups: dict[str, tuple[str, str | None, list[str]]], chosen: list[int]
    ) -> Schedule:
        """A Schedule from decisions: {offer: (facilitator, room, members)}, chosen candidates."""
        sessions = tuple(
            GroupSession(offer_id, fac, room, tuple(sorted(members)))
            for offer_id, (fac, room, members) in sorted(groups.items())
        )
        cands = [self.candidates[i] for i in chosen]
        rooms = assign_rooms(self, cands)
        appts = tuple(
            sorted(
                (
                    Appointment(
                        c.patient_id,
                        self.needs[c.need].session_type,
                        c.clinician_id,
                        c.interval,
                        rooms[c.index],
                    )
                    for c in cands
                ),
                key=lambda a: (a.interval.week_start, a.patient_id, a.session_type),
            )
        )
        return Schedule(groups=sessions, appointments=appts)


def assign_rooms(space: Space, cands: list[ApptCandidate]) -> dict[int, str | None]:
    """Give each in-person appointment a room of its class (interval partitioning)."""
    out: dict[int, str | None] = {}
    by_class: dict[int, list[ApptCandidate]] = defaultdict(list)
    for c in cands:
        if c.room_class is None:
            out[c.index] = None
        else:
            by_class[c.room_class].append(c)
    # last week's room where it is free: any free room keeps the sweep valid, since all
    # rooms of a class are open at the same hours
    before = {
        (p.patient_id, p.session_type, p.clinician_id, p.interval): p.room_id
        for p in space.instance.previous
        if p.room_id
    }
    for cls_index, items in by_class.items():
        rooms = space.room_classes[cls_index].room_ids
        busy_until = dict.fromkeys(rooms, -1)
        for c in sorted(items, key=lambda c: (c.interval.week_start, c.index)):
            free = [r for r in rooms if busy_until[r] <= c.interval.week_start]
            if not free:
                raise RuntimeError("room class over capacity; the model let too many overlap")
            key = (c.patient_id, space.needs[c.need].session_type, c.clinician_id, c.interval)
            room = before.get(key)
            room = room if room in free else free[0]
            out[c.index] = room
            busy_until[room] = c.interval.week_end
    return out


def _starts(window: Interval, minutes: int, step: int) -> list[int]:
    first = -(-window.start // step) * step
    return list(range(first, window.end - minutes + 1, step))


def build_space(instance: Instance, *, step: int = 30) -> Space:
    inst = instance
    clinician_free = {c.id: win.subtract(c.availability, c.leave) for c in inst.clinicians}
    if not any(clinician_free.values()):
        raise InstanceError(
            f"The week of {inst.week:%Y-%m-%d} has no staff: every clinician is on leave "
            "or has no working hours.",
            field="clinicians",
        )
    room_free = {r.id: win.room_open(r.open_hours, r.closed) for r in inst.rooms}

    # offices are interchangeable when they are free at the same hours and seat the
    # same kinds of visit (a 3-seat and a 4-seat office both take family therapy)
    levels = sorted({1 + t.extra_seats for t in inst.session_types if not t.is_group})
    classes: dict[tuple, list[str]] = defaultdict(list)
    for r in inst.rooms:
        fits = [lv for lv in levels if lv <= r.capacity]
        if r.kind == RoomKind.OFFICE and room_free[r.id] and fits:
            classes[(r.site_id, fits[-1], room_free[r.id])].append(r.id)
    room_classes = [
        RoomClass(i, key[0], key[1], tuple(sorted(ids)), key[2])
        for i, (key, ids) in enumerate(
            sorted(classes.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[1]))
        )
    ]

    max_minutes: dict[str, int | None] = {}
    min_minutes: dict[str, int] = {}
    group_needs: dict[tuple[str, str], int] = {}
    for p in inst.patients:
        program = inst.program[p.program_id]
        max_minutes[p.id] = program.max_weekly_minutes
        min_minutes[p.id] = program.min_weekly_minutes
        for need in p.needs:
            if inst.session_type[need.session_type].is_group:
                group_needs[(p.id, need.session_type)] = need.count

    groups = _group_options(inst, clinician_free, room_free, group_needs, max_minutes)
    needs, candidates = _appointment_candidates(
        inst, step, clinician_free, room_classes, max_minutes
    )
    by_need: dict[int, list[int]] = defaultdict(list)
    for c in candidates:
        by_need[c.need].append(c.index)
    keyed: dict[tuple, list[GroupOption]] = defaultdict(list)
    for g in groups:
        offer = inst.offer[g.offer_id]
        key = (
            (g.offer_id,)
            if g.locked
            else (
                g.session_type,
                offer.program_id,
                offer.track_id,
                g.interval,
                g.topic,
                tuple(g.facilitators),
                tuple(g.rooms),
                g.telehealth_seats,
                tuple(g.members),
            )
        )
        keyed[key].append(g)
    classes = [GroupClass(i, opts) for i, opts in enumerate(keyed.values())]
    return Space(
        instance=inst,
        classes=classes,
        step=step,
        clinician_free=clinician_free,
        room_free=room_free,
        room_classes=room_classes,
        groups=groups,
        group_needs=group_needs,
        needs=needs,
        candidates=candidates,
        by_need=dict(by_need),
        max_minutes=max_minutes,
        min_minutes=min_minutes,
    )


def _group_options(inst, clinician_free, room_free, group_needs, max_minutes) -> list[GroupOption]:
    patients_by_program: dict[str, list[Patient]] = defaultdict(list)
    for p in inst.patients:
        patients_by_program[p.program_id].append(p)
    members_at: dict[tuple, list[str]] = {}
    out = []
    for offer in inst.offers:
        stype = inst.session_type[offer.session_type]
        site_id = inst.program[offer.program_id].site_id
        iv = offer.interval
        key = (offer.program_id, offer.session_type, iv)
        if key not in members_at:  # parallel cohorts share their possible members
            members_at[key] = [
                p.id
                for p in patients_by_program[offer.program_id]
                if group_needs.get((p.id, offer.session_type))
                and win.covers(p.availability, iv)
                and (max_minutes[p.id] is None or iv.minutes <= max_minutes[p.id])
            ]
        members = list(members_at[key])
        if offer.locked_members:
            seats = stype.max_size
            if offer.room_id is not None:
                seats = min(seats, inst.room[offer.room_id].capacity)
            free = max(0, seats - offer.locked_members)
            room = [(offer.room_id, free)] if offer.room_id else []
            out.append(
                GroupOption(
                    offer.id,
                    stype.code,
                    iv,
                    0,
                    [offer.facilitator_id],
                    room,
                    0 if offer.room_id else free,
                    True,
                    members if free else [],
                    offer.topic,
                )
            )
            continue
        if len(members) < stype.min_size:
            continue
        facs = [
            c.id
            for c in inst.clinicians
            if (offer.facilitator_id is None or c.id == offer.facilitator_id)
            and site_id in c.site_ids
            and stype.allows(c.credentials)
            and win.covers(clinician_free[c.id], iv)
        ]
        rooms: list[tuple[str, int]] = []
        if not offer.telehealth:
            rooms = [
                (r.id, min(stype.max_size, r.capacity))
                for r in inst.rooms
                if (offer.room_id is None or r.id == offer.room_id)
                and r.kind == RoomKind.GROUP
                and r.site_id == site_id
                and r.capacity >= stype.min_size
                and win.covers(room_free[r.id], iv)
            ]
        if not facs or (not offer.telehealth and not rooms):
            continue
        out.append(
            GroupOption(
                offer.id,
                stype.code,
                iv,
                stype.min_size,
                facs,
                rooms,
                stype.max_size if offer.telehealth else 0,
                False,
                members,
                offer.topic,
            )
        )
    return out


def _appointment_candidates(inst, step, clinician_free, room_classes, max_minutes):
    needs: list[NeedRef] = []
    cands: list[ApptCandidate] = []
    track_hours: dict[str, list[Interval]] = defaultdict(list)
    for o in inst.offers:
        if o.track_id:
            track_hours[o.track_id].append(o.interval)
    open_by_day = {
        rc.index: {d: [(w.start, w.end) for w in rc.free if w.day == d] for d in range(7)}
        for rc in room_classes
    }
    hours_index: dict[tuple[Interval, ...], int] = {}
    same_hours = {
        c.id: hours_index.setdefault(clinician_free[c.id], len(hours_index))
        for c in inst.clinicians
    }
    intervals: dict[tuple[int, int, int], Interval] = {}  # one object per distinct slot
    open_at: dict[tuple[int, int, int, int], bool] = {}

    def fits(k: int, day: int, start: int, end: int) -> bool:
        key = (k, day, start, end)
        ok = open_at.get(key)
        if ok is None:
            ok = open_at[key] = any(lo <= start and end <= hi for lo, hi in open_by_day[k][day])
        return ok

    for p in inst.patients:
        site_id = inst.program[p.program_id].site_id
        # group time is protected: no appointment during the patient's own track's groups
        free = (
            win.subtract(p.availability, track_hours[p.track_id]) if p.track_id else p.availability
        )
        shared: dict[int, tuple[Interval, ...]] = {}  # same hours -> hours both are free
        for need in p.needs:
            stype = inst.session_type[need.session_type]
            if stype.is_group:
                continue
            minutes = inst.need_minutes(need)
            ref = NeedRef(
                len(needs), p.id, stype.code, need.count, minutes, need.preferred_clinician_id
            )
            needs.append(ref)
            if max_minutes[p.id] is not None and minutes > max_minutes[p.id]:
                continue
            seats = 1 + stype.extra_seats
            classes = [
                rc.index for rc in room_classes if rc.site_id == site_id and rc.capacity >= seats
            ]
            remote = p.telehealth_ok and stype.telehealth_ok
            for c in inst.clinicians:
                if site_id not in c.site_ids or not stype.allows(c.credentials):
                    continue
                hours = same_hours[c.id]
                if hours not in shared:  # clinicians on the same hours share the answer
                    shared[hours] = win.intersect(free, clinician_free[c.id])
                continuity = int(
                    bool(need.preferred_clinician_id) and c.id != need.preferred_clinician_id
                )
                for window in shared[hours]:
                    day = window.day
                    for start in _starts(window, minutes, step):
                        end = start + minutes
                        iv = intervals.get((day, start, end))
                        if iv is None:
                            iv = intervals[(day, start, end)] = Interval(day, start, end)
                        cost = continuity + int(
                            bool(p.time_of_day) and TimeOfDay.of(start) != p.time_of_day
                        )
                        for k in classes:
                            if fits(k, day, start, end):
                                cands.append(
                                    ApptCandidate(len(cands), ref.index, p.id, c.id, iv, k, cost)
                                )
                        if remote:  # in person is preferred where an office could take it
                            remote_cost = cost + int(bool(classes))
                            cands.append(
                                ApptCandidate(
                                    len(cands), ref.index, p.id, c.id, iv, None, remote_cost
                                )
                            )
    return needs, cands
