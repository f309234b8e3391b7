"""Small hand-built scheduling weeks for the solver tests (all invented)."""

import datetime as dt

from openiop.scheduling.solver import catalog as cat
from openiop.scheduling.solver.model import (
    Clinician,
    GroupOffer,
    Instance,
    Interval,
    Need,
    Patient,
    Program,
    Room,
    RoomKind,
    Site,
    TimeOfDay,
    Track,
)

WEEK = dt.date(2026, 3, 2)  # Monday; the US clocks change on Sunday 8 March
SITE = Site("S1", "Test Site North", "America/Los_Angeles")
PROGRAM = Program("PR1", "S1", "Test Adult IOP", 9 * 60, 19 * 60)
EVENING = Track("T-EVE", "PR1", "Evening")
DAY_SHIFT = tuple(Interval.at(d, "08:30", "17:00") for d in range(5))
LATE_SHIFT = tuple(Interval.at(d, "12:00", "21:30") for d in range(5))


def evening_offers(cohorts: int = 1) -> tuple[GroupOffer, ...]:
    offers = []
    for day in (0, 2, 3):
        for c in range(cohorts):
            t = 18 * 60
            for stype in (cat.GROUP_THERAPY, cat.PSYCHOEDUCATION, cat.SKILLS):
                topic = f"Topic {day}" if stype is cat.PSYCHOEDUCATION else ""
                offers.append(
                    GroupOffer(
                        f"eve-{day}-{c}-{stype.code}",
                        stype.code,
                        "PR1",
                        Interval(day, t, t + stype.duration_min),
                        "T-EVE",
                        topic=topic,
                    )
                )
                t += stype.duration_min
    return tuple(offers)


def evening_patient(n: int, *, needs=None, extra=(), **kw) -> Patient:
    availability = tuple(Interval.at(d, "17:00", "21:30") for d in (0, 2, 3)) + tuple(extra)
    if needs is None:
        needs = (
            Need(cat.GROUP_THERAPY.code, 3),
            Need(cat.PSYCHOEDUCATION.code, 3),
            Need(cat.SKILLS.code, 3),
            Need(cat.INDIVIDUAL.code, 1),
        )
    kw.setdefault("track_id", "T-EVE")
    kw.setdefault("time_of_day", TimeOfDay.EVENING)
    return Patient(f"P-{n:03d}", "PR1", availability, tuple(needs), label=f"TEST-{n:03d}", **kw)


def small_week(patients: int | tuple = 8, **kw) -> Instance:
    clinicians = (
        Clinician("C-1", "Test Counselor One", frozenset({"S1"}), frozenset({"LADC"}), LATE_SHIFT),
        Clinician("C-2", "Test Counselor Two", frozenset({"S1"}), frozenset({"LPC"}), LATE_SHIFT),
        Clinician(
            "C-3", "Test Family Therapist", frozenset({"S1"}), frozenset({"LMFT"}), DAY_SHIFT
        ),
        Clinician("C-4", "Test Prescriber", frozenset({"S1"}), frozenset({"PMHNP"}), LATE_SHIFT),
    )
    rooms = (
        Room("R-G", "S1", "Group room", 12, RoomKind.GROUP),
        Room("R-O1", "S1", "Office 1", 4, RoomKind.OFFICE),
        Room("R-O2", "S1", "Office 2", 3, RoomKind.OFFICE),
    )
    values = dict(
        week=WEEK,
        sites=(SITE,),
        rooms=rooms,
        clinicians=clinicians,
        programs=(PROGRAM,),
        session_types=cat.DEFAULT_SESSION_TYPES,
        offers=evening_offers(),
        patients=(
            patients
            if isinstance(patients, tuple)
            else tuple(evening_patient(i) for i in range(1, patients + 1))
        ),
        tracks=(EVENING,),
    )
    values.update(kw)
    return Instance(**values)
