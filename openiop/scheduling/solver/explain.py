"""Why a prescribed session is missing from a schedule.

For each unmet need it walks the constraint families in order and reports
the first ones that leave no way to place it: nothing offered, nobody holding
the credential, nobody working when the patient is free ("no evening family
therapist on Thursdays"), leave, closed rooms, then, against the schedule
itself, people and rooms already booked, full groups, the weekly maximum.
If a slot was in fact free, it says so: the solver stopped before using it.
Works on any schedule (the optimizer's, the greedy one, a repaired one).
"""

from __future__ import annotations

from collections import Counter, defaultdict

from openiop.scheduling.solver import windows as win
from openiop.scheduling.solver.catalog import ROLE_NOUNS
from openiop.scheduling.solver.model import (
    WEEKDAY_PLURALS,
    Instance,
    InstanceError,
    Interval,
    Patient,
    Reason,
    Schedule,
    SessionType,
    TimeOfDay,
    UnmetNeed,
)

TOD_BOUNDS = (
    (TimeOfDay.MORNING, 0, 12 * 60),
    (TimeOfDay.AFTERNOON, 12 * 60, 17 * 60),
    (TimeOfDay.EVENING, 17 * 60, 24 * 60),
)


def join_words(words: list[str], last: str = "and") -> str:
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} {last} {words[-1]}"


def when_text(windows: tuple[Interval, ...]) -> dict[TimeOfDay, list[int]]:
    """Time of day -> weekdays on which the windows reach into it."""
    out: dict[TimeOfDay, set[int]] = defaultdict(set)
    for w in windows:
        for tod, lo, hi in TOD_BOUNDS:
            if w.start < hi and lo < w.end:
                out[tod].add(w.day)
    return {tod: sorted(days) for tod, days in out.items()}


def _days(days: list[int]) -> str:
    if len(days) >= 5:
        return "any day the patient can come"
    return join_words([WEEKDAY_PLURALS[d] for d in days], "or")


def nobody_when(role: str, availability: tuple[Interval, ...]) -> str:
    """'no evening family therapist on Thursdays', from the patient's available hours."""
    parts = when_text(availability)
    if len(parts) == 1:
        tod, days = next(iter(parts.items()))
        return f"no {tod.value} {role} on {_days(days)}"
    pieces = [f"{tod.value}s on {_days(days)}" for tod, days in parts.items()]
    return f"no {role} works when the patient is free ({'; '.join(pieces)})"


class _ByDay(list):
    """Booked intervals, also kept per weekday so that an overlap test reads one day."""

    def __init__(self) -> None:
        super().__init__()
        self.days: dict[int, list[Interval]] = defaultdict(list)

    def append(self, iv: Interval) -> None:
        super().append(iv)
        self.days[iv.day].append(iv)


class _Bookings:
    def __init__(self, instance: Instance, schedule: Schedule) -> None:
        self.person: dict[str, _ByDay] = defaultdict(_ByDay)
        self.staff: dict[str, _ByDay] = defaultdict(_ByDay)
        self.room: dict[str, _ByDay] = defaultdict(_ByDay)
        self.minutes: Counter = Counter()
        self.count: Counter = Counter()  # (patient, session type)
        self.days: dict[tuple[str, str], set[int]] = defaultdict(set)
        self.slots: dict[tuple[str, str], set[Interval]] = defaultdict(set)
        self.topics: dict[str, set[tuple[str, str]]] = defaultdict(set)
        self.size: dict[str, int] = {}
        self.running: dict[str, str] = {}  # offer -> facilitator
        self.group_room: dict[str, str | None] = {}
        for g in schedule.groups:
            offer = instance.offer[g.offer_id]
            iv = offer.interval
            self.staff[g.facilitator_id].append(iv)
            if g.room_id:
                self.room[g.room_id].append(iv)
            self.size[g.offer_id] = len(g.patient_ids) + offer.locked_members
            self.running[g.offer_id] = g.facilitator_id
            self.group_room[g.offer_id] = g.room_id
            for pid in g.patient_ids:
                self.person[pid].append(iv)
                self.minutes[pid] += iv.minutes
                self.count[(pid, offer.session_type)] += 1
                self.slots[(pid, offer.session_type)].add(iv)
                if offer.topic:
                    self.topics[pid].add((offer.session_type, offer.topic))
        for a in schedule.appointments:
            self.person[a.patient_id].append(a.interval)
            self.staff[a.clinician_id].append(a.interval)
            if a.room_id:
                self.room[a.room_id].append(a.interval)
            self.minutes[a.patient_id] += a.interval.minutes
            self.count[(a.patient_id, a.session_type)] += 1
            self.days[(a.patient_id, a.session_type)].add(a.interval.day)

    @staticmethod
    def clash(booked: _ByDay, iv: Interval) -> bool:
        return any(iv.overlaps(x) for x in booked.days.get(iv.day, ()))


