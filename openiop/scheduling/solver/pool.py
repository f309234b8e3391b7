"""A small relaxation of a large week, for the bound: clinicians pooled.

One large site (600 patients, 80 clinicians) gives about 450,000 appointment
candidates, one per (need, clinician, start, office class or telehealth). The
LP relaxation of that model takes half a minute to build and solve on two
cores, so within a minute's limit it never finished and the run had no bound.
Splitting by site does not help when there is one site.

The pooled model merges the clinicians of a site who may lead the same session
types into one *pool* and is a relaxation of the real model: every week of the
real model, with each clinician's sessions given to their pool, is a solution
of the pooled model with the same needs value, because

- a pool works whenever one of its members does (the union of their free
  hours), with at most as many sessions at once as members on duty at that
  moment (`WeekModel(staff_capacity=...)`), and leads any number of parallel
  groups within that;
- its weekly cap is the members' caps added up (none if one has none);
- it holds the union of their licences, which allows exactly the session types
  each member may lead (that is what makes them one pool);
- patients, groups, rooms, offices and every other rule stay as they are.

One more reduction keeps the LP's optimum unchanged: an in-person candidate
whose telehealth twin (same need, pool and time) exists is left out, since the
twin uses no office and counts the same in the needs objective.

So the pooled LP optimum is at most the real model's LP optimum, which is at
most the best week: a valid lower bound (the tests check it against proven
optima). On the large site it has about an eighth of the columns. Its solution
also guides the search (`PoolView`): a real candidate is worth what its pool's
is, and the CP-SAT model keeps only the candidates the LP or the current week
use, plus last week's and the preferred ones (`restrict`).
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace

from openiop.scheduling.solver import windows as win
from openiop.scheduling.solver.cpsat import WeekModel
from openiop.scheduling.solver.model import Clinician, Instance, Interval
from openiop.scheduling.solver.relax import relax
from openiop.scheduling.solver.space import Space, build_space

POOL_ABOVE = 100_000  # appointment candidates in a part beyond which the pooled LP is used


@dataclass
class Pooling:
    instance: Instance  # the week with one clinician per pool
    pool_of: dict[str, str]  # clinician id -> pool id
    on_duty: dict[str, Callable[[int], int]]  # pool id -> members free at a week minute


def _duty_counter(free_windows: list[tuple[Interval, ...]]) -> Callable[[int], int]:
    """How many of these members are free at a week minute."""
    events: dict[int, int] = defaultdict(int)
    for windows in free_windows:
        for w in win.normalize(windows):
            events[w.week_start] += 1
            events[w.week_end] -= 1
    points = sorted(events)
    counts, running = [], 0
    for p in points:
        running += events[p]
        counts.append(running)

    def at(minute: int) -> int:
        i = bisect.bisect_right(points, minute) - 1
        return counts[i] if i >= 0 else 0

    return at


def pool_clinicians(inst: Instance) -> Pooling:
    groups: dict[tuple, list[Clinician]] = defaultdict(list)
    for c in inst.clinicians:
        can = frozenset(t.code for t in inst.session_types if t.allows(c.credentials))
        groups[(tuple(sorted(c.site_ids)), can)].append(c)
    pool_of: dict[str, str] = {}
    pooled: list[Clinician] = []
    on_duty: dict[str, Callable[[int], int]] = {}
    for members in groups.values():
        free = [win.subtract(c.availability, c.leave) for c in members]
        caps = [c.max_weekly_minutes for c in members]
        pid = members[0].id if len(members) == 1 else f"pool:{members[0].id}"
        pooled.append(
            Clinician(
                pid,
                f"{len(members)} clinicians",
                members[0].site_ids,
                frozenset().union(*(c.credentials for c in members)),
                win.normalize(w for windows in free for w in windows),
                (),
                None if None in caps else sum(caps),
            )
        )
        for c in members:
            pool_of[c.id] = pid
        if len(members) > 1:
            on_duty[pid] = _duty_counter(free)
    offers = tuple(
        replace(o, facilitator_id=pool_of[o.facilitator_id]) if o.facilitator_id else o
        for o in inst.offers
    )
    week = replace(inst, clinicians=tuple(pooled), offers=offers, previous=())
    return Pooling(week, pool_of, on_duty)


def drop_dominated(space: Space) -> Space:
    """Without in-person candidates whose telehealth twin exists (same needs value)."""
    remote = {
        (c.need, c.clinician_id, c.interval) for c in space.candidates if c.room_class is None
    }
    by_need = {
        need: [
            k
            for k in ks
            if space.candidates[k].room_class is None
            or (need, space.candidates[k].clinician_id, space.candidates[k].interval) not in remote
        ]
        for need, ks in space.by_need.items()
    }
    return replace(space, by_need=by_need)


def restrict(space: Space, keep: set[int]) -> Space:
    """The same space with only the appointment candidates in `keep` (indices unchanged)."""
    by_need = {need: [k for k in ks if k in keep] for need, ks in space.by_need.items()}
    return replace(space, by_need={need: ks for need, ks in by_need.items() if ks})


@dataclass
class PooledRelaxation:
    bound: int  # on the needs minutes of the real week
    pooling: Pooling
    space: Space
    model: WeekModel
    values: list[float]
    optimal: bool


def pooled_relaxation(
    inst: Instance, *, step: int = 30, time_limit_s: float = 30.0
) -> PooledRelaxation | None:
    """The LP bound of the pooled week (None when the LP does not finish in time)."""
    pooling = pool_clinicians(inst)
    space = drop_dominated(build_space(pooling.instance, step=step))
    wm = WeekModel(space, staff_capacity=pooling.on_duty)
    wm.model.minimize(wm.needs_expr)
    lp = relax(wm.model, time_limit_s=time_limit_s)
    if lp is None or not lp.optimal:
        return None
    return PooledRelaxation(lp.bound, pooling, space, wm, lp.values, lp.optimal)


class ModelView:
    """LP values of a model's own variables, by the keys the rounding asks for."""

    def __init__(self, model: WeekModel, values: list[float]) -> None:
        self.model, self.values = model, values

    def x(self, pid: str, k: int) -> float:
        return self.values[self.model.x[pid, k].index]

    def n(self, k: int) -> float:
        n = self.model.n[k]
        return self.values[n.index] if hasattr(n, "index") else 0

    def fac(self, k: int, c: str) -> float:
        return self.values[self.model.fac[k, c].index]

    def room(self, k: int, r: str) -> float:
        return self.values[self.model.room[k, r].index]

    def pool(self, c: str) -> str:
        return c

    def appts(self, threshold: float = 0.05) -> list[int]:
        """Candidates the LP uses, most used first."""
        vals = self.values
        used = [(vals[v.index], k) for k, v in self.model.appt.items() if vals[v.index] > threshold]
        return [k for _, k in sorted(used, key=lambda t: (-t[0], t[1]))]


