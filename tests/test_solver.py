"""The schedule optimizer's input, clock, checker and explanations (no database)."""

import datetime as dt
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openiop.scheduling.solver import (
    Appointment,
    Clinician,
    GroupSession,
    InstanceError,
    Interval,
    Need,
    Reason,
    Schedule,
    SessionType,
    UnmetNeed,
    check,
    explain,
    interval_utc,
    local_to_utc,
    solve,
    validate,
)
from openiop.scheduling.solver import catalog as cat
from openiop.scheduling.solver.cpsat import cliques
from openiop.scheduling.solver.generate import SIZES, generate
from openiop.scheduling.solver.model import Modality
from openiop.scheduling.solver.optimize import SolveOptions
from tests.solver_cases import DAY_SHIFT, WEEK, evening_patient, small_week

UTC = dt.UTC

# ---------------------------------------------------------------- bad input


def test_it_refuses_overlapping_availability_windows_naming_them():
    patient = evening_patient(1, extra=(Interval.at(0, "20:00", "22:00"),))
    validate(small_week(patients=0))
    with pytest.raises(InstanceError) as err:
        validate(small_week(patients=(patient,)))
    assert "TEST-001" in err.value.message
    assert "Mon 17:00-21:30 and Mon 20:00-22:00" in err.value.message
    assert err.value.field == "patients[P-001].availability"


def test_it_refuses_a_session_longer_than_a_day():
    with pytest.raises(InstanceError, match="lasts 1500 minutes"):
        SessionType("retreat", "Weekend retreat", Modality.INDIVIDUAL, 1500)
    with pytest.raises(InstanceError, match="within one day"):
        Interval(2, 20 * 60, 26 * 60)


def test_it_refuses_a_week_with_no_staff():
    week = small_week(clinicians=())
    with pytest.raises(InstanceError, match="no staff") as err:
        solve(week, SolveOptions(time_limit_s=1))
    assert "2026-03-02" in err.value.message
    everyone_off = tuple(
        replace(c, leave=tuple(Interval(d, 0, 1440) for d in range(7)))
        for c in small_week().clinicians
    )
    with pytest.raises(InstanceError, match="every clinician is on leave"):
        solve(small_week(clinicians=everyone_off), SolveOptions(time_limit_s=1))


def test_it_refuses_a_group_above_the_hard_maximum_and_a_week_not_starting_monday():
    with pytest.raises(InstanceError, match="<= 15"):
        SessionType.group("big", "Big group", 60, max_size=16)
    with pytest.raises(InstanceError, match="not one"):
        validate(small_week(week=dt.date(2026, 3, 3)))


def test_it_refuses_unknown_references_and_duplicate_needs():
    p = evening_patient(1, needs=(Need("yoga", 1),))
    with pytest.raises(InstanceError, match="unknown session type 'yoga'"):
        validate(small_week(patients=(p,)))
    p = evening_patient(1, needs=(Need(cat.INDIVIDUAL.code, 1), Need(cat.INDIVIDUAL.code, 1)))
    with pytest.raises(InstanceError, match="twice"):
        validate(small_week(patients=(p,)))


# ---------------------------------------------------------------- DST


def test_an_evening_session_stays_at_1800_local_across_the_spring_change():
    # Los Angeles springs forward on Sunday 8 March 2026: PST (UTC-8) -> PDT (UTC-7)
    saturday = Interval.at(5, "18:00", "19:30")
    sunday = Interval.at(6, "18:00", "19:30")
    assert interval_utc(WEEK, saturday, "America/Los_Angeles") == (
        dt.datetime(2026, 3, 8, 2, 0, tzinfo=UTC),
        dt.datetime(2026, 3, 8, 3, 30, tzinfo=UTC),
    )
    assert interval_utc(WEEK, sunday, "America/Los_Angeles") == (
        dt.datetime(2026, 3, 9, 1, 0, tzinfo=UTC),
        dt.datetime(2026, 3, 9, 2, 30, tzinfo=UTC),
    )
    for iv in (saturday, sunday):
        start, _ = interval_utc(WEEK, iv, "America/Los_Angeles")
        assert (
            start.astimezone(dt.timezone(dt.timedelta(hours=-8 if iv.day == 5 else -7))).hour == 18
        )


