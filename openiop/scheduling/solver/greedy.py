"""A simple greedy scheduler: the baseline the optimizer must beat, and its first hint.

Patients in id order; for each, first their group needs (offers in their
preferred track and time of day first, opening a group with the first free
facilitator and the roomiest free room when needed), then their appointments
(preferred clinician and time of day first, earliest slot). Groups that end up
below their minimum size are cancelled and their members placed again in
groups that run. Every rule the optimizer treats as hard is kept, so the
result passes the checker; it just never reconsiders a choice.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

from openiop.scheduling.solver.model import DAY_MINUTES, Interval
from openiop.scheduling.solver.space import GroupOption, Space


def per_day_limit(count: int) -> int:
    """At most this many sessions of one prescribed kind a day (one, unless > 7 a week)."""
    return max(1, math.ceil(count / 7))


@dataclass
class _Busy:
    """Booked intervals per key and weekday, with a fast overlap test."""

    slots: dict[tuple[str, int], list[Interval]] = field(default_factory=lambda: defaultdict(list))

    def free(self, key: str, iv: Interval) -> bool:
        return not any(iv.overlaps(x) for x in self.slots[(key, iv.day)])

    def add(self, key: str, iv: Interval) -> None:
        self.slots[(key, iv.day)].append(iv)

    def remove(self, key: str, iv: Interval) -> None:
        self.slots[(key, iv.day)].remove(iv)


@dataclass
class _Open:
    facilitator: str
    room: str | None
    seats: int
    members: list[str]


class Greedy:
    def __init__(self, space: Space, *, prefer: set[tuple] | None = None) -> None:
        self.space = space
        self.inst = space.instance
        self.prefer = (
            prefer or set()
        )  # ("group", patient, offer) / ("appt", patient, type, clinician, interval)
        self.people = _Busy()
        self.staff = _Busy()
        self.rooms = _Busy()
        # offices of a class in use, per (class, weekday) and minute of the day
        self.class_load: dict[tuple[int, int], list[int]] = {}
        self.minutes: dict[str, int] = defaultdict(int)
        self.staff_minutes: dict[str, int] = defaultdict(int)
        self.topics: dict[str, set[tuple[str, str]]] = defaultdict(set)
        self.open: dict[str, _Open] = {}
        self.group_count: dict[tuple[str, str], int] = defaultdict(int)
        self.by_patient: dict[str, list[GroupOption]] = defaultdict(list)
        self.placed: dict[int, int] = defaultdict(int)
        self.per_day: dict[tuple[int, int], int] = defaultdict(int)
        self.chosen: list[int] = []
        for g in space.groups:
            for pid in g.members:
                self.by_patient[pid].append(g)
            if g.locked:
                room = g.rooms[0][0] if g.rooms else None
                self.open[g.offer_id] = _Open(g.facilitators[0], room, g.max_seats, [])

    # -- capacity checks
    def _patient_ok(self, pid: str, iv: Interval) -> bool:
        cap = self.space.max_minutes[pid]
        return self.people.free(pid, iv) and (cap is None or self.minutes[pid] + iv.minutes <= cap)

    def _staff_ok(self, cid: str, iv: Interval) -> bool:
        cap = self.inst.clinician[cid].max_weekly_minutes
        return self.staff.free(cid, iv) and (
            cap is None or self.staff_minutes[cid] + iv.minutes <= cap
        )

    # -- groups
    def _open(self, g: GroupOption, rank: dict[str, float] | None = None) -> _Open | None:
        """Open an offer with the first free facilitator and the roomiest free room
        (or the ones `rank` scores highest)."""
        iv = g.interval
        rank = rank or {}
        facs = sorted(g.facilitators, key=lambda c: -rank.get(c, 0))
        fac = next((c for c in facs if self._staff_ok(c, iv)), None)
        rooms = sorted(
            (r for r in g.rooms if self.rooms.free(r[0], iv)),
            key=lambda r: (-rank.get(r[0], 0), -r[1], r[0]),
        )
        if fac is None or (not rooms and not g.telehealth_seats):
            return None
        room, seats = rooms[0] if rooms else (None, g.telehealth_seats)
        state = self.open[g.offer_id] = _Open(fac, room, seats, [])
        self.staff.add(fac, iv)
        self.staff_minutes[fac] += iv.minutes
        if room:
            self.rooms.add(room, iv)
        return state

    def _may_join(self, pid: str, g: GroupOption) -> bool:
        want = self.space.group_needs.get((pid, g.session_type), 0)
        return (
            self.group_count[(pid, g.session_type)] < want
            and self._patient_ok(pid, g.interval)
            and not (g.topic and (g.session_type, g.topic) in self.topics[pid])
        )

    def _try_join(self, pid: str, g: GroupOption, *, may_open: bool) -> bool:
        iv = g.interval
        if not self._patient_ok(pid, iv):
            return False
        if g.topic and (g.session_type, g.topic) in self.topics[pid]:
            return False
        state = self.open.get(g.offer_id)
        if state is None:
            if not may_open:
                return False
            state = self._open(g)
            if state is None:
                return False
        if len(state.members) >= state.seats:
            return False
        state.members.append(pid)
        self.people.add(pid, iv)
        self.minutes[pid] += iv.minutes
        self.group_count[(pid, g.session_type)] += 1
        if g.topic:
            self.topics[pid].add((g.session_type, g.topic))
        return True

    def _place_groups(self, pid: str, *, may_open: bool) -> None:
        patient = self.inst.patient[pid]
        for need in patient.needs:
            want = self.space.group_needs.get((pid, need.session_type), 0)
            options = [g for g in self.by_patient[pid] if g.session_type == need.session_type]
            options.sort(
                key=lambda g: (
                    ("group", pid, g.offer_id) not in self.prefer,
                    self.space.member_cost(patient, g),
                    g.interval,
                )
            )
            for g in options:
                if self.group_count[(pid, need.session_type)] >= want:
                    break
                self._try_join(pid, g, may_open=may_open)

    def _cancel_small_groups(self) -> None:
        options = {g.offer_id: g for g in self.space.groups}
        for offer_id, state in list(self.open.items()):
            g = options[offer_id]
            if g.locked or len(state.members) >= g.min_size:
                continue
            iv = g.interval
            for pid in state.members:
                self.people.remove(pid, iv)
                self.minutes[pid] -= iv.minutes
                self.group_count[(pid, g.session_type)] -= 1
                self.topics[pid].discard((g.session_type, g.topic))
            self.staff.remove(state.facilitator, iv)
            self.staff_minutes[state.facilitator] -= iv.minutes
            if state.room:
                self.rooms.remove(state.room, iv)
            del self.open[offer_id]

    # -- appointments
    def _place(self, c) -> bool:
        space = self.space
        ref = space.needs[c.need]
        iv = c.interval
        if self.placed[ref.index] >= ref.count or self.per_day[
            (ref.index, iv.day)
        ] >= per_day_limit(ref.count):
            return False
        if not self._patient_ok(c.patient_id, iv) or not self._staff_ok(c.clinician_id, iv):
            return False
        if c.room_class is not None:
            size = len(space.room_classes[c.room_class].room_ids)
            load = self.class_load.get((c.room_class, iv.day))
            if load is None:
                load = self.class_load[(c.room_class, iv.day)] = [0] * DAY_MINUTES
            if max(load[iv.start : iv.end]) >= size:
                return False
            for minute in range(iv.start, iv.end):
                load[minute] += 1
        self.people.add(c.patient_id, iv)
        self.minutes[c.patient_id] += iv.minutes
        self.staff.add(c.clinician_id, iv)
        self.staff_minutes[c.clinician_id] += iv.minutes
        self.per_day[(ref.index, iv.day)] += 1
        self.placed[ref.index] += 1
        self.chosen.append(c.index)
        return True

    def _place_appointments(self, *, constrained_first: bool = False) -> None:
        space = self.space
        needs = space.needs
        if constrained_first:  # fewest possible slots first (the rounding's fill)
            needs = sorted(needs, key=lambda r: (len(space.by_need.get(r.index, ())), r.index))
        for ref in needs:
            cands = [space.candidates[i] for i in space.by_need.get(ref.index, [])]
            cands.sort(
                key=lambda c: (
                    ("appt", c.patient_id, ref.session_type, c.clinician_id, c.interval)
                    not in self.prefer,
                    c.cost,
                    c.room_class is None,
                    c.interval.week_start,  # the interval's own order, cheaper to compare
                    c.interval.end,
                    c.clinician_id,
                )
            )
            for c in cands:
                if self.placed[ref.index] >= ref.count:
                    break
                self._place(c)

    def run(self, *, seed_groups=(), seed_appointments=(), constrained_first: bool = False):
        """Decisions as {offer: (facilitator, room, members)} and chosen candidate indices.

        `seed_groups` ((patient, [GroupOption...]) pairs) and `seed_appointments`
        (candidate indices) are tried first, in order: the LP rounding uses them.
        """
        for pid, options in seed_groups:
            want = self.space.group_needs.get((pid, options[0].session_type), 0)
            if self.group_count[(pid, options[0].session_type)] >= want:
                continue
            ordered = sorted(options, key=lambda g: g.offer_id not in self.open)
            any(self._try_join(pid, g, may_open=True) for g in ordered)
        for k in seed_appointments:
            self._place(self.space.candidates[k])
        patients = sorted(self.inst.patient)
        for pid in patients:
            self._place_groups(pid, may_open=True)
        self._cancel_small_groups()
        for pid in patients:
            self._place_groups(pid, may_open=False)
        self._place_appointments(constrained_first=constrained_first)
        groups = {oid: (s.facilitator, s.room, list(s.members)) for oid, s in self.open.items()}
        return groups, list(self.chosen)


def greedy_decisions(space: Space, *, prefer: set[tuple] | None = None):
    return Greedy(space, prefer=prefer).run()


def lp_rounding(space: Space, view, *, prefer: set[tuple] | None = None):
    """Round an LP solution into a week. `view` reads the LP's values by the space's keys
    (`pool.ModelView` for the model's own LP, `pool.PoolView` for the pooled one).

    Group classes in time order: open about as many parallel groups as the LP
    opens (fewer if they could not reach their minimum), with the facilitators
    and rooms it favours, and seat the patients it seats; then appointments in
    order of LP value; then the greedy passes fill whatever is left.
    """
    greedy = Greedy(space, prefer=prefer)
    for cls in sorted(space.classes, key=lambda c: (c.first.interval.week_start, c.index)):
        g, k = cls.first, cls.index
        want = sorted(
            (p for p in g.members if view.x(p, k) > 0.3),
            key=lambda p: (-view.x(p, k), p),
        )
        want = [p for p in want if greedy._may_join(p, g)]
        if g.locked:
            seats = greedy.open[g.offer_id]
            for p in want[: max(0, seats.seats - len(seats.members))]:
                greedy._try_join(p, g, may_open=False)
            continue
        count = min(len(cls.options), math.ceil(view.n(k) - 0.01))
        while count and len(want) < count * g.min_size:
            count -= 1
        rank = {c: view.fac(k, c) for c in g.facilitators}
        rank.update({r: view.room(k, r) for r, _ in g.rooms})
        opened = []
        for o in cls.options[:count]:
            state = greedy._open(o, rank)
            if state is None:
                continue
            opened.append(o)
            # one fewer of the LP's groups left for the facilitator's pool (`pool.py`)
            pool = view.pool(state.facilitator)
            for c in g.facilitators:
                if view.pool(c) == pool:
                    rank[c] -= 1
        for pid in want:
            for o in sorted(opened, key=lambda o: len(greedy.open[o.offer_id].members)):
                if greedy._try_join(pid, o, may_open=False):
                    break
    return greedy.run(seed_appointments=view.appts(0.05), constrained_first=True)
