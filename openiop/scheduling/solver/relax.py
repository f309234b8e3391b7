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

    def literal(ref: int):
        return xs[ref] if ref >= 0 else 1 - xs[-ref - 1]

    for c in proto.constraints:
        enforced = list(c.enforcement_literal)
        if c.has_linear():
            if enforced:
                continue
            lo, hi = c.linear.domain[0], _last(c.linear.domain)
            expr = lp.Sum(
                [co * xs[v] for v, co in zip(c.linear.vars, c.linear.coeffs, strict=True)]
            )
            if lo > -INT64_EDGE:
                lp.Add(expr >= lo)
            if hi < INT64_EDGE:
                lp.Add(expr <= hi)
        elif c.has_at_most_one():
            lp.Add(lp.Sum([literal(r) for r in c.at_most_one.literals]) <= 1)
        elif c.has_exactly_one():
            lp.Add(lp.Sum([literal(r) for r in c.exactly_one.literals]) == 1)
        elif c.has_bool_and():
            for e in enforced:
                for r in c.bool_and.literals:
                    lp.Add(literal(e) <= literal(r))
        elif c.has_bool_or() and not enforced:
            lp.Add(lp.Sum([literal(r) for r in c.bool_or.literals]) >= 1)
    obj = proto.objective
    lp.Minimize(lp.Sum([co * xs[v] for v, co in zip(obj.vars, obj.coeffs, strict=True)]))
    status = lp.Solve()
    if status not in (pywraplp.Solver.OPTIMAL, pywraplp.Solver.FEASIBLE):
        return None
    value = lp.Objective().Value() + obj.offset
    optimal = status == pywraplp.Solver.OPTIMAL
    # a bound only when the LP is proven optimal; allow for floating-point noise
    bound = math.ceil(value - 1e-6 * max(1.0, abs(value))) if optimal else -INT64_EDGE
    return Relaxation(bound, [x.solution_value() for x in xs], optimal)
