"""`solve(instance)`: the week, optimised, within a time limit, with progress.

1. Validate; split into independent parts (sites that share no clinician);
   per part prune the search space (`space.py`) and build a greedy week
   (`greedy.py`). From here on a complete week that passes the checker
   exists: `first_feasible_s`, the anytime answer.
2. Per part, the CP-SAT model (`cpsat.py`) hinted with that week; its LP
   relaxation (`relax.py`): the bound, added as a cut; an LP-rounded week,
   kept when better (often optimal). A part with more than `pool_above`
   appointment candidates (one large site) takes its bound from the pooled
   LP instead and is searched on a narrowed model (`large.py`).
3. Stage "needs" (unmet prescribed minutes + minutes below the program
   minimum): the parts closest to their bound first, each with time in
   proportion to its size (what a part does not use flows on); RENS around
   the LP, then LNS on the full model if time is left.
4. Stage "preferences": each part keeps its needs value and minimises
   changes from last week, then preference misses, then peak caseload.
5. Merge the parts, explain every unmet need.

Progress (`Progress`: elapsed seconds, stage, objective, bound, all parts
summed) goes to `SolveOptions.on_progress` each time a part improves.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from ortools.sat.python import cp_model

from openiop.scheduling.solver.counts import below_minimum_minutes, unmet_minutes_of
from openiop.scheduling.solver.cpsat import WeekModel
from openiop.scheduling.solver.explain import explain
from openiop.scheduling.solver.greedy import greedy_decisions, lp_rounding
from openiop.scheduling.solver.large import narrow
from openiop.scheduling.solver.model import Instance, InstanceError, Progress, Schedule, SolveResult
from openiop.scheduling.solver.pool import POOL_ABOVE, ModelView
from openiop.scheduling.solver.relax import relax
from openiop.scheduling.solver.space import Space, build_space
from openiop.scheduling.solver.validate import validate


@dataclass(frozen=True)
class SolveOptions:
    time_limit_s: float = 10.0
    num_workers: int = 2
    step_min: int = 30  # appointment start grid, minutes
    seed: int = 0
    hint: bool = True
    decompose: bool = True
    needs_share: float = 0.8  # of the time left after building, for the needs stage
    relaxation: bool = True  # LP bound, LP rounding and RENS before CP-SAT
    rens_share: float = 1.0  # of a part's needs time for RENS; what it leaves goes to full LNS
    stability_first: bool = False  # count changes from `previous` in the first stage (repair)
    explain: bool = True  # reasons for unmet needs (repair explains the merged week itself)
    pool_above: int = POOL_ABOVE  # candidates in a part beyond which `large.narrow` is used
    on_progress: Callable[[Progress], None] | None = None
    log: bool = False


@dataclass
class _Part:
    instance: Instance
    space: Space | None = None
    model: WeekModel | None = None
    decisions: tuple = ({}, [])
    best: int = 0
    bound: int = 0
    proven: bool = False
    size: int = 1
    first_s: float | None = None
    prefer: set = field(default_factory=set)
    lp_values: list[float] | None = None
    statuses: list[str] = field(default_factory=list)
    rounded: tuple | None = None
    narrowed: int = 0  # appointment candidates kept in a large part's model (0: all)


def split_by_site(inst: Instance) -> list[Instance]:
    """Independent parts: sites linked by a clinician who works at both stay together."""
    parent = {s.id: s.id for s in inst.sites}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for c in inst.clinicians:
        ids = sorted(c.site_ids)
        for other in ids[1:]:
            parent[find(other)] = find(ids[0])
    comps: dict[str, set[str]] = defaultdict(set)
    for s in inst.sites:
        comps[find(s.id)].add(s.id)
    if len(comps) <= 1:
        return [inst]
    parts = []
    for sites in sorted(comps.values(), key=sorted):
        programs = {p.id for p in inst.programs if p.site_id in sites}
        patients = tuple(p for p in inst.patients if p.program_id in programs)
        pids = {p.id for p in patients}
        parts.append(
            replace(
                inst,
                sites=tuple(s for s in inst.sites if s.id in sites),
                rooms=tuple(r for r in inst.rooms if r.site_id in sites),
                clinicians=tuple(c for c in inst.clinicians if c.site_ids & sites),
                programs=tuple(p for p in inst.programs if p.id in programs),
                tracks=tuple(t for t in inst.tracks if t.program_id in programs),
                offers=tuple(o for o in inst.offers if o.program_id in programs),
                patients=patients,
                previous=tuple(p for p in inst.previous if p.patient_id in pids),
            )
        )
    return parts


def needs_value(space: Space, groups: dict, chosen: list[int]) -> int:
    """The needs objective of a set of decisions, computed directly (for the greedy hint)."""
    minutes: dict[str, int] = defaultdict(int)
    options = {g.offer_id: g for g in space.groups}
    for gid, (_, _, members) in groups.items():
        for pid in members:
            minutes[pid] += options[gid].interval.minutes
    for k in chosen:
        c = space.candidates[k]
        minutes[c.patient_id] += space.needs[c.need].minutes
    total = 0
    for p in space.instance.patients:
        total += space.prescribed_minutes(p.id) - minutes[p.id]
        total += max(0, space.min_minutes[p.id] - minutes[p.id])
    return total


class _Watch(cp_model.CpSolverSolutionCallback):
    def __init__(self, run: _Run, part: _Part, stage: str) -> None:
        super().__init__()
        self.run, self.part, self.stage = run, part, stage

    def on_solution_callback(self) -> None:
        now = self.run.elapsed()
        if self.stage == "needs":
            if self.part.first_s is None:
                self.part.first_s = now
            self.part.best = min(self.part.best, round(self.objective_value))
        self.run.emit(self.stage, self.objective_value if self.stage != "needs" else None)


class _Run:
    def __init__(self, options: SolveOptions) -> None:
        self.options = options
        self.t0 = time.perf_counter()
        self.parts: list[_Part] = []
        self.timeline: list[Progress] = []

    def elapsed(self) -> float:
        return time.perf_counter() - self.t0

    def left(self) -> float:
        return self.options.time_limit_s - self.elapsed()

    def emit(self, stage: str, objective: float | None = None) -> None:
        if stage == "needs" or objective is None:
            point = Progress(
                self.elapsed(),
                "needs",
                sum(p.best for p in self.parts),
                sum(p.bound for p in self.parts),
            )
        else:
            point = Progress(self.elapsed(), stage, objective, 0)
        self.timeline.append(point)
        if self.options.on_progress:
            self.options.on_progress(point)

    def solver(self, limit: float) -> cp_model.CpSolver:
        s = cp_model.CpSolver()
        s.parameters.num_workers = self.options.num_workers
        s.parameters.max_time_in_seconds = max(0.05, limit)
        # the LP relaxation (relax.py) already gives the bound: spend both workers on
        # large neighbourhood search from the hint, which finds better weeks much sooner
        s.parameters.use_lns_only = self.options.relaxation
        s.parameters.random_seed = self.options.seed
        s.parameters.log_search_progress = self.options.log
        return s

    def solve_needs(self, part: _Part, limit: float) -> None:
        start = self.elapsed()
        if part.lp_values is not None and not part.proven:
            self._rens(part, limit * self.options.rens_share)
        left = limit - (self.elapsed() - start)
        if part.proven or left <= 0.05:
            return
        wm = part.model
        wm.hint(*part.decisions)
        solver = self.solver(left)

        def on_bound(bound: float) -> None:
            part.bound = max(part.bound, round(bound))
            self.emit("needs")

        solver.best_bound_callback = on_bound
        status = solver.solve(wm.model, _Watch(self, part, "needs"))
        part.statuses.append(solver.status_name(status))
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            self._take(part, round(solver.objective_value), solver.value)
            part.bound = max(part.bound, round(solver.best_objective_bound))
            part.proven = status == cp_model.OPTIMAL or part.bound >= part.best
            self.emit("needs")

    def _take(self, part: _Part, value: int, values) -> None:
        if value <= part.best:
            part.best = value
            part.decisions = part.model.decisions(values, part.prefer)

    def _rens(self, part: _Part, limit: float) -> None:
        """Relaxation-enforced neighbourhood search: the same model with every variable the
        LP and the current week both leave at 0 fixed to 0 (most appointment slots), which
        CP-SAT searches far faster. Its bounds hold only for the restricted model."""
        wm = part.model
        wm.hint(*part.decisions)
        hinted = dict(
            zip(wm.model.proto.solution_hint.vars, wm.model.proto.solution_hint.values, strict=True)
        )
        restricted = wm.model.clone()
        variables = restricted.proto.variables
        for i, v in enumerate(wm.model.proto.variables):
            binary = len(v.domain) == 2 and v.domain[0] == 0 and v.domain[1] == 1
            if binary and part.lp_values[i] < 1e-6 and not hinted.get(i):
                variables[i].domain[1] = 0  # fixed to 0
        solver = self.solver(limit)
        solver.parameters.use_lns_only = False
        status = solver.solve(restricted, _Watch(self, part, "needs"))
        part.statuses.append("RENS " + solver.status_name(status))
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            self._take(part, round(solver.objective_value), solver.value)
            part.proven = part.bound >= part.best
            self.emit("needs")

    def solve_preferences(self, part: _Part, limit: float) -> None:
        wm = part.model
        wm.model.add(wm.needs_expr <= part.best)
        wm.model.minimize(wm.preference_objective())
        wm.hint(*part.decisions)
        solver = self.solver(limit)
        # the default portfolio: it can prove small weeks optimal and stop early
        solver.parameters.use_lns_only = False
        status = solver.solve(wm.model, _Watch(self, part, "preferences"))
        part.statuses.append(solver.status_name(status))
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            part.decisions = wm.decisions(solver.value, part.prefer)


def _value(part: _Part, decisions) -> int:
    """`needs_expr` of a set of decisions: hint them and read the objective back."""
    wm = part.model
    value = needs_value(part.space, *decisions)
    if not wm.stability_first:
        return value
    class_of = {g.offer_id: c.index for c in part.space.classes for g in c.options}
    prev = {(p.patient_id, class_of.get(p.offer_id)) for p in part.instance.previous if p.offer_id}
    prev_appts = {
        (p.patient_id, p.session_type, p.clinician_id, p.interval): p
        for p in part.instance.previous
        if not p.offer_id
    }
    groups, chosen = decisions
    kept = sum(
        1
        for gid, (_, _, members) in groups.items()
        for pid in members
        if (pid, class_of.get(gid)) in prev
    )
    for k in chosen:
        c = part.space.candidates[k]
        key = (c.patient_id, part.space.needs[c.need].session_type, c.clinician_id, c.interval)
        if key in prev_appts and part.space.same_place(c, prev_appts[key]):
            kept += 1
    return wm.scale * value + (wm.slack - kept)


def _relax(run: _Run, part: _Part) -> None:
    """The LP bound: a cut for CP-SAT and the bound the gap is measured against."""
    if not run.options.relaxation or run.left() <= 0:
        return
    wm = part.model
    lp = relax(wm.model, time_limit_s=max(0.5, run.left() / 4))
    if lp is None:
        return
    part.bound = max(part.bound, lp.bound)
    part.lp_values = lp.values
    wm.model.add(wm.needs_expr >= part.bound)
    part.proven = part.best <= part.bound
    run.emit("needs")


def _narrow(run: _Run, part: _Part) -> bool:
    """A large part: the pooled LP's bound and a narrowed model (`large.py`)."""

    def on_bound(minutes: int) -> None:
        part.bound = minutes  # the objective is in needs minutes here (no stability term)
        run.emit("needs")

    narrowed = narrow(
        part.space,
        part.decisions,
        part.prefer,
        stability_first=run.options.stability_first,
        time_limit_s=max(0.5, run.left() / 3),
        on_bound=None if run.options.stability_first else on_bound,
    )
    if narrowed is None:
        return False
    part.model, part.lp_values = narrowed.model, narrowed.lp_values
    part.bound, part.rounded, part.narrowed = narrowed.bound, narrowed.rounded, narrowed.candidates
    return True


