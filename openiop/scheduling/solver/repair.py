"""Repair a proposed or published week after a change, touching as little as possible.

A change (a clinician off sick, a room closed, a patient admitted or
discharged) breaks some sessions. The patients in broken sessions, and new
admissions, are *affected*; everyone else keeps every session exactly as it
was. The affected patients are re-planned by the same optimizer on a reduced
week: staff hours and rooms minus what the kept sessions use, running groups
offering only their free seats (`GroupOffer.locked_members`), and their own
current sessions as the "previous week" so that what still works stays put.
The result lists, per patient, the sessions removed and added.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, replace

from openiop.scheduling.solver import windows as win
from openiop.scheduling.solver.explain import explain
from openiop.scheduling.solver.model import (
    ALL_WEEK,
    Appointment,
    GroupSession,
    Instance,
    InstanceError,
    Interval,
    Patient,
    PreviousAssignment,
    Schedule,
    SolveResult,
    UnmetNeed,
)
from openiop.scheduling.solver.optimize import SolveOptions, solve
from openiop.scheduling.solver.validate import validate


@dataclass(frozen=True)
class ClinicianOff:
    clinician_id: str
    intervals: tuple[Interval, ...] = ALL_WEEK


@dataclass(frozen=True)
class RoomClosed:
    room_id: str
    intervals: tuple[Interval, ...] = ALL_WEEK


@dataclass(frozen=True)
class PatientAdmitted:
    patient: Patient


@dataclass(frozen=True)
class PatientDischarged:
    patient_id: str


Change = ClinicianOff | RoomClosed | PatientAdmitted | PatientDischarged


@dataclass(frozen=True)
class ScheduleChange:
    patient_id: str
    removed: tuple[str, ...]
    added: tuple[str, ...]


@dataclass(frozen=True)
class RepairResult:
    instance: Instance  # the week with the changes applied
    schedule: Schedule
    unmet: tuple[UnmetNeed, ...]
    affected: tuple[str, ...]  # patients the change touched, re-planned
    changes: tuple[ScheduleChange, ...]  # patients whose sessions differ
    group_changes: tuple[str, ...]  # groups with a new facilitator or room, or cancelled
    solve: SolveResult | None
    wall_s: float

    @property
    def patients_changed(self) -> tuple[str, ...]:
        return tuple(c.patient_id for c in self.changes)


def apply_changes(instance: Instance, changes: list[Change]) -> Instance:
    clinicians = {c.id: c for c in instance.clinicians}
    rooms = {r.id: r for r in instance.rooms}
    patients = {p.id: p for p in instance.patients}
    for ch in changes:
        if isinstance(ch, ClinicianOff):
            c = clinicians.get(ch.clinician_id)
            if c is None:
                raise InstanceError(
                    f"There is no clinician '{ch.clinician_id}' this week.", field="clinician_id"
                )
            clinicians[c.id] = replace(c, leave=c.leave + tuple(ch.intervals))
        elif isinstance(ch, RoomClosed):
            r = rooms.get(ch.room_id)
            if r is None:
                raise InstanceError(f"There is no room '{ch.room_id}' this week.", field="room_id")
            rooms[r.id] = replace(r, closed=r.closed + tuple(ch.intervals))
        elif isinstance(ch, PatientAdmitted):
            if ch.patient.id in patients:
                raise InstanceError(
                    f"Patient {ch.patient.display} is already in the week.", field="patient"
                )
            patients[ch.patient.id] = ch.patient
        elif isinstance(ch, PatientDischarged) and patients.pop(ch.patient_id, None) is None:
            raise InstanceError(
                f"There is no patient '{ch.patient_id}' this week.", field="patient_id"
            )
    gone = set(instance.patient) - set(patients)
    new = replace(
        instance,
        clinicians=tuple(clinicians.values()),
        rooms=tuple(rooms.values()),
        patients=tuple(patients.values()),
        previous=tuple(p for p in instance.previous if p.patient_id not in gone),
    )
    validate(new)
    return new


def _key_group(inst: Instance, g: GroupSession) -> str:
    offer = inst.offer[g.offer_id]
    place = inst.room[g.room_id].name if g.room_id else "telehealth"
    return f"{inst.session_type[offer.session_type].name} {offer.interval.label()} ({place})"


def _key_appt(inst: Instance, a: Appointment) -> str:
    place = inst.room[a.room_id].name if a.room_id else "telehealth"
    who = inst.clinician[a.clinician_id].name
    return f"{inst.session_type[a.session_type].name} {a.interval.label()} with {who} ({place})"


def _sessions(inst: Instance, schedule: Schedule) -> dict[str, set[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    for g in schedule.groups:
        for pid in g.patient_ids:
            out[pid].add(_key_group(inst, g))
    for a in schedule.appointments:
        out[a.patient_id].add(_key_appt(inst, a))
    return out


def repair(
    instance: Instance,
    schedule: Schedule,
    changes: list[Change],
    options: SolveOptions | None = None,
) -> RepairResult:
    t0 = time.perf_counter()
    options = replace(
        options or SolveOptions(time_limit_s=3.0), stability_first=True, explain=False
    )
    new = apply_changes(instance, changes)
    staff_free = {c.id: win.subtract(c.availability, c.leave) for c in new.clinicians}
    room_free = {r.id: win.room_open(r.open_hours, r.closed) for r in new.rooms}
    present = set(new.patient)
    affected = {ch.patient.id for ch in changes if isinstance(ch, PatientAdmitted)}

    broken_groups: dict[str, tuple[bool, bool]] = {}  # offer -> (facilitator broken, room broken)
    for g in schedule.groups:
        iv = new.offer[g.offer_id].interval
        fac_bad = not win.covers(staff_free.get(g.facilitator_id, ()), iv)
        room_bad = g.room_id is not None and not win.covers(room_free.get(g.room_id, ()), iv)
        if fac_bad or room_bad:
            broken_groups[g.offer_id] = (fac_bad, room_bad)
            affected |= set(g.patient_ids) & present
    for a in schedule.appointments:
        if a.patient_id not in present:
            continue
        if not win.covers(staff_free.get(a.clinician_id, ()), a.interval) or (
            a.room_id is not None and not win.covers(room_free.get(a.room_id, ()), a.interval)
        ):
            affected.add(a.patient_id)

    # what stays exactly as it is
    kept_appts = [
        a for a in schedule.appointments if a.patient_id in present and a.patient_id not in affected
    ]
    kept_groups: dict[str, GroupSession] = {}
    for g in schedule.groups:
        if g.offer_id in broken_groups:
            continue
        members = tuple(p for p in g.patient_ids if p in present and p not in affected)
        if members:
            kept_groups[g.offer_id] = replace(g, patient_ids=members)

    reduced = _reduced_week(new, schedule, affected, kept_appts, kept_groups, broken_groups)
    result = None
    fresh = Schedule()
    if reduced.patients and any(c.availability for c in reduced.clinicians):
        result = solve(reduced, options)
        fresh = result.schedule
    merged = _merge(new, kept_appts, kept_groups, fresh)
    before, after = _sessions(instance, schedule), _sessions(new, merged)
    diffs = tuple(
        ScheduleChange(
            pid, tuple(sorted(before[pid] - after[pid])), tuple(sorted(after[pid] - before[pid]))
        )
        for pid in sorted(set(before) | set(after))
        if pid in present and before[pid] != after[pid]
    )
    old_groups = {g.offer_id: g for g in schedule.groups}
    new_groups = {g.offer_id: g for g in merged.groups}
    group_changes = []
    for oid, g in sorted(old_groups.items()):
        h = new_groups.get(oid)
        if h is None:
            group_changes.append(f"{oid}: cancelled")
        elif (g.facilitator_id, g.room_id) != (h.facilitator_id, h.room_id):
            group_changes.append(
                f"{oid}: {g.facilitator_id}/{g.room_id} -> {h.facilitator_id}/{h.room_id}"
            )
    group_changes += [f"{oid}: now runs" for oid in sorted(set(new_groups) - set(old_groups))]
    return RepairResult(
        instance=new,
        schedule=merged,
        unmet=explain(new, merged, patient_ids=affected),
        affected=tuple(sorted(affected)),
        changes=diffs,
        group_changes=tuple(group_changes),
        solve=result,
        wall_s=time.perf_counter() - t0,
    )


def _reduced_week(new, schedule, affected, kept_appts, kept_groups, broken_groups) -> Instance:
    staff_busy: dict[str, list[Interval]] = defaultdict(list)
    room_busy: dict[str, list[Interval]] = defaultdict(list)
    staff_minutes: dict[str, int] = defaultdict(int)
    for a in kept_appts:
        staff_busy[a.clinician_id].append(a.interval)
        staff_minutes[a.clinician_id] += a.interval.minutes
        if a.room_id:
            room_busy[a.room_id].append(a.interval)
    for g in kept_groups.values():
        iv = new.offer[g.offer_id].interval
        staff_busy[g.facilitator_id].append(iv)
        staff_minutes[g.facilitator_id] += iv.minutes
        if g.room_id:
            room_busy[g.room_id].append(iv)
    clinicians = tuple(
        replace(
            c,
            availability=win.subtract(win.subtract(c.availability, c.leave), staff_busy[c.id]),
            leave=(),
            max_weekly_minutes=None
            if c.max_weekly_minutes is None
            else c.max_weekly_minutes - staff_minutes[c.id],
        )
        for c in new.clinicians
    )
    rooms = tuple(replace(r, closed=r.closed + tuple(room_busy[r.id])) for r in new.rooms)
    offers = []
    scheduled = {g.offer_id: g for g in schedule.groups}
    for o in new.offers:
        if o.id in kept_groups:
            g = kept_groups[o.id]
            offers.append(
                replace(
                    o,
                    facilitator_id=g.facilitator_id,
                    room_id=g.room_id,
                    locked_members=len(g.patient_ids),
                )
            )
        elif o.id in broken_groups:
            # keep whichever of facilitator and room still works; re-choose the other
            fac_bad, room_bad = broken_groups[o.id]
            old = scheduled[o.id]
            offers.append(
                replace(
                    o,
                    facilitator_id=o.facilitator_id if fac_bad else old.facilitator_id,
                    room_id=o.room_id if room_bad else old.room_id,
                )
            )
        else:
            offers.append(o)
    previous = [
        PreviousAssignment(pid, offer_id=g.offer_id)
        for g in schedule.groups
        for pid in g.patient_ids
        if pid in affected
    ]
    previous += [
        PreviousAssignment(
            a.patient_id,
            session_type=a.session_type,
            clinician_id=a.clinician_id,
            interval=a.interval,
            room_id=a.room_id,
        )
        for a in schedule.appointments
        if a.patient_id in affected
    ]
    return replace(
        new,
        clinicians=clinicians,
        rooms=rooms,
        offers=tuple(offers),
        patients=tuple(p for p in new.patients if p.id in affected),
        previous=tuple(previous),
    )


def _merge(new: Instance, kept_appts, kept_groups, fresh: Schedule) -> Schedule:
    groups: dict[str, GroupSession] = dict(kept_groups)
    for g in fresh.groups:
        if g.offer_id in groups:
            old = groups[g.offer_id]
            groups[g.offer_id] = replace(
                old, patient_ids=tuple(sorted(old.patient_ids + g.patient_ids))
            )
        elif g.patient_ids:
            groups[g.offer_id] = g
    appts = sorted(
        kept_appts + list(fresh.appointments),
        key=lambda a: (a.interval.week_start, a.patient_id, a.session_type),
    )
    return Schedule(groups=tuple(groups[k] for k in sorted(groups)), appointments=tuple(appts))