def test_an_evening_session_stays_at_1800_local_across_the_autumn_change():
    # falls back on Sunday 1 November 2026: PDT (UTC-7) -> PST (UTC-8); week of Monday 26 October
    week = dt.date(2026, 10, 26)
    assert local_to_utc(week, 5, 18 * 60, "America/Los_Angeles") == dt.datetime(
        2026, 11, 1, 1, 0, tzinfo=UTC
    )
    assert local_to_utc(week, 6, 18 * 60, "America/Los_Angeles") == dt.datetime(
        2026, 11, 2, 2, 0, tzinfo=UTC
    )


def test_skipped_and_repeated_local_times_follow_rfc_5545():
    # 02:30 does not exist on 8 March: read with the offset before the gap (PST), 10:30 UTC
    assert local_to_utc(WEEK, 6, 150, "America/Los_Angeles") == dt.datetime(
        2026, 3, 8, 10, 30, tzinfo=UTC
    )
    # 01:30 happens twice on 1 November: the first one (PDT), 08:30 UTC
    assert local_to_utc(dt.date(2026, 10, 26), 6, 90, "America/Los_Angeles") == dt.datetime(
        2026, 11, 1, 8, 30, tzinfo=UTC
    )
    with pytest.raises(InstanceError, match="not a known time zone"):
        local_to_utc(WEEK, 0, 0, "Mars/Olympus_Mons")


# ---------------------------------------------------------------- the checker


@pytest.fixture(scope="module")
def planted():
    return generate(**SIZES["S"], seed=3, planted=True)


def test_the_planted_schedule_passes_the_checker(planted):
    report = check(planted.instance, planted.planted)
    assert report.ok, report.violations[:3]
    assert planted.planted.groups and planted.planted.appointments


def _first_group(planted):
    return planted.planted.groups[0]


def test_the_checker_finds_a_double_booked_clinician(planted):
    inst, sched = planted.instance, planted.planted
    a, b = (
        sched.appointments[0],
        next(
            x
            for x in sched.appointments[1:]
            if x.clinician_id != sched.appointments[0].clinician_id
        ),
    )
    moved = replace(b, clinician_id=a.clinician_id, interval=a.interval)
    bad = replace(sched, appointments=(a, moved, *sched.appointments[2:]))
    assert (
        "double_booked" in check(inst, bad).codes()
        or "staff_unavailable" in check(inst, bad).codes()
    )
    # the same slot twice for the same patient and clinician: always a double booking
    twice = replace(sched, appointments=(a, replace(a, room_id=None), *sched.appointments[1:]))
    assert check(inst, twice).codes()["double_booked"] >= 1


def test_the_checker_finds_an_over_capacity_group(planted):
    inst, sched = planted.instance, planted.planted
    g = _first_group(planted)
    extra = tuple(f"P-X{i}" for i in range(16 - len(g.patient_ids)))
    crowded = replace(g, patient_ids=g.patient_ids + extra)
    bad = replace(sched, groups=(crowded, *sched.groups[1:]))
    codes = check(inst, bad).codes()
    assert codes["capacity"] >= 1 and codes["unknown"] >= 1


def test_the_checker_finds_a_missing_credential_and_hours_off(planted):
    inst, sched = planted.instance, planted.planted
    a = next(x for x in sched.appointments if x.session_type == cat.MEDICATION.code)
    counselor = next(c for c in inst.clinicians if not c.credentials & cat.PRESCRIBERS)
    bad = replace(
        sched,
        appointments=(
            replace(a, clinician_id=counselor.id),
            *[x for x in sched.appointments if x is not a],
        ),
    )
    assert check(inst, bad).codes()["credential"] == 1
    night = replace(a, interval=Interval(a.interval.day, 3 * 60, 3 * 60 + a.interval.minutes))
    bad = replace(sched, appointments=(night, *[x for x in sched.appointments if x is not a]))
    codes = check(inst, bad).codes()
    assert codes["staff_unavailable"] == 1 and codes["patient_unavailable"] == 1


