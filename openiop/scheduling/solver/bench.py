"""`openiop bench schedule`: the optimizer against the greedy baseline, and repair.

    openiop bench_schedule --size L [--planted] [--time-limit 60] [--seed 1]
    openiop bench_schedule --patients 300 --clinicians 40 --rooms 20 --sites 3

One run, one JSON object: the generated week; the greedy schedule (unmet
patient-hours, its own checker result); the optimizer (time to a first
complete schedule, unmet patient-hours, hard violations recomputed by the
independent checker, the gap to the proven bound at 10 s and at the time
limit); and two repair scenarios on the optimizer's week: the busiest
clinician off for the whole week, and 10% new admissions (re-plan time,
patients whose sessions changed, and whether they were all patients the
change affected). `load_avg_1m` records how busy the machine was.
"""

from __future__ import annotations

import os
import time
from dataclasses import replace

from openiop.scheduling.solver.check import check
from openiop.scheduling.solver.explain import explain
from openiop.scheduling.solver.generate import SIZES, generate, new_admissions
from openiop.scheduling.solver.greedy import greedy_decisions
from openiop.scheduling.solver.model import InstanceError, Progress, Schedule, relative_gap
from openiop.scheduling.solver.optimize import SolveOptions, below_minimum_minutes, solve
from openiop.scheduling.solver.repair import ClinicianOff, PatientAdmitted, repair
from openiop.scheduling.solver.space import build_space
from openiop.scheduling.solver.validate import validate

REPAIR_LIMIT_S = 3.0


def gap_at(timeline: tuple[Progress, ...], seconds: float) -> float | None:
    """The needs-stage gap as it stood `seconds` into the solve (None: nothing yet)."""
    points = [p for p in timeline if p.stage == "needs" and p.elapsed_s <= seconds]
    if not points:
        return None
    best = min(p.objective for p in points)
    bound = max(p.bound for p in points)
    return round(relative_gap(best, min(bound, best)), 4)


def _hours(minutes: float) -> float:
    return round(minutes / 60, 2)


def _busiest_clinician(schedule: Schedule, instance) -> str:
    minutes: dict[str, int] = {}
    for g in schedule.groups:
        iv = instance.offer[g.offer_id].interval
        minutes[g.facilitator_id] = minutes.get(g.facilitator_id, 0) + iv.minutes
    for a in schedule.appointments:
        minutes[a.clinician_id] = minutes.get(a.clinician_id, 0) + a.interval.minutes
    return max(sorted(minutes), key=lambda c: minutes[c])


def _repair_figures(result) -> dict:
    return {
        "repair_s": round(result.wall_s, 3),
        "patients_affected": len(result.affected),
        "patients_changed": len(result.changes),
        "only_affected_changed": set(result.patients_changed) <= set(result.affected),
        "group_changes": len(result.group_changes),
        "hard_violations": len(check(result.instance, result.schedule).violations),
        "unmet_patient_hours_of_affected": _hours(sum(u.minutes for u in result.unmet)),
    }


