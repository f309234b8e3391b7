"""The weekly hours ledger, the adherence alerts and the attendance rate,
checked against numbers worked out by hand."""

import datetime as dt

from django.utils import timezone

from openiop.care.models import Episode
from openiop.scheduling.ledger import (
    adherence_alerts,
    adherence_counts,
    adherence_flags,
    attendance_by_program,
    attendance_rate,
    flag_alerts,
    hours_ledger,
)
from openiop.scheduling.localtime import monday
from openiop.scheduling.services.attendance import Mark, attendance_record
from openiop.scheduling.services.sessions import roster_add, session_create
from tests.scheduling_helpers import world

TODAY = timezone.localdate()


def group_on(cast, w, date, marks):
    """A 90-minute group on `date` with the world's first six patients, marked."""
    s = session_create(
        actor=cast.director_a,
        program=cast.program_a,
        session_type=w.types["group_therapy"],
        date=date,
        start_time=dt.time(9),
        room=w.group_room,
        facilitator=cast.clinician_a,
    )
    for p in w.patients[:6]:
        roster_add(actor=cast.director_a, session=s, patient=p)
    attendance_record(
        actor=cast.clinician_a,
        session=s,
        marks=[Mark(p.pk, *m) for p, m in zip(w.patients[:6], marks, strict=True)],
    )
    return s


def test_the_rate_leaves_excused_absences_out_of_both_counts(cast):
    w = world(cast, series=False)
    day = TODAY - dt.timedelta(days=1)
    # present, present, present, late 60, absent, excused: 4 attended of 5 counted
    group_on(cast, w, day, [("present",), ("present",), ("present",), ("late", 60),
                            ("absent",), ("excused",)])  # fmt: skip
    assert attendance_rate(cast.program_a, day, day) == {
        "attended": 4,
        "scheduled": 5,
        "rate": 0.8,
    }
    from openiop.outcomes.selectors import Period

    found = attendance_by_program(
        episodes=Episode.objects.filter(program=cast.program_a), period=Period(day, day)
    )
    assert found == {cast.program_a.pk: (4, 5)}
    assert attendance_rate(cast.program_b, day, day)["rate"] is None


def test_the_ledger_sums_attended_minutes_per_week_against_the_band(cast):
    w = world(cast, series=False)
    last_monday = monday(TODAY) - dt.timedelta(days=7)
    w.episodes[0].admitted_on = last_monday - dt.timedelta(days=14)
    w.episodes[0].save()
    # last week: two groups, the first patient present at one and 60 minutes late at the other
    group_on(cast, w, last_monday, [("present",)] * 6)
    group_on(cast, w, last_monday + dt.timedelta(days=2), [("late", 60)] + [("present",)] * 5)
    ledger = hours_ledger(w.episodes[0], weeks=3, today=TODAY)
    week = next(x for x in ledger.weeks if x.week == last_monday)
    assert (week.attended, week.scheduled, week.sessions) == (150, 180, 2)
    assert ledger.status(week) == "below"  # 2.5 h against a 9-19 h band
    chart = ledger.chart()
    assert len(chart["bars"]) == 3 and chart["min_label"] == "9 h"


def test_alerts_name_a_short_week_two_misses_and_a_gap(cast):
    w = world(cast, series=False)
    last_monday = monday(TODAY) - dt.timedelta(days=7)
    for e in w.episodes:
        e.admitted_on = last_monday - dt.timedelta(days=7)
        e.save()
    group_on(cast, w, TODAY - dt.timedelta(days=6), [("absent",)] + [("present",)] * 5)
    group_on(cast, w, TODAY - dt.timedelta(days=5), [("absent",)] + [("present",)] * 5)
    alerts = adherence_alerts(Episode.objects.filter(program=cast.program_a), today=TODAY)
    first = [a.kind for a in alerts if a.episode == w.episodes[0]]
    assert "missed_twice" in first and "gap" in first
    second = [a for a in alerts if a.episode == w.episodes[1]]
    # attended two days ago and five: a gap of 5 days; and last week was below 9 h
    assert {a.kind for a in second} == {"gap", "below_minimum"}
    assert "5 days without a clinical service" in next(a.message for a in second if a.kind == "gap")


def test_counting_findings_reads_no_patient_and_wording_reads_only_the_page(
    cast, django_assert_num_queries
):
    w = world(cast, series=False)
    for e in w.episodes:
        e.admitted_on = TODAY - dt.timedelta(days=20)
        e.save()
    episodes = Episode.objects.filter(program=cast.program_a)
    with django_assert_num_queries(4):  # episodes, last week, last attended, recent marks
        flags = adherence_flags(episodes, today=TODAY)
    assert adherence_counts(flags) == {"below_minimum": len(w.episodes), "gap": len(w.episodes)}
    with django_assert_num_queries(1):  # the page's episodes with their patients
        worded = flag_alerts(flags[:2], today=TODAY)
    assert [(a.episode.pk, a.kind) for a in worded] == [(f.episode_id, f.kind) for f in flags[:2]]
    assert [a.message for a in adherence_alerts(episodes, today=TODAY)][:2] == [
        a.message for a in worded
    ]
