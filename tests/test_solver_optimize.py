"""The optimizer end to end: checker-clean output, planted optima, repair, the benchmark."""

import io
import json
from dataclasses import replace

import pytest
from django.core.management import CommandError, call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openiop.scheduling.solver import (
    ClinicianOff,
    InstanceError,
    PatientAdmitted,
    PatientDischarged,
    PreviousAssignment,
    RoomClosed,
    check,
    repair,
    solve,
)
from openiop.scheduling.solver.generate import SIZES, generate, new_admissions
from openiop.scheduling.solver.greedy import greedy_decisions
from openiop.scheduling.solver.optimize import SolveOptions
from openiop.scheduling.solver.space import build_space
from tests.solver_cases import evening_patient, small_week


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    patients=st.integers(3, 24),
    clinicians=st.integers(2, 7),
    rooms=st.integers(2, 5),
    seed=st.integers(0, 10_000),
)
def test_every_schedule_passes_the_independent_checker(patients, clinicians, rooms, seed):
    inst = generate(patients=patients, clinicians=clinicians, rooms=rooms, seed=seed).instance
    space = build_space(inst)
    greedy = space.to_schedule(*greedy_decisions(space))
    assert check(inst, greedy).ok, check(inst, greedy).violations[:3]
    result = solve(inst, SolveOptions(time_limit_s=1.5))
    report = check(inst, result.schedule)
    assert report.ok, report.violations[:3]
    assert result.bound <= result.objective
    assert result.objective == result.unmet_minutes + result.below_minimum_minutes


def test_a_planted_week_solves_to_zero_unmet_needs():
    gen = generate(**SIZES["S"], seed=11, planted=True)
    assert check(gen.instance, gen.planted).ok
    result = solve(gen.instance, SolveOptions(time_limit_s=8))
    assert result.unmet == ()
    assert result.unmet_minutes == 0 and result.below_minimum_minutes == 0
    assert result.bound == 0 and result.gap == 0
    assert check(gen.instance, result.schedule).ok


def test_the_optimizer_beats_the_greedy_baseline_and_reports_progress():
    inst = generate(**SIZES["S"], seed=2).instance
    space = build_space(inst)
    greedy = space.to_schedule(*greedy_decisions(space))
    seen = []
    result = solve(inst, SolveOptions(time_limit_s=6, on_progress=seen.append))
    from openiop.scheduling.solver import explain

    greedy_unmet = sum(u.minutes for u in explain(inst, greedy))
    assert result.unmet_minutes < greedy_unmet
    needs = [p for p in seen if p.stage == "needs"]
    # progress only improves, and the result is at least as good as the last report
    # (a final improvement may land after the last callback when time runs out)
    assert needs and all(a.objective >= b.objective for a, b in zip(needs, needs[1:]))
    assert needs[-1].objective >= result.objective
    assert all(p.bound <= p.objective for p in needs)
    assert result.first_feasible_s is not None and result.first_feasible_s < result.wall_s


def test_it_keeps_last_weeks_appointment_when_nothing_forces_a_change():
    week = small_week(patients=3)
    first = solve(week, SolveOptions(time_limit_s=3))
    previous = tuple(
        PreviousAssignment(
            a.patient_id,
            session_type=a.session_type,
            clinician_id=a.clinician_id,
            interval=a.interval,
        )
        for a in first.schedule.appointments
    ) + tuple(
        PreviousAssignment(pid, offer_id=g.offer_id)
        for g in first.schedule.groups
        for pid in g.patient_ids
    )
    again = solve(replace(week, previous=previous), SolveOptions(time_limit_s=3, seed=7))
    assert set(again.schedule.appointments) == set(first.schedule.appointments)
    assert again.unmet_minutes == first.unmet_minutes


def test_telehealth_is_used_only_where_allowed_and_rooms_are_assigned():
    patients = tuple(evening_patient(i, telehealth_ok=i % 2 == 0) for i in range(1, 9))
    week = small_week(patients=patients)
    result = solve(week, SolveOptions(time_limit_s=3))
    for a in result.schedule.appointments:
        if a.room_id is None:
            assert week.patient[a.patient_id].telehealth_ok
    assert check(week, result.schedule).ok


# ---------------------------------------------------------------- repair


@pytest.fixture(scope="module")
def solved():
    inst = generate(**SIZES["S"], seed=4, previous=False).instance
    return inst, solve(inst, SolveOptions(time_limit_s=5))


def _sessions(inst, schedule, pid):
    return schedule.sessions_of(inst, pid)