def test_the_checker_finds_a_closed_room_and_the_weekly_maximum(planted):
    inst, sched = planted.instance, planted.planted
    g = _first_group(planted)
    iv = inst.offer[g.offer_id].interval
    rooms = tuple(replace(r, closed=(iv,)) if r.id == g.room_id else r for r in inst.rooms)
    assert check(replace(inst, rooms=rooms), sched).codes()["room_closed"] == 1
    tight = tuple(replace(p, max_weekly_minutes=60) for p in inst.programs)
    assert check(replace(inst, programs=tight), sched).codes()["weekly_max"] == len(inst.patients)


def test_the_checker_refuses_telehealth_where_it_is_not_allowed(planted):
    inst, sched = planted.instance, planted.planted
    test = next(a for a in sched.appointments if a.session_type == cat.DRUG_TEST.code)
    remote = replace(test, room_id=None)
    bad = replace(sched, appointments=(remote, *[a for a in sched.appointments if a is not test]))
    assert check(inst, bad).codes()["telehealth"] == 1


def test_the_checker_warns_about_small_groups_without_calling_them_violations(planted):
    inst, sched = planted.instance, planted.planted
    g = _first_group(planted)
    small = replace(sched, groups=(replace(g, patient_ids=g.patient_ids[:2]), *sched.groups[1:]))
    report = check(inst, small)
    assert report.ok
    assert any(w.code == "group_small" for w in report.warnings)


# ---------------------------------------------------------------- explanations


def test_an_unmet_family_session_says_there_is_no_evening_family_therapist_on_thursdays():
    thursday_only = evening_patient(1, needs=(Need(cat.FAMILY.code, 1),), track_id=None)
    thursday_only = replace(thursday_only, availability=(Interval.at(3, "17:00", "21:30"),))
    week = small_week(patients=(thursday_only,))
    result = solve(week, SolveOptions(time_limit_s=2))
    [unmet] = result.unmet
    assert unmet.session_type == cat.FAMILY.code and unmet.missing == 1 and unmet.minutes == 50
    assert unmet.reasons[0].code == "no_staff_hours"
    assert unmet.reasons[0].message == "no evening family therapist on Thursdays"


def test_unmet_needs_name_the_missing_licence_and_full_groups():
    patients = tuple(evening_patient(i) for i in range(1, 15)) + (
        evening_patient(15, needs=(Need(cat.MEDICATION.code, 1),)),
    )
    no_prescriber = tuple(c for c in small_week().clinicians if c.id != "C-4")
    week = small_week(patients=patients, clinicians=no_prescriber)
    result = solve(week, SolveOptions(time_limit_s=3))
    by_patient = {(u.patient_id, u.session_type): u for u in result.unmet}
    med = by_patient[("P-015", cat.MEDICATION.code)]
    assert med.reasons[0].code == "no_credential"
    assert (
        "MD, PMHNP or DO" in med.reasons[0].message or "DO, MD or PMHNP" in med.reasons[0].message
    )
    # one group room seats 12: two of the fourteen evening patients miss each group session
    groups = [u for u in result.unmet if u.session_type == cat.GROUP_THERAPY.code]
    assert sum(u.missing for u in groups) == 2 * 3
    assert all(u.reasons and u.reasons[0].code == "group_full" for u in groups)
    assert check(week, result.schedule).ok