class PoolView:
    """The pooled LP's values read for the real week: a candidate, a group class and a
    facilitator are worth what their pool's counterparts are."""

    def __init__(self, space: Space, relaxation: PooledRelaxation) -> None:
        self.space, self.r = space, relaxation
        pm, pspace = relaxation.model, relaxation.space
        vals = relaxation.values
        pooled_class = {o.offer_id: cls.index for cls in pspace.classes for o in cls.options}
        self.cls = {cls.index: pooled_class.get(cls.first.offer_id) for cls in space.classes}
        worth: dict[tuple, float] = {}
        for k, v in pm.appt.items():
            c = pspace.candidates[k]
            worth[(c.need, c.clinician_id, c.interval, c.room_class)] = vals[v.index]
        pool_of = relaxation.pooling.pool_of
        self.appt_values: dict[int, float] = {}
        for c in space.candidates:
            pool = pool_of[c.clinician_id]
            value = worth.get((c.need, pool, c.interval, c.room_class))
            if value is None:  # an in-person candidate left out for its telehealth twin
                value = worth.get((c.need, pool, c.interval, None), 0.0)
            if value > 1e-6:
                self.appt_values[c.index] = value

    def _value(self, var) -> float:
        return self.r.values[var.index] if var is not None and hasattr(var, "index") else 0.0

    def x(self, pid: str, k: int) -> float:
        kp = self.cls.get(k)
        return 0.0 if kp is None else self._value(self.r.model.x.get((pid, kp)))

    def n(self, k: int) -> float:
        kp = self.cls.get(k)
        return 0.0 if kp is None else self._value(self.r.model.n.get(kp))

    def fac(self, k: int, c: str) -> float:
        kp = self.cls.get(k)
        pool = self.r.pooling.pool_of[c]
        return 0.0 if kp is None else self._value(self.r.model.fac.get((kp, pool)))

    def room(self, k: int, r: str) -> float:
        kp = self.cls.get(k)
        return 0.0 if kp is None else self._value(self.r.model.room.get((kp, r)))

    def pool(self, c: str) -> str:
        return self.r.pooling.pool_of[c]

    def appts(self, threshold: float = 0.05) -> list[int]:
        """Candidates whose pool the LP uses, most used first, then in time order: members
        of a pool take its sessions by start time, as interval partitioning does, which
        fits as many at once as the pool has people on duty."""
        cands = self.space.candidates
        used = [(v, k) for k, v in self.appt_values.items() if v > threshold]
        used.sort(key=lambda t: (-round(t[0], 2), cands[t[1]].interval.week_start, t[1]))
        return [k for _, k in used]
