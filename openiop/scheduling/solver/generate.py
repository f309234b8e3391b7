"""Deterministic synthetic programs for tests and benchmarks.

`generate(patients=N, clinicians=C, rooms=R, sites=K, seed=S)` builds K sites
(each one adult IOP program with two to five tracks: morning, evening,
afternoon, weekend, second morning), staff with a realistic mix of licences
and shifts (day, late, split, weekend; some on leave a day), group rooms and
offices, three-hour track days (group therapy 90 min, psychoeducation 60 min
with a curriculum topic per day, skills 30 min) offered to parallel cohorts,
and patients whose availability follows their track and their jobs, with
plans (nine group sessions; individual therapy; some family therapy,
medication management, drug testing). Last week's schedule (a greedy one,
with 15% of patients new this week) gives the stability term something to keep.

`planted=True` first builds a perfect schedule (cohorts staffed and roomed,
every appointment placed), then derives the plans and availability from it,
so the optimum is known: 0 unmet minutes. Everything is invented: ids like
P-0001, sites named after compass points.

The week is 2-8 March 2026, which ends on the Sunday US clocks change.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import defaultdict
from dataclasses import dataclass, replace

from openiop.scheduling.solver import catalog as cat
from openiop.scheduling.solver import windows as win
from openiop.scheduling.solver.model import (
    Clinician,
    GroupOffer,
    Instance,
    Interval,
    Need,
    Patient,
    PreviousAssignment,
    Program,
    Room,
    RoomKind,
    Schedule,
    Site,
    TimeOfDay,
    Track,
)

WEEK = dt.date(2026, 3, 2)
SIZES = {
    "S": {"patients": 40, "clinicians": 6, "rooms": 4, "sites": 1},
    "M": {"patients": 150, "clinicians": 20, "rooms": 10, "sites": 2},
    "L": {"patients": 600, "clinicians": 80, "rooms": 40, "sites": 5},
}
GROUP_SEATS = 12  # patients per cohort a track enrols for
SITE_NAMES = ("North", "South", "East", "West", "Central", "Harbor", "Valley", "Ridge")
ZONES = (
    "America/Los_Angeles",
    "America/Chicago",
    "America/New_York",
    "America/Denver",
    "America/Phoenix",
)
# (name, ((weekday, start minute), ...), share of patients, the shift that staffs it);
# a site's tracks never overlap
TRACKS = (
    ("Morning", ((0, 540), (1, 540), (3, 540)), 0.30, "day"),
    ("Evening", ((0, 1080), (2, 1080), (3, 1080)), 0.35, "late"),
    ("Afternoon", ((1, 780), (2, 780), (4, 780)), 0.15, "day"),
    ("Weekend", ((4, 600), (5, 600), (6, 600)), 0.10, "weekend"),
    ("Evening B", ((1, 1080), (4, 1080), (5, 840)), 0.10, "late"),
)
TOPICS = (
    "Nature of addiction",
    "Relapse prevention",
    "Life skills",
    "Coping with cravings",
    "Sleep and mood",
    "Communication",
)
LICENCES = (
    "LCSW",
    "LPC",
    "MD",
    "LMFT",
    "CADC",
    "RN",
    "LPC",
    "LCSW",
    "PMHNP",
    "LADC",
    "LMFT",
    "CPRS",
    "LPC",
    "PhD/PsyD",
    "LCSW",
    "RN",
)
SHIFTS = {
    "day": [((0, 1, 2, 3, 4), 8 * 60 + 30, 17 * 60)],
    "late": [((0, 1, 2, 3, 4), 12 * 60, 21 * 60 + 30)],
    "split": [((0, 2, 4), 8 * 60 + 30, 17 * 60), ((1, 3), 12 * 60, 21 * 60 + 30)],
    "weekend": [
        ((2, 3), 12 * 60, 21 * 60 + 30),
        ((4,), 8 * 60 + 30, 17 * 60),
        ((5,), 8 * 60 + 30, 17 * 60 + 30),
        ((6,), 8 * 60 + 30, 14 * 60),
    ],
}
OTHER_SHIFTS = {"MD": "day", "PMHNP": "split", "RN": "late", "CPRS": "day"}


@dataclass(frozen=True)
class Generated:
    instance: Instance
    planted: Schedule | None = None  # the known perfect schedule of a planted instance


def _windows(spec) -> tuple[Interval, ...]:
    return tuple(Interval(d, lo, hi) for days, lo, hi in spec for d in days)


def _staff(
    rng: random.Random, site: Site, n: int, first: int, demand: dict[str, int]
) -> list[Clinician]:
    """`n` clinicians for a site; group leaders take the shifts its tracks need, then the rest."""
    out = []
    leaders_left = dict(demand)
    for i in range(n):
        licence = LICENCES[i % len(LICENCES)]
        creds = {licence}
        if licence in ("LCSW", "LPC") and rng.random() < 0.25:
            creds.add("LADC")
        if licence in OTHER_SHIFTS:
            shift = OTHER_SHIFTS[licence]
        else:
            shift = max(leaders_left, key=lambda k: (leaders_left[k], k))
            if leaders_left[shift] <= 0:
                shift = rng.choice(("day", "late", "split", "day"))
            else:
                leaders_left[shift] -= 1
        hours = _windows(SHIFTS[shift])
        leave = ()
        if rng.random() < 0.1:
            day = rng.choice(sorted({w.day for w in hours}))
            leave = (Interval(day, 0, 24 * 60),)
        k = first + i + 1
        out.append(
            Clinician(
                f"C-{k:03d}",
                f"Staff {k:03d} ({'/'.join(sorted(creds))})",
                frozenset({site.id}),
                frozenset(creds),
                hours,
                leave,
            )
        )
    return out


def _rooms(rng: random.Random, sites: list[Site], n: int) -> list[Room]:
    out = []
    per_site = [n // len(sites) + (1 if i < n % len(sites) else 0) for i in range(len(sites))]
    for site, count in zip(sites, per_site, strict=True):
        group_rooms = max(1, round(count * 0.5)) if count > 1 else 1
        for i in range(count):
            if i < group_rooms:
                out.append(
                    Room(
                        f"{site.id}-G{i + 1}",
                        site.id,
                        f"Group room {i + 1}",
                        rng.choice((10, 12, 12, 14, 15)),
                        RoomKind.GROUP,
                    )
                )
            else:
                j = i - group_rooms + 1
                out.append(
                    Room(
                        f"{site.id}-O{j}",
                        site.id,
                        f"Office {j}",
                        rng.choice((3, 4)),
                        RoomKind.OFFICE,
                    )
                )
    return out


def _offers(
    program: Program, tracks: list[tuple[Track, tuple]], cohorts: dict[tuple[str, int], int]
) -> list[GroupOffer]:
    out = []
    for track, (_, blocks, _, _) in tracks:
        for n, (day, start) in enumerate(blocks):
            for cohort in range(cohorts[(track.id, day)]):
                t = start
                for stype in (cat.GROUP_THERAPY, cat.PSYCHOEDUCATION, cat.SKILLS):
                    topic = (
                        TOPICS[(n + blocks[0][0]) % len(TOPICS)]
                        if stype is cat.PSYCHOEDUCATION
                        else ""
                    )
                    out.append(
                        GroupOffer(
                            f"{track.id}-{day}-{cohort + 1}-{stype.code}",
                            stype.code,
                            program.id,
                            Interval(day, t, t + stype.duration_min),
                            track.id,
                            topic=topic,
                        )
                    )
                    t += stype.duration_min
    return out


def _availability(rng: random.Random, blocks, drop_day: bool) -> list[Interval]:
    """Around the track's blocks (an hour before, an hour and a half after), plus other days."""
    tod = TimeOfDay.of(blocks[0][1]) if blocks else TimeOfDay.MORNING
    chosen = list(blocks)
    if drop_day:
        chosen.remove(rng.choice(chosen))
    spans = [Interval(d, start - 60, min(24 * 60, start + 270)) for d, start in chosen]
    track_days = {d for d, _ in blocks}
    for d in rng.sample(
        [d for d in range(6) if d not in track_days], k=rng.choice((0, 1, 2, 2, 3))
    ):
        if tod == TimeOfDay.EVENING or (tod != TimeOfDay.MORNING and rng.random() < 0.3):
            lo = rng.choice((17 * 60, 17 * 60 + 30, 18 * 60))
            spans.append(Interval(d, lo, min(24 * 60, lo + rng.choice((180, 210, 240)))))
        else:
            lo = rng.choice((8 * 60 + 30, 9 * 60, 10 * 60, 13 * 60))
            spans.append(Interval(d, lo, lo + rng.choice((180, 240, 300))))
    return list(win.normalize(spans))


