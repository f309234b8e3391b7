"""The week as a CP-SAT model (OR-Tools).

Groups are modelled per class of interchangeable offers (parallel cohorts,
`space.GroupClass`): `n[K]` of them run, `fac[K, c]` / `room[K, r]` say who
leads and where, `x[p, K]` that patient p attends one of them. Modelling the
class instead of each offer removes the symmetry between parallel cohorts,
which otherwise makes CP-SAT crawl; `distribute` turns the counts back into
rosters. Appointments: `appt[k]` per candidate (`space.ApptCandidate`).

Hard rules:

- nobody double-booked: for every patient, clinician and group room, the
  literals of overlapping sessions form cliques, one `AddAtMostOne` per
  maximal clique (found at the start points of the intervals);
- offices: at most `len(class)` appointments of a room class at once;
- capacities: each running group between its minimum and its room's seats,
  never above 15;
- credentials, sites and everyone's hours: pruned before variables exist;
- the program's weekly maximum; each psychoeducation topic once a week;
  at most one session of a prescribed kind a day; appointments stay out of
  the patient's own track's group hours.

The objectives (`needs_expr`, `preference_objective`) and why they are
solved in that order: docs/adr/0004-lexicographic-schedule-objective.md.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Callable

from ortools.sat.python import cp_model
from ortools.sat.python.cp_model import LinearExpr

from openiop.scheduling.solver.greedy import per_day_limit
from openiop.scheduling.solver.space import GroupClass, Space


def cliques(items: list[tuple[int, int, object]]) -> list[list[object]]:
    """Maximal sets of pairwise-overlapping intervals among (start, end, literal) items."""
    return [members for _, members in cliques_at(items)]


def cliques_at(items: list[tuple[int, int, object]]) -> list[tuple[int, list[object]]]:
    """`cliques`, each with a moment every interval in it covers (its latest start)."""
    if len(items) < 2:
        return []
    items = sorted(items, key=lambda t: t[0])
    out, active, i, n = [], [], 0, len(items)
    members: dict[int, object] = {}
    while i < n:
        point = items[i][0]
        while active and active[0][0] <= point:
            members.pop(heapq.heappop(active)[1], None)
        while i < n and items[i][0] == point:
            heapq.heappush(active, (items[i][1], i))
            members[i] = items[i][2]
            i += 1
        nxt = items[i][0] if i < n else None
        if len(members) > 1 and (nxt is None or active[0][0] <= nxt):
            out.append((point, list(members.values())))
    return out


def _weighted(items: list[tuple[int, object]]):
    if not items:
        return 0
    return LinearExpr.weighted_sum([v for _, v in items], [c for c, _ in items])


class WeekModel:
    """`stability_first`: the first stage also counts changes from `previous`, below the
    needs (needs x (most changes + 1) + changes), as repair wants.

    `staff_capacity` (clinician id -> people at a week minute) makes a "clinician" a pool
    of that many people (`pool.py`): their sessions at any moment are at most the
    people on duty then, and a group class may take several of them as facilitators."""

    def __init__(
        self,
        space: Space,
        *,
        stability_first: bool = False,
        staff_capacity: dict[str, Callable[[int], int]] | None = None,
    ) -> None:
        self.stability_first = stability_first
        self.capacity = staff_capacity or {}
        self.space = space
        self.inst = space.instance
        m = self.model = cp_model.CpModel()
        self.n: dict[int, object] = {}
        self.fac: dict[tuple[int, str], object] = {}
        self.room: dict[tuple[int, str], object] = {}
        self.x: dict[tuple[str, int], object] = {}
        self.appt: dict[int, object] = {}
        self.patient_items: dict[str, list] = defaultdict(list)
        self.staff_items: dict[str, list] = defaultdict(list)
        self.room_items: dict[str, list] = defaultdict(list)
        self.minutes_p: dict[str, list] = defaultdict(list)
        self.minutes_c: dict[str, list] = defaultdict(list)
        self.by_type: dict[tuple[str, str], list] = defaultdict(list)
        self.by_topic: dict[tuple[str, str, str], list] = defaultdict(list)
        self.pool_fac: dict[int, int] = {}  # integer facilitator variables: their maximum
        for cls in space.classes:
            self._group_class(cls)
        class_items = self._appointments()
        for (pid, stype), lits in self.by_type.items():
            if len(lits) > space.group_needs[(pid, stype)]:
                m.add(LinearExpr.sum(lits) <= space.group_needs[(pid, stype)])
        for lits in self.by_topic.values():
            if len(lits) > 1:
                m.add_at_most_one(lits)
        for cid, items in self.staff_items.items():
            if cid in self.capacity:
                self._pool_cliques(self.capacity[cid], items)
        for items in (
            *self.patient_items.values(),
            *(v for c, v in self.staff_items.items() if c not in self.capacity),
            *self.room_items.values(),
        ):
            for clique in cliques(items):
                m.add_at_most_one(clique)
        for cls_index, items in class_items.items():
            size = len(space.room_classes[cls_index].room_ids)
            for clique in cliques(items):
                if len(clique) > size:
                    m.add(LinearExpr.sum(clique) <= size)
        self.scheduled = {}
        for p in self.inst.patients:
            self.scheduled[p.id] = _weighted(self.minutes_p[p.id])
            cap = space.max_minutes[p.id]
            if cap is not None and sum(mins for mins, _ in self.minutes_p[p.id]) > cap:
                m.add(self.scheduled[p.id] <= cap)
        self.load = {}
        for c in self.inst.clinicians:
            self.load[c.id] = _weighted(self.minutes_c[c.id])
            cap = c.max_weekly_minutes
            if cap is not None and sum(mins for mins, _ in self.minutes_c[c.id]) > cap:
                m.add(self.load[c.id] <= cap)
        self._needs_objective()

    def _pool_cliques(self, capacity: Callable[[int], int], items: list) -> None:
        """At every moment a pool's sessions are at most the people on duty."""
        for point, clique in cliques_at(items):
            cap = capacity(point)
            most = sum(self.pool_fac.get(v.index, 1) for v in clique)
            if most > cap:
                self.model.add(LinearExpr.sum(clique) <= cap)
        # a lone group facilitator variable overlapping nothing still meets the duty roster
        for a, _, v in items:
            if v.index in self.pool_fac and self.pool_fac[v.index] > capacity(a):
                self.model.add(v <= capacity(a))

    def _group_class(self, cls: GroupClass) -> None:
        m, g, k = self.model, cls.first, cls.index
        iv = g.interval
        span = (iv.week_start, iv.week_end)
        if g.locked:
            n = m.new_constant(1)
        elif len(cls.options) == 1:
            n = m.new_bool_var(f"run[{g.offer_id}]")
        else:
            n = m.new_int_var(0, len(cls.options), f"n[{g.offer_id}]")
        self.n[k] = n
        if g.locked:
            seats = g.max_seats
        else:
            for c in g.facilitators:
                if c in self.capacity and len(cls.options) > 1:
                    v = m.new_int_var(0, len(cls.options), f"fac[{g.offer_id},{c}]")
                    self.pool_fac[v.index] = len(cls.options)
                else:
                    v = m.new_bool_var(f"fac[{g.offer_id},{c}]")
                self.fac[k, c] = v
                self.staff_items[c].append((*span, v))
                self.minutes_c[c].append((iv.minutes, v))
            m.add(LinearExpr.sum([self.fac[k, c] for c in g.facilitators]) == n)
            if g.rooms:
                for r, _ in g.rooms:
                    v = self.room[k, r] = m.new_bool_var(f"room[{g.offer_id},{r}]")
                    self.room_items[r].append((*span, v))
                m.add(LinearExpr.sum([self.room[k, r] for r, _ in g.rooms]) == n)
                seats = LinearExpr.weighted_sum(
                    [self.room[k, r] for r, _ in g.rooms], [s for _, s in g.rooms]
                )
            else:
                seats = g.telehealth_seats * n
        size = []
        for pid in g.members:
            v = self.x[pid, k] = m.new_bool_var(f"x[{pid},{g.offer_id}]")
            if not g.locked:
                m.add(v <= n)
            size.append(v)
            self.patient_items[pid].append((*span, v))
            self.minutes_p[pid].append((iv.minutes, v))
            self.by_type[pid, g.session_type].append(v)
            if g.topic:
                self.by_topic[pid, g.session_type, g.topic].append(v)
        if size:
            m.add(LinearExpr.sum(size) <= seats)
        if not g.locked and g.min_size > 1:
            m.add(LinearExpr.sum(size) >= g.min_size * n)

    def _appointments(self) -> dict[int, list]:
        m, space = self.model, self.space
        class_items: dict[int, list] = defaultdict(list)
        for ref in space.needs:
            per_day: dict[int, list] = defaultdict(list)
            lits = []
            for k in space.by_need.get(ref.index, []):
                c = space.candidates[k]
                v = self.appt[k] = m.new_bool_var(f"appt[{k}]")
                span = (c.interval.week_start, c.interval.week_end)
                self.patient_items[c.patient_id].append((*span, v))
                self.staff_items[c.clinician_id].append((*span, v))
                self.minutes_p[c.patient_id].append((ref.minutes, v))
                self.minutes_c[c.clinician_id].append((ref.minutes, v))
                if c.room_class is not None:
                    class_items[c.room_class].append((*span, v))
                per_day[c.interval.day].append(v)
                lits.append(v)
            if lits:
                m.add(LinearExpr.sum(lits) <= ref.count)
                limit = per_day_limit(ref.count)
                for day_lits in per_day.values():
                    if len(day_lits) > limit:
                        m.add(LinearExpr.sum(day_lits) <= limit)
        return class_items

    def _needs_objective(self) -> None:
        m, space = self.model, self.space
        prescribed = sum(space.prescribed_minutes(p.id) for p in self.inst.patients)
        assigned = _weighted([item for items in self.minutes_p.values() for item in items])
        self.below: dict[str, object] = {}
        for p in self.inst.patients:
            floor = space.min_minutes[p.id]
            if floor > 0:
                s = self.below[p.id] = m.new_int_var(0, floor, f"below[{p.id}]")
                m.add(s >= floor - self.scheduled[p.id])
        self.needs_expr = prescribed - assigned + LinearExpr.sum(list(self.below.values()))
        self.scale, self.slack = 1, 0
        if self.stability_first:
            t2_max, changes = self.changes()
            self.scale, self.slack = t2_max + 1, t2_max
            self.needs_expr = self.scale * self.needs_expr + changes

    def minutes_bound(self, bound: int) -> int:
        """A bound on the needs minutes from a bound on `needs_expr`."""
        return -(-(bound - self.slack) // self.scale)

    def preference_objective(self):
        """Changes from last week, then preference misses, then the busiest clinician's
        share of their free hours (per site); each weight exceeds the most the tiers
        below it can add up to, so the order holds exactly."""
        m, inst, space = self.model, self.inst, self.space
        balance, t4_max = [], 0
        by_site: dict[str, list[str]] = defaultdict(list)
        for c in inst.clinicians:
            if self.minutes_c[c.id] and space.clinician_free[c.id]:
                by_site[min(c.site_ids)].append(c.id)
        for site_id, cids in sorted(by_site.items()):
            peak = m.new_int_var(0, 100, f"peak[{site_id}]")
            for cid in cids:
                free = sum(w.minutes for w in space.clinician_free[cid])
                m.add(100 * self.load[cid] <= free * peak)
            balance.append(peak)
            t4_max += 100
        prefs, t3_max = [], 0
        for (pid, k), v in self.x.items():
            cost = space.member_cost(inst.patient[pid], space.classes[k].first)
            if cost:
                prefs.append((cost, v))
        for k, v in self.appt.items():
            if space.candidates[k].cost:
                prefs.append((space.candidates[k].cost, v))
        # a group seat misses at most track and time of day; an appointment also the
        # clinician and being in person
        t3_max = 2 * sum(space.group_needs.values()) + 3 * sum(ref.count for ref in space.needs)
        t2_max, changes = self.changes()
        w4 = 1
        w3 = w4 * t4_max + 1
        w2 = w3 * t3_max + w4 * t4_max + 1
        self.weights = (w2, w3, w4)
        return w2 * changes + w3 * _weighted(prefs) + w4 * LinearExpr.sum(balance)

    def changes(self):
        """(most possible, expression): previous assignments not kept, one each."""
        space, inst = self.space, self.inst
        kept, t2_max = [], 0
        class_of = {g.offer_id: cls.index for cls in space.classes for g in cls.options}
        appt_index: dict[tuple, list] = defaultdict(list)
        for k, v in self.appt.items():
            c = space.candidates[k]
            key = (c.patient_id, space.needs[c.need].session_type, c.clinician_id, c.interval)
            appt_index[key].append((c, v))
        for prev in inst.previous:
            t2_max += 1
            if prev.offer_id:
                v = self.x.get((prev.patient_id, class_of.get(prev.offer_id, -1)))
                if v is not None:
                    kept.append(v)
            else:
                key = (prev.patient_id, prev.session_type, prev.clinician_id, prev.interval)
                kept.extend(v for c, v in appt_index.get(key, []) if space.same_place(c, prev))
        return t2_max, t2_max - LinearExpr.sum(kept)

    # ---------------------------------------------------------------- hints and answers

    def hint(self, groups: dict, chosen: list[int]) -> None:
        """Hint a full solution given per-offer decisions (greedy's or a previous stage's)."""
        space = self.space
        pairs: list[tuple[object, int]] = []
        minutes: dict[str, int] = defaultdict(int)
        for cls in space.classes:
            k, g = cls.index, cls.first
            running = [groups[o.offer_id] for o in cls.options if o.offer_id in groups]
            facs = {state[0] for state in running}
            rooms = {state[1] for state in running}
            members = {pid for state in running for pid in state[2]}
            if not g.locked:
                pairs.append((self.n[k], len(running)))
                pairs += [(self.fac[k, c], int(c in facs)) for c in g.facilitators]
                pairs += [(self.room[k, r], int(r in rooms)) for r, _ in g.rooms]
            for pid in g.members:
                pairs.append((self.x[pid, k], int(pid in members)))
                if pid in members:
                    minutes[pid] += g.interval.minutes
        chosen_set = set(chosen)
        for k, v in self.appt.items():
            pairs.append((v, int(k in chosen_set)))
            if k in chosen_set:
                c = space.candidates[k]
                minutes[c.patient_id] += space.needs[c.need].minutes
        for pid, v in self.below.items():
            pairs.append((v, max(0, space.min_minutes[pid] - minutes[pid])))
        self.model.clear_hints()
        hint = self.model.proto.solution_hint
        hint.vars.extend([v.index for v, _ in pairs])
        hint.values.extend([int(value) for _, value in pairs])

    def decisions(self, values: Callable[[object], int], prefer: set[tuple] | None = None):
        groups: dict[str, tuple[str, str | None, list[str]]] = {}
        for cls in self.space.classes:
            k, g = cls.index, cls.first
            count = values(self.n[k])
            if not count:
                continue
            members = [p for p in g.members if values(self.x[p, k])]
            if g.locked:
                groups[g.offer_id] = (
                    g.facilitators[0],
                    g.rooms[0][0] if g.rooms else None,
                    members,
                )
                continue
            facs = [c for c in g.facilitators if values(self.fac[k, c])]
            rooms = sorted(
                (r for r in g.rooms if values(self.room[k, r[0]])), key=lambda r: (-r[1], r[0])
            )
            groups.update(distribute(cls, count, facs, rooms, members, prefer or set()))
        return groups, [k for k, v in self.appt.items() if values(v)]


def distribute(
    cls: GroupClass,
    count: int,
    facs: list[str],
    rooms: list[tuple[str, int]],
    members: list[str],
    prefer: set[tuple],
) -> dict[str, tuple[str, str | None, list[str]]]:
    """Which of the interchangeable offers run, and who sits in which: last week's groups
    first, then balanced, every group between its minimum and its seats."""
    g = cls.first

    def was(pid: str, offer_id: str) -> bool:
        return ("group", pid, offer_id) in prefer

    ranked = sorted(
        cls.options, key=lambda o: (-sum(was(p, o.offer_id) for p in members), o.offer_id)
    )
    running = ranked[:count]
    seats = [s for _, s in rooms] or [g.telehealth_seats] * count
    rosters: list[list[str]] = [[] for _ in running]
    rest = []
    for pid in members:
        home = next((i for i, o in enumerate(running) if was(pid, o.offer_id)), None)
        if home is not None and len(rosters[home]) < seats[home]:
            rosters[home].append(pid)
        else:
            rest.append(pid)
    for pid in rest:
        i = min(
            (i for i in range(count) if len(rosters[i]) < seats[i]), key=lambda i: len(rosters[i])
        )
        rosters[i].append(pid)
    for i in range(count):  # top up anyone left below the minimum from the largest group
        while len(rosters[i]) < g.min_size:
            j = max(range(count), key=lambda j: len(rosters[j]))
            movable = [p for p in rosters[j] if not was(p, running[j].offer_id)] or list(rosters[j])
            rosters[j].remove(movable[-1])
            rosters[i].append(movable[-1])
    return {
        o.offer_id: (facs[i], rooms[i][0] if rooms else None, sorted(rosters[i]))
        for i, o in enumerate(running)
    }
