"""A large part (one big site): bound from the pooled LP, search on a narrowed model.

When a part has more than `SolveOptions.pool_above` appointment candidates
(one site with 600 patients and 80 clinicians has about 450,000), building the
full CP-SAT model, its LP and presolving it takes most of a minute. Instead:

1. the bound: the LP of the pooled week (`pool.py`), a relaxation, so a valid
   lower bound on the real week; about an eighth of the columns;
2. a narrowed space: the candidates of every clinician of a pool at the
   (need, time, office class) the pooled LP uses, the greedy week's, and the
   ones that keep last week's appointments; about 4% of the candidates;
3. the LP of the narrowed model gives each clinician's share (it equals the
   pooled bound when the pooled solution can be split among people), and its
   rounding on the full space a week, whose candidates join the narrowed
   space;
4. that model, with the bound as a cut and the LP values for RENS, is what
   `optimize` searches.

Only step 1 is a bound; the narrowing can only cost solution quality, and the
gap reported (against the pooled bound) shows what it costs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from openiop.scheduling.solver.cpsat import WeekModel
from openiop.scheduling.solver.greedy import lp_rounding
from openiop.scheduling.solver.pool import ModelView, PoolView, pooled_relaxation, restrict
from openiop.scheduling.solver.relax import relax
from openiop.scheduling.solver.space import Space


@dataclass
class Narrowed:
    model: WeekModel
    bound: int  # on the model's first-stage objective (`needs_expr`)
    lp_values: list[float] | None  # per variable of `model`
    rounded: tuple | None  # decisions of the LP-rounded week
    candidates: int  # appointment candidates kept


def last_week_candidates(space: Space, prefer: set[tuple]) -> set[int]:
    """Candidates that keep one of last week's appointments."""
    if not prefer:
        return set()
    out = set()
    for c in space.candidates:
        key = ("appt", c.patient_id, space.needs[c.need].session_type, c.clinician_id, c.interval)
        if key in prefer:
            out.add(c.index)
    return out


def transfer(values: list[float], source: WeekModel, target: WeekModel) -> list[float]:
    """LP values of `source` for the same decisions in `target` (0 where it has none)."""
    out = [0.0] * len(target.model.proto.variables)
    for name in ("n", "fac", "room", "x", "appt", "below"):
        mapping = getattr(source, name)
        for key, var in getattr(target, name).items():
            src = mapping.get(key)
            if src is not None and hasattr(src, "index") and hasattr(var, "index"):
                out[var.index] = values[src.index]
    return out


def narrow(
    space: Space,
    decisions: tuple,
    prefer: set[tuple],
    *,
    stability_first: bool,
    time_limit_s: float,
    on_bound: Callable[[int], None] | None = None,
) -> Narrowed | None:
    """The pooled bound and the narrowed model (None: the pooled LP did not finish).
    `on_bound` hears the bound (in needs minutes) as soon as it is known."""
    relaxation = pooled_relaxation(space.instance, step=space.step, time_limit_s=time_limit_s)
    if relaxation is None:
        return None
    if on_bound:
        on_bound(relaxation.bound)
    view = PoolView(space, relaxation)
    keep = set(view.appt_values) | set(decisions[1]) | last_week_candidates(space, prefer)
    first = WeekModel(restrict(space, keep), stability_first=stability_first)
    first.model.minimize(first.needs_expr)
    bound = first.scale * relaxation.bound
    lp = relax(first.model, time_limit_s=time_limit_s)
    rounded = None
    if lp is not None:
        rounded = lp_rounding(space, ModelView(first, lp.values), prefer=prefer)
        keep |= set(rounded[1])
    model = WeekModel(restrict(space, keep), stability_first=stability_first)
    model.model.minimize(model.needs_expr)
    model.model.add(model.needs_expr >= bound)
    values = transfer(lp.values, first, model) if lp is not None else None
    return Narrowed(model, bound, values, rounded, len(keep))