def _assert_only_affected_changed(inst, before, result):
    assert check(result.instance, result.schedule).ok, check(
        result.instance, result.schedule
    ).violations[:3]
    assert set(result.patients_changed) <= set(result.affected)
    for p in result.instance.patients:
        if p.id not in result.affected:
            old = [a for a in before.appointments if a.patient_id == p.id]
            new = [a for a in result.schedule.appointments if a.patient_id == p.id]
            assert old == new
            assert _sessions(inst, before, p.id) == _sessions(
                result.instance, result.schedule, p.id
            )


def test_repair_after_a_clinician_calls_in_sick_touches_only_their_patients(solved):
    inst, result = solved
    busy = {a.clinician_id for a in result.schedule.appointments}
    sick = sorted(busy)[0]
    fixed = repair(inst, result.schedule, [ClinicianOff(sick)], SolveOptions(time_limit_s=3))
    _assert_only_affected_changed(inst, result.schedule, fixed)
    assert not any(a.clinician_id == sick for a in fixed.schedule.appointments)
    assert not any(g.facilitator_id == sick for g in fixed.schedule.groups)
    theirs = {a.patient_id for a in result.schedule.appointments if a.clinician_id == sick}
    assert theirs <= set(fixed.affected)
    for change in fixed.changes:
        assert change.removed or change.added


def test_repair_after_a_room_closes_moves_only_what_was_in_it(solved):
    inst, result = solved
    room = next(g.room_id for g in result.schedule.groups if g.room_id)
    fixed = repair(inst, result.schedule, [RoomClosed(room)], SolveOptions(time_limit_s=3))
    _assert_only_affected_changed(inst, result.schedule, fixed)
    assert not any(g.room_id == room for g in fixed.schedule.groups)


def test_admissions_and_discharges_leave_everyone_else_alone(solved):
    inst, result = solved
    newcomers = new_admissions(inst, 3, seed=1)
    leaving = result.schedule.groups[0].patient_ids[0]
    changes = [PatientAdmitted(p) for p in newcomers] + [PatientDischarged(leaving)]
    fixed = repair(inst, result.schedule, changes, SolveOptions(time_limit_s=3))
    _assert_only_affected_changed(inst, result.schedule, fixed)
    assert set(fixed.affected) == {p.id for p in newcomers}
    assert leaving not in {pid for g in fixed.schedule.groups for pid in g.patient_ids}
    placed = {pid for g in fixed.schedule.groups for pid in g.patient_ids}
    assert placed & {p.id for p in newcomers}


def test_repair_refuses_unknown_people_and_rooms(solved):
    inst, result = solved
    with pytest.raises(InstanceError, match="no clinician 'C-999'"):
        repair(inst, result.schedule, [ClinicianOff("C-999")])
    with pytest.raises(InstanceError, match="no room"):
        repair(inst, result.schedule, [RoomClosed("nowhere")])
    with pytest.raises(InstanceError, match="already in the week"):
        repair(inst, result.schedule, [PatientAdmitted(inst.patients[0])])
    with pytest.raises(InstanceError, match="no patient"):
        repair(inst, result.schedule, [PatientDischarged("P-9999")])


# ---------------------------------------------------------------- the benchmark command


def test_the_benchmark_command_prints_the_figures_as_json():
    out = io.StringIO()
    call_command(
        "bench_schedule", "--size", "S", "--time-limit", "3", stdout=out, stderr=io.StringIO()
    )
    figures = json.loads(out.getvalue())
    for key in (
        "first_feasible_s",
        "unmet_patient_hours",
        "hard_violations",
        "gap",
        "greedy_unmet_patient_hours",
        "repair_s",
        "repair_patients_changed",
    ):
        assert key in figures
    assert figures["hard_violations"] == 0 and figures["greedy_hard_violations"] == 0
    assert figures["unmet_patient_hours"] <= figures["greedy_unmet_patient_hours"]
    assert set(figures["repair_s"]) == {"clinician_off_week", "admissions_10pct"}
    assert all(r["only_affected_changed"] for r in figures["repair"].values())


@pytest.mark.parametrize(
    "args, message",
    [
        (["--time-limit", "0"], "time limit must be between 1 and 3,600"),
        (["--patients", "10"], "missing clinicians, rooms"),
        (["--patients", "10", "--clinicians", "2", "--rooms", "1"], "two rooms per site"),
        (["--workers", "0"], "workers must be between 1 and 64"),
    ],
)
def test_the_benchmark_command_refuses_bad_input_with_exit_status_2(args, message):
    with pytest.raises(CommandError, match=message) as err:
        call_command("bench_schedule", *args, stdout=io.StringIO(), stderr=io.StringIO())
    assert err.value.returncode == 2
