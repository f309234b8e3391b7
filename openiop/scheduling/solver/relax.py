"""The LP relaxation of a CP-SAT model, solved with GLOP (OR-Tools' simplex).

Read straight from the model's proto, so it relaxes exactly the model CP-SAT
solves: every integer variable becomes continuous within its domain's hull,
linear rows keep their bounds, at-most-one and exactly-one become sums of
literals, implications `a => b` become `a <= b`. Rows that only hold under an
enforcement literal are dropped, which keeps it a relaxation. Its optimum is
therefore a valid lower bound on the model's objective.

On these scheduling models the relaxation is tight (it usually equals the
optimum), and GLOP proves it in about a second where CP-SAT's own lazily
built LP, with two workers, takes minutes to get there. The bound is added
back to the model as a cut, and the fractional solution guides the rounding
heuristic (`greedy.Greedy.seed`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ortools.linear_solver import pywraplp
from ortools.sat.python import cp_model

INT64_EDGE = 2**62


@dataclass(frozen=True)
class Relaxation:
    bound: int  # ceil of the LP optimum (the objective is integral)
    values: list[float]  # per proto variable index
    optimal: bool


def _last(seq) -> int:
    return seq[len(seq) - 1]  # the proto wrapper's sequences do not support [-1]


def relax(model: cp_model.CpModel, *, time_limit_s: float = 30.0) -> Relaxation | None:
    proto = model.proto
    lp = pywraplp.Solver.CreateSolver("GLOP")
    if lp is None:
        return None
    lp.SetTimeLimit(int(time_limit_s * 1000))
    xs = [lp.NumVar(v.domain[0], _last(v.domain), "") for v in proto.variables]
    inf = lp.infinity()

    def row(lo: float, hi: float, terms) -> None:
        """lo <= sum(coef * literal) <= hi, literals as CP-SAT refs (negative: 1 - x)."""
        ct = lp.Constraint(lo, hi)
        shift = 0
        for ref, coef in terms:
            if ref >= 0:
                ct.SetCoefficient(xs[ref], coef)
            else:
                ct.SetCoefficient(xs[-ref - 1], -coef)
                shift += coef
        ct.SetBounds(lo - shift if lo > -inf else -inf, hi - shift if hi < inf else inf)

    for c in proto.constraints:
        enforced = list(c.enforcement_literal)
        if c.has_linear():
            if enforced:
                continue
            lo, hi = c.linear.domain[0], _last(c.linear.domain)
            ct = lp.Constraint(lo if lo > -INT64_EDGE else -inf, hi if hi < INT64_EDGE else inf)
            for v, co in zip(c.linear.vars, c.linear.coeffs, strict=True):
                ct.SetCoefficient(xs[v], co)
        elif c.has_at_most_one():
            row(-inf, 1, [(r, 1) for r in c.at_most_one.literals])
        elif c.has_exactly_one():
            row(1, 1, [(r, 1) for r in c.exactly_one.literals])
        elif c.has_bool_and():
            for e in enforced:  # e => r, i.e. e - r <= 0
                for r in c.bool_and.literals:
                    row(-inf, 0, [(e, 1), (r, -1)])
        elif c.has_bool_or() and not enforced:
            row(1, inf, [(r, 1) for r in c.bool_or.literals])
    obj = proto.objective
    objective = lp.Objective()
    for v, co in zip(obj.vars, obj.coeffs, strict=True):
        objective.SetCoefficient(xs[v], co)
    objective.SetMinimization()
    status = lp.Solve()
    if status not in (pywraplp.Solver.OPTIMAL, pywraplp.Solver.FEASIBLE):
        return None
    value = lp.Objective().Value() + obj.offset
    optimal = status == pywraplp.Solver.OPTIMAL
    # a bound only when the LP is proven optimal; allow for floating-point noise
    bound = math.ceil(value - 1e-6 * max(1.0, abs(value))) if optimal else -INT64_EDGE
    return Relaxation(bound, [x.solution_value() for x in xs], optimal)
