"""The pooled relaxation (the bound of a large part) and the narrowed model searched there."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openiop.scheduling.solver import catalog as cat
from openiop.scheduling.solver import check, explain, solve
from openiop.scheduling.solver.cpsat import WeekModel
from openiop.scheduling.solver.generate import SIZES, generate
from openiop.scheduling.solver.model import Clinician, Interval, Need, Patient, Program, Room
from openiop.scheduling.solver.model import RoomKind as Kind
from openiop.scheduling.solver.optimize import SolveOptions, unmet_minutes_of
from openiop.scheduling.solver.pool import _duty_counter, pool_clinicians, pooled_relaxation
from openiop.scheduling.solver.relax import relax
from openiop.scheduling.solver.space import build_space
from tests.solver_cases import small_week

MONDAY_9_TO_10 = (Interval.at(0, "09:00", "10:00"),)


def two_counsellors_three_patients(hours=(MONDAY_9_TO_10, MONDAY_9_TO_10)):
    """Three patients free only Monday 9-10 for one 50-minute session each; two
    interchangeable counsellors: at most two can be seen, so the optimum leaves 50
    minutes unmet (no weekly minimum, offices to spare, no groups)."""
    clinicians = tuple(
        Clinician(f"C-{i}", f"Test Counsellor {i}", frozenset({"S1"}), frozenset({"LPC"}), h)
        for i, h in enumerate(hours, start=1)
    )
    patients = tuple(
        Patient(f"P-{i}", "PR1", MONDAY_9_TO_10, (Need(cat.INDIVIDUAL.code, 1),), label=f"T-{i}")
        for i in range(1, 4)
    )
    return small_week(
        patients,
        clinicians=clinicians,
        programs=(Program("PR1", "S1", "Test Adult IOP", 0, 19 * 60),),
        rooms=tuple(Room(f"R-O{i}", "S1", f"Office {i}", 3, Kind.OFFICE) for i in range(3)),
        offers=(),
        tracks=(),
    )


def test_the_pooled_bound_counts_the_people_on_duty():
    inst = two_counsellors_three_patients()
    pooling = pool_clinicians(inst)
    assert len(pooling.instance.clinicians) == 1  # one pool of two
    relaxation = pooled_relaxation(inst)
    # a pool of capacity one would claim 100 minutes (more than the optimum), one without
    # a capacity 0: only "two at once" gives the true 50
    assert relaxation.bound == 50
    result = solve(inst, SolveOptions(time_limit_s=5, pool_above=0))
    assert result.stats["narrowed_candidates"] > 0
    assert (result.objective, result.bound, result.status) == (50, 50, "OPTIMAL")
    assert check(inst, result.schedule).ok


def test_a_pool_is_no_larger_than_who_is_on_duty_at_that_moment():
    # the second counsellor starts at 10: at 9:00 only one of the pool is there
    late = (Interval.at(0, "10:00", "11:00"),)
    inst = two_counsellors_three_patients(hours=(MONDAY_9_TO_10, late))
    assert pooled_relaxation(inst).bound == 100  # only one of the three can be seen
    on_duty = _duty_counter([MONDAY_9_TO_10, late])
    assert [on_duty(m) for m in (539, 540, 599, 600, 659, 660)] == [0, 1, 1, 1, 1, 0]


@pytest.mark.parametrize("seed", [1, 5])
def test_the_pooled_bound_is_below_the_full_lp_and_the_proven_optimum(seed):
    inst = generate(**SIZES["S"], seed=seed).instance
    space = build_space(inst)
    full = WeekModel(space)
    full.model.minimize(full.needs_expr)
    full_lp = relax(full.model)
    pooled = pooled_relaxation(inst)
    assert 0 < pooled.bound <= full_lp.bound
    result = solve(inst, SolveOptions(time_limit_s=20, seed=1))
    assert result.status == "OPTIMAL"
    assert pooled.bound <= result.objective


def test_a_planted_week_solves_to_zero_through_the_narrowed_model():
    gen = generate(**SIZES["S"], seed=11, planted=True)
    result = solve(gen.instance, SolveOptions(time_limit_s=10, pool_above=0))
    assert result.stats["narrowed_candidates"] > 0
    assert result.unmet_minutes == 0 and result.below_minimum_minutes == 0
    assert result.bound == 0 and result.gap == 0
    assert check(gen.instance, result.schedule).ok


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    patients=st.integers(3, 30),
    clinicians=st.integers(2, 8),
    rooms=st.integers(2, 5),
    seed=st.integers(0, 10_000),
)
def test_the_narrowed_model_gives_checker_clean_weeks(patients, clinicians, rooms, seed):
    inst = generate(patients=patients, clinicians=clinicians, rooms=rooms, seed=seed).instance
    result = solve(inst, SolveOptions(time_limit_s=1.5, pool_above=0))
    assert check(inst, result.schedule).ok
    assert result.bound <= result.objective
    assert result.objective == result.unmet_minutes + result.below_minimum_minutes
    full = solve(inst, SolveOptions(time_limit_s=1.5))
    assert result.bound <= full.objective and full.bound <= result.objective


def test_without_reasons_the_unmet_minutes_are_counted_the_same():
    inst = generate(**SIZES["S"], seed=3).instance
    result = solve(inst, SolveOptions(time_limit_s=2, explain=False))
    assert result.unmet == ()
    explained = explain(inst, result.schedule)
    assert result.unmet_minutes == unmet_minutes_of(inst, result.schedule)
    assert result.unmet_minutes == sum(u.minutes for u in explained) > 0