def _cohorts(site_tracks, counts, room_list, staff, site_id) -> dict[tuple[str, int], int]:
    """Parallel cohorts per track day: enough for the track, within rooms and staff on shift."""
    group_rooms = sum(1 for r in room_list if r.site_id == site_id and r.kind == RoomKind.GROUP)
    out = {}
    for (track, (_, blocks, _, _)), n in zip(site_tracks, counts, strict=True):
        for day, start in blocks:
            block = Interval(day, start, start + 180)
            leaders = sum(
                1
                for c in staff
                if site_id in c.site_ids
                and cat.GROUP_THERAPY.allows(c.credentials)
                and win.covers(win.subtract(c.availability, c.leave), block)
            )
            out[(track.id, day)] = max(1, min(group_rooms, leaders, math.ceil(n / 10) + 1))
    return out


def _needs(rng: random.Random, site_staff: list[Clinician], *, sud: bool) -> list[Need]:
    therapists = [c.id for c in site_staff if cat.INDIVIDUAL.allows(c.credentials)]
    prescribers = [c.id for c in site_staff if cat.MEDICATION.allows(c.credentials)]
    needs = [
        Need(cat.GROUP_THERAPY.code, 3),
        Need(cat.PSYCHOEDUCATION.code, 3),
        Need(cat.SKILLS.code, 3),
    ]
    pref = rng.choice(therapists) if therapists and rng.random() < 0.7 else None
    needs.append(Need(cat.INDIVIDUAL.code, 2 if rng.random() < 0.15 else 1, pref))
    if rng.random() < 0.3:
        needs.append(Need(cat.FAMILY.code, 1))
    if rng.random() < 0.4:
        needs.append(Need(cat.MEDICATION.code, 1, rng.choice(prescribers) if prescribers else None))
    if sud and rng.random() < 0.5:
        needs.append(Need(cat.DRUG_TEST.code, 1))
    return needs