def bench_schedule(
    *,
    size: str | None = "S",
    patients: int | None = None,
    clinicians: int | None = None,
    rooms: int | None = None,
    sites: int | None = None,
    seed: int = 1,
    planted: bool = False,
    time_limit_s: float = 60.0,
    workers: int = 2,
    repairs: bool = True,
    log=None,
) -> dict:
    log = log or (lambda msg: None)
    if not 1 <= time_limit_s <= 3600:
        raise InstanceError(
            "The time limit must be between 1 and 3,600 seconds.", field="time_limit"
        )
    shape = dict(SIZES[size]) if size else {}
    for key, value in (
        ("patients", patients),
        ("clinicians", clinicians),
        ("rooms", rooms),
        ("sites", sites),
    ):
        if value is not None:
            shape[key] = value
    missing = [k for k in ("patients", "clinicians", "rooms") if k not in shape]
    if missing:
        raise InstanceError(
            f"Give a --size or all of --patients, --clinicians and --rooms "
            f"(missing {', '.join(missing)}).",
            field=missing[0],
        )
    shape.setdefault("sites", 1)
    if not (
        1 <= shape["patients"] <= 5000
        and 1 <= shape["clinicians"] <= 1000
        and 1 <= shape["sites"] <= 50
        and 2 * shape["sites"] <= shape["rooms"] <= 2000
    ):
        raise InstanceError(
            "Sizes must be 1-5,000 patients, 1-1,000 clinicians, 1-50 sites and "
            "at least two rooms per site (at most 2,000).",
            field="patients",
        )
    log(f"generating {shape} seed {seed}{' (planted)' if planted else ''}")
    t = time.perf_counter()
    gen = generate(**shape, seed=seed, planted=planted)
    inst = gen.instance
    validate(inst)
    out: dict = {
        "benchmark": "schedule",
        "size": size,
        "planted": planted,
        "seed": seed,
        **shape,
        "patients": len(inst.patients),
        "group_offers": len(inst.offers),
        "time_limit_s": time_limit_s,
        "workers": workers,
        "load_avg_1m": round(os.getloadavg()[0], 2),
        "generate_s": round(time.perf_counter() - t, 3),
    }

    log("greedy baseline")
    t = time.perf_counter()
    space = build_space(inst)
    greedy = space.to_schedule(*greedy_decisions(space))
    out["greedy_s"] = round(time.perf_counter() - t, 3)
    greedy_unmet = sum(u.minutes for u in explain(inst, greedy, space=space))
    out["greedy_unmet_patient_hours"] = _hours(greedy_unmet)
    out["greedy_below_minimum_patient_hours"] = _hours(below_minimum_minutes(inst, greedy))
    out["greedy_hard_violations"] = len(check(inst, greedy).violations)

    log(f"optimizer, {time_limit_s:g} s on {workers} workers")
    result = solve(inst, SolveOptions(time_limit_s=time_limit_s, num_workers=workers, seed=seed))
    report = check(inst, result.schedule)
    out.update(
        {
            "first_feasible_s": round(result.first_feasible_s, 3),
            "cpsat_first_solution_s": _round(result.stats.get("cpsat_first_solution_s")),
            "solve_s": round(result.wall_s, 3),
            "status": result.status,
            "unmet_patient_hours": _hours(result.unmet_minutes),
            "below_minimum_patient_hours": _hours(result.below_minimum_minutes),
            "objective_minutes": result.objective,
            "bound_minutes": result.bound,
            "gap": {
                "at_10s": gap_at(result.timeline, 10.0),
                f"at_{time_limit_s:g}s": round(result.gap, 4),
            },
            "hard_violations": len(report.violations),
            "unmet_vs_greedy": round(result.unmet_minutes / greedy_unmet, 4)
            if greedy_unmet
            else None,
            "fewer_unmet_than_greedy_pct": (
                round(100 * (1 - result.unmet_minutes / greedy_unmet), 1) if greedy_unmet else None
            ),
            "model": {
                k: result.stats[k]
                for k in (
                    "parts",
                    "variables",
                    "appointment_candidates",
                    "group_options",
                    "build_s",
                    "narrowed_candidates",
                )
            },
        }
    )
    if planted:
        out["planted_optimum_unmet_patient_hours"] = 0.0
    if not repairs:
        return out

    options = SolveOptions(time_limit_s=REPAIR_LIMIT_S, num_workers=workers, seed=seed)
    base = replace(inst, previous=())
    off = _busiest_clinician(result.schedule, inst)
    log(f"repair: clinician {off} off for the week")
    sick = repair(base, result.schedule, [ClinicianOff(off)], options)
    count = max(1, round(0.1 * len(inst.patients)))
    log(f"repair: {count} new admissions")
    admitted = repair(
        base,
        result.schedule,
        [PatientAdmitted(p) for p in new_admissions(inst, count, seed=seed)],
        options,
    )
    out["repair"] = {
        "clinician_off_week": {"clinician": off, **_repair_figures(sick)},
        "admissions_10pct": {"admitted": count, **_repair_figures(admitted)},
    }
    out["repair_s"] = {k: v["repair_s"] for k, v in out["repair"].items()}
    out["repair_patients_changed"] = {k: v["patients_changed"] for k, v in out["repair"].items()}
    return out


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)