def explain(
    instance: Instance, schedule: Schedule, *, space=None, patient_ids: set[str] | None = None
) -> tuple[UnmetNeed, ...]:
    """Every unmet need (of `patient_ids` only, if given) with its reasons, first the main one."""
    from dataclasses import replace

    from openiop.scheduling.solver.space import build_space

    patients = [p for p in instance.patients if patient_ids is None or p.id in patient_ids]
    if space is None:
        try:
            space = build_space(
                instance if patient_ids is None else replace(instance, patients=tuple(patients))
            )
        except InstanceError:  # nobody works this week: every need is unmet for that reason
            return tuple(
                UnmetNeed(
                    p.id,
                    n.session_type,
                    n.count,
                    n.count * instance.need_minutes(n),
                    (Reason("no_staff", "nobody on staff works at this site this week"),),
                )
                for p in patients
                for n in p.needs
            )
    booked = _Bookings(instance, schedule)
    out = []
    for p in patients:
        for need in p.needs:
            missing = need.count - booked.count[(p.id, need.session_type)]
            if missing <= 0:
                continue
            stype = instance.session_type[need.session_type]
            minutes = instance.need_minutes(need)
            if stype.is_group:
                reasons = _group_reasons(instance, space, booked, p, stype)
            else:
                reasons = _appointment_reasons(instance, space, booked, p, stype, need, minutes)
            out.append(UnmetNeed(p.id, stype.code, missing, missing * minutes, tuple(reasons)))
    return tuple(out)


def _over_max(instance: Instance, booked: _Bookings, p: Patient, minutes: int) -> Reason | None:
    cap = instance.program[p.program_id].max_weekly_minutes
    if cap is not None and booked.minutes[p.id] + minutes > cap:
        return Reason(
            "weekly_max",
            f"the week already holds {booked.minutes[p.id] / 60:g} h and the program maximum "
            f"is {cap / 60:g} h",
        )
    return None


def _group_reasons(
    instance, space, booked: _Bookings, p: Patient, stype: SessionType
) -> list[Reason]:
    name = stype.name.lower()
    offers = [
        o for o in instance.offers if o.program_id == p.program_id and o.session_type == stype.code
    ]
    if not offers:
        program = instance.program[p.program_id].name
        return [Reason("no_offer", f"no {name} is offered in {program} this week")]
    fit = [o for o in offers if win.covers(p.availability, o.interval)]
    if not fit:
        times = join_words(sorted({o.interval.label() for o in offers})[:4])
        return [
            Reason("patient_unavailable", f"no {name} fits the patient's hours (offered {times})")
        ]
    options = {g.offer_id: g for g in space.groups}
    can_run = [o for o in fit if o.id in options]
    if not can_run:
        site_id = instance.program[p.program_id].site_id
        leads = [
            c for c in instance.clinicians if site_id in c.site_ids and stype.allows(c.credentials)
        ]
        if not any(win.covers(c.availability, o.interval) for c in leads for o in fit):
            return [
                Reason(
                    "no_staff_hours",
                    f"no {name} facilitator works at the times that fit "
                    f"({join_words(sorted({o.interval.label() for o in fit})[:4])})",
                )
            ]
        if not any(win.covers(space.clinician_free[c.id], o.interval) for c in leads for o in fit):
            return [
                Reason("staff_on_leave", f"the {name} facilitators for those times are on leave")
            ]
        return [
            Reason(
                "too_few_or_no_room",
                f"the {name} groups that fit cannot run: no open group "
                "room or too few patients can attend to reach the minimum size",
            )
        ]
    counts: Counter = Counter()
    cap = _over_max(instance, booked, p, min(o.interval.minutes for o in can_run))
    attended = booked.slots[(p.id, stype.code)]
    times = {o.interval for o in can_run}
    need = next(n for n in p.needs if n.session_type == stype.code)
    if len(times) < need.count:
        counts["few_times"] += 1
    for o in can_run:
        g = options[o.id]
        if o.interval in attended:
            continue  # a parallel cohort of a session the patient attends
        if booked.clash(booked.person[p.id], o.interval):
            counts["patient_booked"] += 1
        elif o.topic and (o.session_type, o.topic) in booked.topics[p.id]:
            counts["topic_done"] += 1
        elif o.id in booked.running:
            room = booked.group_room[o.id]
            seats = min(stype.max_size, instance.room[room].capacity) if room else stype.max_size
            if booked.size[o.id] >= seats:
                counts["group_full"] += 1
            else:
                counts["free"] += 1
        elif not any(not booked.clash(booked.staff[c], o.interval) for c in g.facilitators):
            counts["clinician_booked"] += 1
        else:
            counts["too_few"] += 1
    messages = {
        "patient_booked": f"the patient is in other sessions when the other {name} sessions meet",
        "topic_done": "the patient already has every topic that fits this week",
        "group_full": f"the {name} sessions that fit are full",
        "clinician_booked": f"the {name} facilitators are booked when the sessions that "
        "do not run would meet",
        "too_few": f"too few patients can attend the {name} sessions that do not run to reach "
        f"their minimum of {stype.min_size}",
        "free": "a seat was free; the solver stopped before it used it",
        "few_times": f"only {len(times)} {name} time{'s' if len(times) != 1 else ''} that can run "
        "fit the patient's hours this week",
    }
    reasons = [cap] if cap else []
    reasons += [Reason(code, messages[code]) for code, _ in counts.most_common()]
    return reasons


