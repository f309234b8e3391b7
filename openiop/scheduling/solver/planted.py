"""Planted weeks: a perfect schedule first, then the plans and availability it implies.

Whole cohorts are staffed and roomed (every day of their track), filled with
six to twelve patients, and each patient's appointments are placed at random
free times; each patient's needs are then exactly the sessions planted for
them and their availability covers those sessions (plus a few other windows),
so a week with 0 unmet minutes exists and the optimizer must find it.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import replace

from openiop.scheduling.solver import windows as win
from openiop.scheduling.solver.generate import Generated, _availability
from openiop.scheduling.solver.model import (
    Appointment,
    GroupOffer,
    GroupSession,
    Instance,
    Interval,
    Need,
    RoomKind,
    Schedule,
)


def plant(rng: random.Random, inst: Instance) -> Generated:
    """Staff and room whole cohorts, fill them, place appointments; derive plans from that."""
    busy: dict[str, list[Interval]] = defaultdict(list)  # clinician, room, patient ids

    def free(key: str, iv: Interval) -> bool:
        return not any(iv.overlaps(x) for x in busy[key])

    staff_free = {c.id: win.subtract(c.availability, c.leave) for c in inst.clinicians}
    offers_by_cohort: dict[tuple[str, str], list[GroupOffer]] = defaultdict(list)
    for o in inst.offers:
        offers_by_cohort[(o.track_id, o.id.split("-")[-2])].append(o)
    sessions: dict[str, list] = {}  # offer id -> [facilitator, room, members]
    cohorts_by_track: dict[str, list[tuple[list[GroupOffer], int]]] = defaultdict(list)
    track_days = defaultdict(set)
    for o in inst.offers:
        track_days[o.track_id].add(o.interval.day)
    for (track_id, _), offers in sorted(offers_by_cohort.items()):
        if {o.interval.day for o in offers} != track_days[track_id]:
            continue  # a cohort that does not meet on every day of its track
        site_id = inst.program[offers[0].program_id].site_id
        plan, ok = [], True
        booked: list[tuple[str, Interval]] = []
        for o in offers:
            stype = inst.session_type[o.session_type]
            fac = next(
                (
                    c.id
                    for c in inst.clinicians
                    if site_id in c.site_ids
                    and stype.allows(c.credentials)
                    and win.covers(staff_free[c.id], o.interval)
                    and free(c.id, o.interval)
                ),
                None,
            )
            room = next(
                (
                    r
                    for r in inst.rooms
                    if r.site_id == site_id and r.kind == RoomKind.GROUP and free(r.id, o.interval)
                ),
                None,
            )
            if fac is None or room is None:
                ok = False
                break
            plan.append((o, fac, room))
            for key in (fac, room.id):
                busy[key].append(o.interval)
                booked.append((key, o.interval))
        if not ok:
            for key, iv in booked:
                busy[key].remove(iv)
            continue
        seats = min(min(r.capacity for _, _, r in plan), 12)
        for o, fac, room in plan:
            sessions[o.id] = [fac, room.id, []]
        cohorts_by_track[track_id].append(([o for o, _, _ in plan], seats))

    patients, appts = [], []
    cohort_fill: dict[int, int] = defaultdict(int)
    all_cohorts = [(tid, i, c) for tid, lst in cohorts_by_track.items() for i, c in enumerate(lst)]
    for p in inst.patients:
        program_site = inst.program[p.program_id].site_id
        options = [
            x
            for x in all_cohorts
            if inst.track[x[0]].program_id == p.program_id and cohort_fill[id(x[2])] < x[2][1]
        ]
        if not options:
            continue
        options.sort(key=lambda x: (x[0] != p.track_id, cohort_fill[id(x[2])] >= 6, rng.random()))
        track_id, _, (offers, _) = options[0]
        cohort_fill[id(options[0][2])] += 1
        spans = [o.interval for o in offers]
        for o in offers:
            sessions[o.id][2].append(p.id)
            busy[p.id].append(o.interval)
        needs = []
        counts: dict[str, int] = defaultdict(int)
        for o in offers:
            counts[o.session_type] += 1
        needs += [Need(code, n) for code, n in counts.items()]
        for need in p.needs:
            stype = inst.session_type[need.session_type]
            if stype.is_group:
                continue
            placed = _plant_appointment(
                rng, inst, p, stype, need.count, program_site, staff_free, busy
            )
            appts += placed
            spans += [a.interval for a in placed]
            if placed:
                needs.append(
                    Need(stype.code, len(placed), rng.choice([placed[0].clinician_id, None]))
                )
        avail = win.normalize(spans + list(_availability(rng, (), False)))
        patients.append(replace(p, availability=avail, needs=tuple(needs), track_id=track_id))
    # cohorts below the minimum size are dropped by moving nobody: ensure min size by trimming
    groups = []
    keep = {p.id for p in patients}
    for oid, (fac, room, members) in sorted(sessions.items()):
        if members:
            groups.append(
                GroupSession(oid, fac, room, tuple(sorted(m for m in members if m in keep)))
            )
    small = {
        g.offer_id
        for g in groups
        if len(g.patient_ids) < inst.session_type[inst.offer[g.offer_id].session_type].min_size
    }
    if small:
        drop = {pid for g in groups if g.offer_id in small for pid in g.patient_ids}
        patients = [p for p in patients if p.id not in drop]
        groups = [g for g in groups if g.offer_id not in small]
        appts = [a for a in appts if a.patient_id not in drop]
    planted = Schedule(
        tuple(groups), tuple(sorted(appts, key=lambda a: (a.interval.week_start, a.patient_id)))
    )
    return Generated(replace(inst, patients=tuple(patients)), planted)


def _plant_appointment(rng, inst, p, stype, count, site_id, staff_free, busy) -> list[Appointment]:
    staff = [c for c in inst.clinicians if site_id in c.site_ids and stype.allows(c.credentials)]
    offices = [
        r
        for r in inst.rooms
        if r.site_id == site_id
        and r.kind == RoomKind.OFFICE
        and r.capacity >= 1 + stype.extra_seats
    ]
    minutes = stype.duration_min
    out: list[Appointment] = []
    days_used: set[int] = set()
    for _ in range(60):
        if len(out) >= count or not staff:
            break
        c = rng.choice(staff)
        windows = [w for w in staff_free[c.id] if w.minutes >= minutes and w.day not in days_used]
        if not windows:
            continue
        w = rng.choice(windows)
        start = w.start + 30 * rng.randrange(0, (w.minutes - minutes) // 30 + 1)
        iv = Interval(w.day, start, start + minutes)
        if not (
            all(not iv.overlaps(x) for x in busy[c.id])
            and all(not iv.overlaps(x) for x in busy[p.id])
        ):
            continue
        room = next((r for r in offices if all(not iv.overlaps(x) for x in busy[r.id])), None)
        if room is None and not (p.telehealth_ok and stype.telehealth_ok):
            continue
        for key in (c.id, p.id) + ((room.id,) if room else ()):
            busy[key].append(iv)
        days_used.add(iv.day)
        out.append(Appointment(p.id, stype.code, c.id, iv, room.id if room else None))
    return out