def test_with_only_day_staff_an_evening_patient_is_told_nobody_works_evenings():
    day_staff = (
        Clinician("C-1", "Test Day Counselor", frozenset({"S1"}), frozenset({"LADC"}), DAY_SHIFT),
        Clinician(
            "C-3", "Test Family Therapist", frozenset({"S1"}), frozenset({"LMFT"}), DAY_SHIFT
        ),
    )
    # free Mon, Wed and Thu 17:00-21:30; the staff work 08:30-17:00
    patient = evening_patient(
        1, needs=(Need(cat.GROUP_THERAPY.code, 3), Need(cat.INDIVIDUAL.code, 1))
    )
    week = small_week(patients=(patient,), clinicians=day_staff)
    expected = (
        UnmetNeed(
            "P-001",
            "group_therapy",
            missing=3,
            minutes=3 * 90,
            reasons=(
                Reason(
                    "no_staff_hours",
                    "no group therapy facilitator works at the times that fit "
                    "(Mon 18:00-19:30, Thu 18:00-19:30 and Wed 18:00-19:30)",
                ),
            ),
        ),
        UnmetNeed(
            "P-001",
            "individual_therapy",
            missing=1,
            minutes=50,
            reasons=(
                Reason(
                    "no_staff_hours", "no evening therapist on Mondays, Wednesdays or Thursdays"
                ),
            ),
        ),
    )
    assert explain(week, Schedule()) == expected
    result = solve(week, SolveOptions(time_limit_s=2))
    assert result.schedule == Schedule() and result.unmet == expected


def booked_count(inst, schedule, patient_id: str, session_type: str) -> int:
    groups = sum(
        1
        for g in schedule.groups
        if patient_id in g.patient_ids and inst.offer[g.offer_id].session_type == session_type
    )
    return groups + sum(
        1
        for a in schedule.appointments
        if a.patient_id == patient_id and a.session_type == session_type
    )


def test_every_unmet_need_of_a_generated_week_is_a_missing_session_with_a_reason():
    inst = generate(**SIZES["S"], seed=5).instance
    result = solve(inst, SolveOptions(time_limit_s=4))
    assert result.unmet
    assert all(u.reasons and u.reasons[0].message for u in result.unmet)
    # exactly the prescribed sessions the schedule lacks, counted from the schedule here
    short = {
        (p.id, n.session_type): n.count - booked_count(inst, result.schedule, p.id, n.session_type)
        for p in inst.patients
        for n in p.needs
    }
    short = {k: missing for k, missing in short.items() if missing > 0}
    assert {(u.patient_id, u.session_type): u.missing for u in result.unmet} == short


# ---------------------------------------------------------------- clique helper


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 40), st.integers(1, 15)), min_size=0, max_size=12))
def test_cliques_cover_every_overlapping_pair_and_only_overlapping_sets(spans):
    items = [(s, s + d, i) for i, (s, d) in enumerate(spans)]
    found = cliques(items)
    for clique in found:
        for i in clique:
            for j in clique:
                a, b = items[i], items[j]
                assert a[0] < b[1] and b[0] < a[1]
    for a in items:
        for b in items:
            if a[2] < b[2] and a[0] < b[1] and b[0] < a[1]:
                assert any(a[2] in c and b[2] in c for c in found)


def test_a_clinician_on_leave_is_not_scheduled():
    week = small_week(patients=4)
    off = tuple(
        replace(c, leave=(Interval(0, 0, 1440),)) if c.id == "C-1" else c for c in week.clinicians
    )
    week = replace(week, clinicians=off)
    result = solve(week, SolveOptions(time_limit_s=2))
    assert check(week, result.schedule).ok
    assert not any(
        a.clinician_id == "C-1" and a.interval.day == 0 for a in result.schedule.appointments
    )
    assert not any(
        g.facilitator_id == "C-1" and week.offer[g.offer_id].interval.day == 0
        for g in result.schedule.groups
    )


def test_schedule_types_round_trip():
    a = Appointment("P-1", cat.INDIVIDUAL.code, "C-1", Interval.at(1, "10:00", "10:50"), None)
    g = GroupSession("o", "C-1", "R", ("P-1",))
    assert a.interval.label() == "Tue 10:00-10:50" and g.patient_ids == ("P-1",)
    assert Clinician("C", "C", frozenset(), frozenset(), ()).leave == ()