def _appointment_reasons(instance, space, booked, p, stype, need, minutes) -> list[Reason]:
    role = ROLE_NOUNS[stype.modality]
    site_id = instance.program[p.program_id].site_id
    site = instance.site[site_id].name
    cap = instance.program[p.program_id].max_weekly_minutes
    if cap is not None and minutes > cap:
        return [
            Reason(
                "weekly_max", f"one session is longer than the program maximum of {cap / 60:g} h"
            )
        ]
    staff = [
        c for c in instance.clinicians if site_id in c.site_ids and stype.allows(c.credentials)
    ]
    if not staff:
        creds = join_words(sorted(stype.credentials), "or")
        return [
            Reason(
                "no_credential",
                f"no one on the program's staff working at {site} holds a current licence "
                f"for {stype.name.lower()} ({creds})",
            )
        ]

    def long_enough(windows):
        return [w for w in windows if w.minutes >= minutes]

    if not any(long_enough(win.intersect(p.availability, c.availability)) for c in staff):
        return [Reason("no_staff_hours", nobody_when(role, p.availability))]
    if not any(
        long_enough(win.intersect(p.availability, space.clinician_free[c.id])) for c in staff
    ):
        return [
            Reason(
                "staff_on_leave",
                f"the {role}s who work when the patient is free are on leave this week",
            )
        ]
    ref = next(r for r in space.needs if r.patient_id == p.id and r.session_type == stype.code)
    cands = [space.candidates[k] for k in space.by_need.get(ref.index, [])]
    own_groups = [o.interval for o in instance.offers if p.track_id and o.track_id == p.track_id]
    outside = win.subtract(p.availability, own_groups)
    if not any(long_enough(win.intersect(outside, space.clinician_free[c.id])) for c in staff):
        return [
            Reason(
                "group_hours",
                f"the only hours a {role} and the patient share are the patient's own group hours",
            )
        ]
    if not cands:
        return [
            Reason(
                "no_room",
                f"no office seating {1 + stype.extra_seats} is open when a {role} "
                "and the patient are both free, and telehealth is not an option",
            )
        ]
    counts: Counter = Counter()
    used_days = booked.days[(p.id, stype.code)]
    for c in cands:
        iv = c.interval
        if booked.clash(booked.person[p.id], iv):
            counts["patient_booked"] += 1
        elif booked.clash(booked.staff[c.clinician_id], iv):
            counts["clinician_booked"] += 1
        elif iv.day in used_days:
            counts["same_day"] += 1
        elif c.room_class is not None and all(
            booked.clash(booked.room[r], iv) for r in space.room_classes[c.room_class].room_ids
        ):
            counts["rooms_booked"] += 1
        else:
            counts["free"] += 1
    messages = {
        "patient_booked": f"the patient's hours that match a {role} are taken by other sessions",
        "clinician_booked": f"every {role} is booked when the patient is free",
        "same_day": f"the only free slots fall on days that already have a {stype.name.lower()}",
        "rooms_booked": "every office is taken at the times that would work",
        "free": "a slot was free; the solver stopped before it used it",
    }
    over = _over_max(instance, booked, p, minutes)
    reasons = [over] if over else []
    reasons += [Reason(code, messages[code]) for code, _ in counts.most_common()]
    return reasons
