"""The demo's scheduling history: weeks of sessions with rosters and attendance,
a published week planned by the optimizer, the next one proposed, signed
group notes, and nobody double-booked anywhere."""

import datetime as dt

import pytest
from django.utils import timezone

from openiop.demo.demo import build_demo
from openiop.scheduling.models import (
    Attendance,
    Note,
    PublishedWeek,
    RosterEntry,
    Session,
    SolverRun,
)

pytestmark = pytest.mark.django_db


def overlaps(rows):
    """Pairs of (start, end) intervals per key that overlap."""
    by_key = {}
    for key, start, end in rows:
        by_key.setdefault(key, []).append((start, end))
    clashes = 0
    for spans in by_key.values():
        spans.sort()
        clashes += sum(1 for a, b in zip(spans, spans[1:]) if b[0] < a[1])
    return clashes


def test_the_demo_has_a_believable_scheduling_history():
    assert build_demo(patients=60)
    today = timezone.localdate()
    monday = today - dt.timedelta(days=today.weekday())
    assert Session.objects.filter(week=monday - dt.timedelta(weeks=3)).count() > 40
    marks = Attendance.objects.all()
    share_present = marks.filter(status="present").count() / marks.count()
    assert 0.6 < share_present < 0.95
    assert marks.filter(status="absent").exists() and marks.filter(status="late").exists()
    assert PublishedWeek.objects.filter(week=monday).count() == 1
    proposed = SolverRun.objects.get(week=monday + dt.timedelta(days=7))
    assert proposed.status == "done" and proposed.bound <= proposed.objective
    assert Note.objects.filter(status="signed").count() >= 3
    live = Session.objects.filter(status="scheduled")
    assert (
        overlaps(
            live.exclude(facilitator=None).values_list("facilitator_id", "starts_at", "ends_at")
        )
        == 0
    )
    assert overlaps(live.exclude(room=None).values_list("room_id", "starts_at", "ends_at")) == 0
    assert (
        overlaps(
            RosterEntry.objects.filter(status="enrolled", session__status="scheduled").values_list(
                "patient_id", "session__starts_at", "session__ends_at"
            )
        )
        == 0
    )
