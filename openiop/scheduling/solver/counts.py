"""Minutes a schedule leaves out, counted straight from the schedule (no solver, no reasons)."""

from __future__ import annotations

from collections import defaultdict

from openiop.scheduling.solver.model import Instance, Schedule


def below_minimum_minutes(instance: Instance, schedule: Schedule) -> int:
    """Minutes by which patients' weeks fall below their program's minimum, summed."""
    minutes: dict[str, int] = defaultdict(int)
    for g in schedule.groups:
        iv = instance.offer[g.offer_id].interval
        for pid in g.patient_ids:
            minutes[pid] += iv.minutes
    for a in schedule.appointments:
        minutes[a.patient_id] += a.interval.minutes
    return sum(
        max(0, instance.program[p.program_id].min_weekly_minutes - minutes[p.id])
        for p in instance.patients
    )


def unmet_minutes_of(instance: Instance, schedule: Schedule) -> int:
    """Prescribed minutes the schedule leaves out, as `explain` counts them (no reasons)."""
    count: dict[tuple[str, str], int] = defaultdict(int)
    for g in schedule.groups:
        stype = instance.offer[g.offer_id].session_type
        for pid in g.patient_ids:
            count[(pid, stype)] += 1
    for a in schedule.appointments:
        count[(a.patient_id, a.session_type)] += 1
    return sum(
        max(0, n.count - count[(p.id, n.session_type)]) * instance.need_minutes(n)
        for p in instance.patients
        for n in p.needs
    )