def _round(run: _Run, part: _Part, rounded: tuple | None = None) -> None:
    """An LP-rounded week: a better hint than the greedy one, sometimes optimal."""
    if rounded is None and (part.lp_values is None or part.narrowed):
        return
    if part.proven:
        return
    if rounded is None:
        view = ModelView(part.model, part.lp_values)
        rounded = lp_rounding(part.space, view, prefer=part.prefer)
    value = _value(part, rounded)
    if value < part.best:
        part.best, part.decisions = value, rounded
        part.model.hint(*rounded)
    part.proven = part.best <= part.bound
    run.emit("needs")


def _share(parts: list[_Part], total: float) -> dict[int, float]:
    weight = sum(p.size for p in parts) or 1
    return {id(p): total * p.size / weight for p in parts}


def solve(instance: Instance, options: SolveOptions | None = None) -> SolveResult:
    """Solve one week: validate, prune, greedy hint, CP-SAT in two stages, explain."""
    options = options or SolveOptions()
    run = _Run(options)
    validate(instance)
    pieces = split_by_site(instance) if options.decompose else [instance]
    # first a complete, checkable week: every part's pruned space and greedy schedule
    for sub in pieces:
        part = _Part(sub)
        run.parts.append(part)
        if not sub.patients:
            continue
        try:
            part.space = build_space(sub, step=options.step_min)
        except InstanceError:
            continue  # a site with nobody working: its needs stay unmet, explained below
        part.prefer = {("group", p.patient_id, p.offer_id) for p in sub.previous if p.offer_id} | {
            ("appt", p.patient_id, p.session_type, p.clinician_id, p.interval)
            for p in sub.previous
            if not p.offer_id
        }
        part.decisions = greedy_decisions(part.space, prefer=part.prefer)
        part.best = needs_value(part.space, *part.decisions)
    first_feasible = run.elapsed()
    greedy_value = sum(p.best for p in run.parts)
    run.emit("needs")
    # then the models, hinted with those weeks
    for part in run.parts:
        if part.space is None:
            continue
        if not (
            options.relaxation
            and len(part.space.candidates) > options.pool_above
            and _narrow(run, part)
        ):
            part.model = WeekModel(part.space, stability_first=options.stability_first)
            part.model.model.minimize(part.model.needs_expr)
        part.best = _value(part, part.decisions)
        if part.narrowed:
            _round(run, part, part.rounded)
        if options.hint:
            part.model.hint(*part.decisions)
        part.size = len(part.model.model.proto.variables) + 1
    built = run.elapsed()
    active = [p for p in run.parts if p.model is not None]
    for part in active:  # every part's bound first, then the better weeks
        if not part.narrowed:
            _relax(run, part)
    for part in active:
        _round(run, part)
    stage_end = run.elapsed() + max(0.0, run.left()) * options.needs_share
    # one pass, the parts closest to their bound first: what they do not need (a proof
    # comes early) flows on to the harder parts
    todo = sorted((p for p in active if not p.proven), key=lambda p: (p.best - p.bound, p.size))
    while todo:
        part = todo.pop(0)
        weight = sum(p.size for p in todo) + part.size
        run.solve_needs(part, max(0.0, stage_end - run.elapsed()) * part.size / weight)
    todo = active
    budget = _share(todo, max(0.0, run.left()))
    for part in todo:
        if budget[id(part)] > 0.2:
            run.solve_preferences(part, budget[id(part)])

    schedules, unmet = [], []
    for part in run.parts:
        week = part.space.to_schedule(*part.decisions) if part.space else Schedule()
        schedules.append(week)
        if options.explain:
            unmet += explain(part.instance, week, space=part.space)
    schedule = Schedule(
        groups=tuple(g for s in schedules for g in s.groups),
        appointments=tuple(
            sorted(
                (a for s in schedules for a in s.appointments),
                key=lambda a: (a.interval.week_start, a.patient_id, a.session_type),
            )
        ),
    )
    unmet = tuple(unmet)
    unmet_minutes = (
        sum(u.minutes for u in unmet) if options.explain else unmet_minutes_of(instance, schedule)
    )
    below = below_minimum_minutes(instance, schedule)
    objective = unmet_minutes + below
    firsts = [p.first_s for p in active]
    return SolveResult(
        schedule=schedule,
        unmet=unmet,
        solver="cp-sat",
        status="OPTIMAL" if all(p.proven for p in active) else "FEASIBLE",
        objective=objective,
        bound=min(objective, sum(p.model.minutes_bound(p.bound) for p in active)),
        unmet_minutes=unmet_minutes,
        below_minimum_minutes=below,
        first_feasible_s=first_feasible,
        wall_s=run.elapsed(),
        timeline=tuple(run.timeline),
        stats={
            "parts": len(run.parts),
            "variables": sum(p.size - 1 for p in active),
            "appointment_candidates": sum(len(p.space.candidates) for p in active),
            "group_options": sum(len(p.space.groups) for p in active),
            "build_s": round(built, 3),
            "narrowed_candidates": sum(p.narrowed for p in active),
            "greedy_objective": greedy_value,
            "cpsat_first_solution_s": max(firsts) if firsts and None not in firsts else None,
            "statuses": [p.statuses for p in active],
        },
    )