def generate(
    *,
    patients: int,
    clinicians: int,
    rooms: int,
    sites: int = 1,
    seed: int = 1,
    planted: bool = False,
    previous: bool = True,
) -> Generated:
    if min(patients, clinicians, rooms, sites) < 1 or rooms < sites * 2:
        raise ValueError(
            "Give at least one patient, one clinician, one site and two rooms per site."
        )
    rng = random.Random(seed)
    site_list = [
        Site(f"S{i + 1}", f"Site {SITE_NAMES[i % len(SITE_NAMES)]}", ZONES[i % len(ZONES)])
        for i in range(sites)
    ]
    room_list = _rooms(rng, site_list, rooms)
    programs, tracks, offers, plist, staff = [], [], [], [], []
    per_site = [patients // sites + (1 if i < patients % sites else 0) for i in range(sites)]
    staff_per_site = [
        clinicians // sites + (1 if i < clinicians % sites else 0) for i in range(sites)
    ]
    pid = 0
    for site, count, n_staff in zip(site_list, per_site, staff_per_site, strict=True):
        program = Program(f"{site.id}-IOP", site.id, f"Adult IOP {site.name}", 9 * 60, 19 * 60)
        programs.append(program)
        spec = TRACKS[: min(len(TRACKS), max(2, round(count / 25)))]
        share = sum(t[2] for t in spec)
        site_tracks = [
            (Track(f"{site.id}-T{i + 1}", program.id, t[0]), t) for i, t in enumerate(spec)
        ]
        tracks += [t for t, _ in site_tracks]
        counts = [max(1, round(count * t[2] / share)) for _, t in site_tracks]
        group_rooms = sum(1 for r in room_list if r.site_id == site.id and r.kind == RoomKind.GROUP)
        demand: dict[str, int] = defaultdict(int)
        for (_, t), n in zip(site_tracks, counts, strict=True):
            demand[t[3]] = max(demand[t[3]], min(group_rooms, math.ceil(n / 10)))
        site_staff = _staff(rng, site, n_staff, len(staff), demand)
        staff += site_staff
        cohorts = _cohorts(site_tracks, counts, room_list, site_staff, site.id)
        offers += _offers(program, site_tracks, cohorts)
        # intake enrols people in a track with a free seat (cohorts x 12) while there is one
        seats = {
            t.id: GROUP_SEATS * min(cohorts[(t.id, d)] for d, _ in spec[1])
            for t, spec in site_tracks
        }
        enrolled: dict[str, int] = defaultdict(int)
        for i in range(count):
            pid += 1
            open_tracks = [x for x in site_tracks if enrolled[x[0].id] < seats[x[0].id]]
            pool = open_tracks or site_tracks
            track, (_, blocks, _, _) = rng.choices(pool, weights=[t[2] for _, t in pool])[0]
            enrolled[track.id] += 1
            avail = _availability(rng, blocks, drop_day=rng.random() < 0.12)
            tod = TimeOfDay.of(blocks[0][1]) if rng.random() < 0.8 else None
            plist.append(
                Patient(
                    f"P-{pid:04d}",
                    program.id,
                    tuple(avail),
                    tuple(_needs(rng, site_staff, sud=i % 2 == 0)),
                    track.id,
                    tod,
                    rng.random() < 0.3,
                    f"P-{pid:04d}",
                )
            )
    inst = Instance(
        WEEK,
        tuple(site_list),
        tuple(room_list),
        tuple(staff),
        tuple(programs),
        cat.DEFAULT_SESSION_TYPES,
        tuple(offers),
        tuple(plist),
        tuple(tracks),
    )
    if planted:
        from openiop.scheduling.solver.planted import plant

        return plant(rng, inst)
    if previous:
        inst = replace(inst, previous=_last_week(rng, inst))
    return Generated(inst)


def _last_week(rng: random.Random, inst: Instance) -> tuple[PreviousAssignment, ...]:
    from openiop.scheduling.solver.greedy import greedy_decisions
    from openiop.scheduling.solver.space import build_space

    space = build_space(inst)
    schedule = space.to_schedule(*greedy_decisions(space))
    new = {p.id for p in inst.patients if rng.random() < 0.15}
    prev = [
        PreviousAssignment(pid, offer_id=g.offer_id)
        for g in schedule.groups
        for pid in g.patient_ids
        if pid not in new
    ]
    prev += [
        PreviousAssignment(
            a.patient_id,
            session_type=a.session_type,
            clinician_id=a.clinician_id,
            interval=a.interval,
            room_id=a.room_id,
        )
        for a in schedule.appointments
        if a.patient_id not in new
    ]
    return tuple(prev)


def new_admissions(instance: Instance, count: int, *, seed: int = 1) -> list[Patient]:
    """`count` new patients for the programs of a generated week (for the repair benchmark)."""
    rng = random.Random(seed * 7919 + count)
    taken = {p.id for p in instance.patients}
    number = max(int(pid[2:]) for pid in taken if pid[2:].isdigit()) if taken else 0
    blocks: dict[str, set[tuple[int, int]]] = defaultdict(set)
    for o in instance.offers:
        if o.track_id and o.session_type == cat.GROUP_THERAPY.code:
            blocks[o.track_id].add((o.interval.day, o.interval.start))
    tracks = [t for t in instance.tracks if blocks[t.id]]
    out = []
    for _ in range(count):
        number += 1
        track = rng.choice(tracks)
        program = instance.program[track.program_id]
        staff = [c for c in instance.clinicians if program.site_id in c.site_ids]
        track_blocks = sorted(blocks[track.id])
        avail = _availability(rng, track_blocks, drop_day=rng.random() < 0.12)
        pid = f"P-{number:04d}"
        out.append(
            Patient(
                pid,
                program.id,
                tuple(avail),
                tuple(_needs(rng, staff, sud=number % 2 == 0)),
                track.id,
                TimeOfDay.of(track_blocks[0][1]),
                rng.random() < 0.3,
                pid,
            )
        )
    return out
