"""Safety alert routing and escalation (`measures.services.alerts`).

Routing: an alert goes to the patient's primary clinician if their account is
active, and to the active directors of the patient's program (or of the whole
organization); only when there is nobody of these, to the program's
clinicians; with no team at all, to the organization's safety queue (its
organization-wide clinical staff, else its administrators). Nobody of another
program or organization, no inactive account or membership, nobody twice.

Escalation: an open safety alert not acknowledged in time goes one level up
per sweep, once per level even when two sweeps run: level 1 adds the
program's and the organization-wide directors, level 2 the organization's
on-call person and address. The delay is the program's open or closed
minutes (at least one), open only within an active track's weekday and hours
in the site's time zone.

Written against the mutants of `.ci/mutation` (group `alerts`)."""

import datetime as dt
import zoneinfo

import pytest
from django.utils import timezone

from openiop.accounts.models import Membership
from openiop.audit.models import AuditEvent
from openiop.measures.models import AlertKind, AlertRecipient, AlertStatus, SafetyAlert
from openiop.measures.services import alerts
from openiop.measures.services.alerts import (
    _add_recipients,
    _escalation_targets,
    _queue,
    _recipients,
    alert_raise,
    alerts_sweep,
    escalation_delay,
    program_open,
    route,
)
from openiop.messaging.models import OutboxMessage
from tests.factories import (
    EpisodeFactory,
    OrganizationFactory,
    PatientFactory,
    ProgramFactory,
    TrackFactory,
    UserFactory,
    staff,
)

pytestmark = pytest.mark.django_db


def routed(episode):
    return _recipients(episode, episode.organization_id)


def test_the_primary_clinician_and_the_programs_director_are_told(cast):
    assert routed(cast.episode_a) == [
        (cast.clinician_a.pk, "primary_clinician"),
        (cast.director_a.pk, "program_director"),
    ]


def test_an_inactive_primary_clinician_is_not_told(cast):
    cast.clinician_a.is_active = False
    cast.clinician_a.save()
    episode = type(cast.episode_a).objects.get(pk=cast.episode_a.pk)
    assert routed(episode) == [(cast.director_a.pk, "program_director")]


def test_the_programs_own_directors_are_told_first_not_organization_wide_or_elsewhere(cast):
    """Organization-wide directors are the escalation (level 1), not the first
    recipients of every alert of the organization."""
    staff("program_director", organization=cast.org)
    staff("program_director", program=cast.program_b)
    other_org = OrganizationFactory()
    staff("program_director", program=ProgramFactory(organization=other_org))
    staff("program_director", organization=other_org)
    assert {uid for uid, _ in routed(cast.episode_a)} == {
        cast.clinician_a.pk,
        cast.director_a.pk,
    }


def test_an_inactive_director_account_or_membership_is_not_told(cast):
    Membership.objects.filter(user=cast.director_a).update(is_active=False)
    gone = staff("program_director", program=cast.program_a)
    gone.is_active = False
    gone.save()
    assert routed(cast.episode_a) == [(cast.clinician_a.pk, "primary_clinician")]


def test_without_clinician_or_director_the_programs_clinicians_are_told(cast):
    episode = cast.episode_a
    episode.primary_clinician = None
    Membership.objects.filter(user=cast.director_a).delete()
    other = staff("clinician", program=cast.program_a)
    inactive = staff("clinician", program=cast.program_a)
    Membership.objects.filter(user=inactive).update(is_active=False)
    staff("clinician", program=cast.program_b)
    staff("prescriber", program=cast.program_a)
    got = routed(episode)
    assert sorted(got) == sorted(
        [(cast.clinician_a.pk, "program_clinician"), (other.pk, "program_clinician")]
    )


def test_program_clinicians_are_not_told_when_a_director_is(cast):
    episode = cast.episode_a
    episode.primary_clinician = None
    assert routed(episode) == [(cast.director_a.pk, "program_director")]


def test_nobody_is_told_twice(cast):
    episode = cast.episode_a
    episode.primary_clinician = cast.director_a
    assert routed(episode) == [(cast.director_a.pk, "primary_clinician")]


def test_a_response_without_an_episode_is_routed_to_nobody(cast):
    assert _recipients(None, cast.org.pk) == []


# the organization's safety queue and routing over every current episode ---------------

UTC = dt.UTC
LA = zoneinfo.ZoneInfo("America/Los_Angeles")  # the cast's site
MONDAY = dt.date(2026, 11, 30)  # track A meets Monday, Wednesday, Thursday 18:00-21:00
SUNDAY = dt.datetime(2026, 11, 29, 20, tzinfo=UTC)  # noon in Los Angeles: program A closed


def local(day, hour, minute=0, second=0) -> dt.datetime:
    """A time at the site, given in UTC (18:00 on Monday there is Tuesday in UTC)."""
    return dt.datetime.combine(day, dt.time(hour, minute, second), tzinfo=LA).astimezone(UTC)


def spaced(role, **kwargs):
    """staff() whose membership id is not its user id: a list of membership ids
    cannot pass for a list of people."""
    UserFactory()
    user = staff(role, **kwargs)
    assert Membership.objects.get(user=user).pk != user.pk
    return user


def test_the_queue_is_the_organization_wide_clinical_staff_each_once(cast):
    director = spaced("program_director", organization=cast.org)
    clinician = spaced("clinician", organization=cast.org)
    Membership.objects.create(user=clinician, role="intake_coordinator", organization=cast.org)
    prescriber = spaced("prescriber", organization=cast.org)
    gone = spaced("clinician", organization=cast.org)
    gone.is_active = False
    gone.save()
    left = spaced("clinician", organization=cast.org)
    Membership.objects.filter(user=left).update(is_active=False)
    spaced("clinician", organization=OrganizationFactory())
    # the programs' staff, the auditor and the administrator are not on it
    got = _queue(cast.org.pk)
    assert len(got) == 4
    assert sorted(got) == sorted(
        (u.pk, "organization_queue") for u in (cast.intake, director, clinician, prescriber)
    )


def test_without_organization_wide_clinical_staff_the_programs_intake_and_directors(cast):
    """Everyone on these tiers can open a queue alert: the queue is shown to the
    clinical staff of every program of the organization."""
    Membership.objects.filter(user=cast.intake).update(is_active=False)
    program_intake = spaced("intake_coordinator", program=cast.program_b)
    spaced("intake_coordinator", program=ProgramFactory(organization=OrganizationFactory()))
    assert sorted(_queue(cast.org.pk)) == sorted(
        [(cast.director_a.pk, "organization_queue"), (program_intake.pk, "organization_queue")]
    )


def test_then_the_programs_clinical_staff_then_the_administrators_to_staff_it(cast):
    Membership.objects.filter(user=cast.intake).update(is_active=False)
    Membership.objects.filter(user=cast.director_a).update(is_active=False)
    assert sorted(_queue(cast.org.pk)) == sorted(
        (u.pk, "organization_queue")
        for u in (cast.clinician_a, cast.clinician_b, cast.prescriber_a)
    )
    Membership.objects.exclude(role__in=["administrator", "auditor", "billing"]).update(
        is_active=False
    )
    second = spaced("administrator", organization=cast.org)
    spaced("administrator", program=cast.program_a)  # not organization-wide
    assert sorted(_queue(cast.org.pk)) == sorted(
        [(cast.admin.pk, "no_clinical_staff"), (second.pk, "no_clinical_staff")]
    )


def test_an_alert_goes_to_the_teams_of_every_current_episode_the_newest_first(cast):
    b_director = staff("program_director", program=cast.program_b)
    Membership.objects.create(
        user=b_director, role="program_director", program=cast.program_a, organization=cast.org
    )
    newer = EpisodeFactory(
        patient=cast.patient_a,
        program=cast.program_b,
        primary_clinician=cast.clinician_b,
        admitted_on=cast.episode_a.admitted_on + dt.timedelta(days=3),
    )
    routing = route(cast.patient_a)
    assert routing.episode == newer and not routing.on_queue
    assert routing.recipients == [
        (cast.clinician_b.pk, "primary_clinician"),
        (b_director.pk, "program_director"),  # the director of both, once
        (cast.clinician_a.pk, "primary_clinician"),
        (cast.director_a.pk, "program_director"),
    ]


# the program's hours and the escalation delay -----------------------------------------


def test_a_program_is_open_only_within_an_active_tracks_weekday_and_hours_end_exclusive(cast):
    program = cast.program_a
    assert program_open(program, local(MONDAY, 18))
    assert program_open(program, local(MONDAY, 20, 59, 59))
    assert program_open(program, local(MONDAY + dt.timedelta(days=2), 19))  # Wednesday
    assert not program_open(program, local(MONDAY, 17, 59, 59))
    assert not program_open(program, local(MONDAY, 21))
    assert not program_open(program, local(MONDAY + dt.timedelta(days=1), 19))  # Tuesday
    cast.track_a.is_active = False
    cast.track_a.save()
    assert not program_open(program, local(MONDAY, 19))


def test_any_active_track_of_the_program_opens_it(cast):
    TrackFactory(
        program=cast.program_a,
        name="Morning A",
        kind="morning",
        weekdays=[2],
        start_time=dt.time(9),
        end_time=dt.time(12),
    )
    assert program_open(cast.program_a, local(MONDAY, 19))  # the evening track, listed second
    assert program_open(cast.program_a, local(MONDAY + dt.timedelta(days=1), 9))


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", ""])
def test_a_site_time_zone_that_is_not_one_is_read_as_utc(cast, settings, zone):
    """Not the server's time zone either (the server's is set to Tokyo here)."""
    settings.TIME_ZONE = "Asia/Tokyo"
    site = cast.program_a.site
    site.time_zone = zone
    site.save()
    assert program_open(cast.program_a, dt.datetime.combine(MONDAY, dt.time(18, 30), tzinfo=UTC))
    assert not program_open(cast.program_a, local(MONDAY, 18, 30))


def test_no_program_is_never_open():
    assert not program_open(None, local(MONDAY, 19))


def test_the_escalation_delay_is_the_programs_open_or_closed_minutes(cast):
    program = cast.program_a
    program.alert_minutes_open, program.alert_minutes_closed = 45, 25
    program.save()
    assert escalation_delay(cast.episode_a, local(MONDAY, 19)) == dt.timedelta(minutes=45)
    assert escalation_delay(cast.episode_a, local(MONDAY, 22)) == dt.timedelta(minutes=25)


def test_without_an_episode_the_escalation_delay_is_fifteen_minutes():
    assert escalation_delay(None, local(MONDAY, 19)) == dt.timedelta(minutes=15)


def test_the_escalation_delay_has_a_floor_of_one_minute(cast):
    program = cast.program_a
    program.alert_minutes_open = program.alert_minutes_closed = 0
    program.save()
    assert escalation_delay(cast.episode_a, local(MONDAY, 19)) == dt.timedelta(minutes=1)
    assert escalation_delay(cast.episode_a, local(MONDAY, 22)) == dt.timedelta(minutes=1)


# recipients and escalation targets ----------------------------------------------------


def raised(cast, *, due=SUNDAY, patient=None) -> SafetyAlert:
    """A safety alert (routed and paged as usual), due to escalate at `due`."""
    alert = alert_raise(
        actor=cast.clinician_a,
        patient=patient or cast.patient_a,
        kind=AlertKind.SELF_HARM_ITEM,
        summary="Synthetic alert.",
    )
    SafetyAlert.objects.filter(pk=alert.pk).update(next_escalation_at=due)
    return SafetyAlert.objects.get(pk=alert.pk)


def level_one_adds_someone(cast):
    """An organization-wide director (no email): program A's director is told
    first, so without one level 1 would add nobody and be passed through."""
    return staff("program_director", organization=cast.org, username="org.director")


def acknowledge(alert, by) -> None:
    SafetyAlert.objects.filter(pk=alert.pk).update(
        status=AlertStatus.ACKNOWLEDGED,
        acknowledged_by=by,
        acknowledged_at=SUNDAY,
        acknowledgement_note="Called, safe (synthetic).",
    )


def with_email(*users):
    for user in users:
        user.email = f"{user.username}@example.test"
        user.save()


def test_recipients_are_added_once_with_their_level_and_time(cast):
    alert = raised(cast)  # the primary clinician and the director, level 0
    before = AlertRecipient.objects.get(alert=alert, user=cast.director_a)
    newcomer = staff("program_director", program=cast.program_a)
    added = _add_recipients(
        alert,
        [(cast.director_a.pk, "escalated"), (newcomer.pk, "escalated")],
        level=1,
        now=SUNDAY,
    )
    assert added == [newcomer.pk]
    after = AlertRecipient.objects.get(alert=alert, user=cast.director_a)
    assert (after.reason, after.level, after.added_at) == ("program_director", 0, before.added_at)
    new = AlertRecipient.objects.get(alert=alert, user=newcomer)
    assert (new.reason, new.level, new.added_at) == ("escalated", 1, SUNDAY)
    assert _add_recipients(alert, [(newcomer.pk, "on_call")], level=2, now=SUNDAY) == []
    assert AlertRecipient.objects.filter(alert=alert).count() == 3


def test_level_one_adds_the_programs_and_organization_wide_directors_and_no_one_else(cast):
    cast.org.on_call_user = cast.clinician_b
    cast.org.on_call_email = "on-call@example.test"
    cast.org.save()
    org_director = spaced("program_director", organization=cast.org)
    program_director = spaced("program_director", program=cast.program_a)
    spaced("program_director", program=cast.program_b)
    spaced("program_director", organization=OrganizationFactory())
    gone = spaced("program_director", program=cast.program_a)
    gone.is_active = False
    gone.save()
    people, address = _escalation_targets(raised(cast), 1)
    assert address == ""
    assert len(people) == 3
    assert sorted(people) == sorted(
        (u.pk, "escalated") for u in (cast.director_a, org_director, program_director)
    )


def test_level_one_of_an_alert_without_a_program_adds_the_organization_wide_directors(cast):
    org_director = spaced("program_director", organization=cast.org)
    alert = raised(cast, patient=PatientFactory(organization=cast.org))
    assert alert.program_id is None
    assert _escalation_targets(alert, 1) == ([(org_director.pk, "escalated")], "")


def test_level_two_adds_the_organizations_on_call_person_and_address_and_no_one_else(cast):
    on_call = spaced("clinician", organization=cast.org)
    staff("program_director", organization=cast.org)
    cast.org.on_call_user = on_call
    cast.org.on_call_email = "on-call@example.test"
    cast.org.save()
    alert = raised(cast)
    assert _escalation_targets(alert, 2) == ([(on_call.pk, "on_call")], "on-call@example.test")
    on_call.is_active = False
    on_call.save()
    alert = SafetyAlert.objects.get(pk=alert.pk)
    assert _escalation_targets(alert, 2) == ([], "on-call@example.test")
    cast.org.on_call_user, cast.org.on_call_email = None, ""
    cast.org.save()
    alert = SafetyAlert.objects.get(pk=alert.pk)
    assert _escalation_targets(alert, 2) == ([], "")


# the sweep ----------------------------------------------------------------------------


def paged(alert, level) -> list[tuple[str, dt.datetime]]:
    keys = OutboxMessage.objects.filter(key__startswith=f"alert:{alert.uuid}:{level}:")
    return sorted(keys.values_list("to_address", "not_before"))


def test_each_level_adds_its_people_pages_everyone_told_audits_and_schedules_the_next(cast):
    """The audit event of an escalation records the level, the number added and
    whether an on-call address was used."""
    with_email(cast.clinician_a)
    Membership.objects.filter(user=cast.director_a).delete()
    cast.program_a.alert_minutes_closed = 40
    cast.program_a.save()
    alert = raised(cast)  # the primary clinician only, due while the program is closed
    director = staff("program_director", program=cast.program_a)  # joined since
    org_director = staff("program_director", organization=cast.org)
    on_call = staff("clinician", organization=cast.org)
    with_email(director, org_director, on_call)
    cast.org.on_call_user = on_call
    cast.org.on_call_email = "on-call@example.test"
    cast.org.save()

    swept = alerts_sweep(now=SUNDAY)
    assert (swept.escalated, swept.messages) == (1, 3)
    alert.refresh_from_db()
    assert alert.escalation_level == 1
    assert alert.next_escalation_at == SUNDAY + dt.timedelta(minutes=40)
    assert alert.updated_at == SUNDAY
    rows = {r.user_id: (r.reason, r.level, r.added_at) for r in alert.routing.all()}
    assert len(rows) == 3
    assert rows[director.pk] == rows[org_director.pk] == ("escalated", 1, SUNDAY)
    assert paged(alert, 1) == sorted(
        (u.email, SUNDAY) for u in (cast.clinician_a, director, org_director)
    )
    event = AuditEvent.objects.get(event="safety_alert.escalate")
    assert (event.actor_id, event.actor_name, event.action) == (
        None,
        "safety alert escalation",
        "execute",
    )
    assert (event.object_type, event.object_id) == ("safetyalert", str(alert.uuid))
    assert event.patient_id == cast.patient_a.pk
    assert event.detail == {
        "level": 1,
        "added": 2,
        "on_call_address": False,
        "passed_with_nobody_new": [],
    }

    last = SUNDAY + dt.timedelta(minutes=40)
    swept = alerts_sweep(now=last)
    assert (swept.escalated, swept.messages) == (1, 5)
    alert.refresh_from_db()
    assert alert.escalation_level == 2 and alert.next_escalation_at is None
    told = alert.routing.get(user=on_call)
    assert (told.reason, told.level, told.added_at) == ("on_call", 2, last)
    assert paged(alert, 2) == sorted(
        [(u.email, last) for u in (cast.clinician_a, director, org_director, on_call)]
        + [("on-call@example.test", last)]
    )
    event = AuditEvent.objects.filter(event="safety_alert.escalate").latest("id")
    assert event.detail == {
        "level": 2,
        "added": 1,
        "on_call_address": True,
        "passed_with_nobody_new": [],
    }
    assert alerts_sweep(now=last + dt.timedelta(days=1)).escalated == 0


def test_the_sweep_escalates_each_due_open_safety_alert_most_overdue_first_and_counts(cast):
    """Due means at or before now; an acknowledged alert, one not due yet and a
    clinical attention flag (even one given an escalation time) stay put."""
    with_email(cast.clinician_a, cast.director_a, cast.clinician_b)
    level_one_adds_someone(cast)
    due_now = raised(cast, due=SUNDAY)
    most_overdue = raised(cast, patient=cast.patient_b, due=SUNDAY - dt.timedelta(hours=1))
    not_yet = raised(cast, due=SUNDAY + dt.timedelta(seconds=1))
    acknowledged = raised(cast, due=SUNDAY - dt.timedelta(hours=2))
    acknowledge(acknowledged, cast.clinician_a)
    attention = raised(cast, due=SUNDAY - dt.timedelta(hours=2))
    SafetyAlert.objects.filter(pk=attention.pk).update(tier="attention")

    swept = alerts_sweep(now=SUNDAY)
    # patient A's team (2) and patient B's clinician (1), paged again at level 1
    assert (swept.escalated, swept.messages) == (2, 3)
    assert dict(SafetyAlert.objects.values_list("pk", "escalation_level")) == {
        due_now.pk: 1,
        most_overdue.pk: 1,
        not_yet.pk: 0,
        acknowledged.pk: 0,
        attention.pk: 0,
    }
    order = AuditEvent.objects.filter(event="safety_alert.escalate").order_by("id")
    assert list(order.values_list("object_id", flat=True)) == [
        str(most_overdue.uuid),
        str(due_now.uuid),
    ]


def test_the_sweep_runs_at_the_current_time_by_default(cast):
    level_one_adds_someone(cast)
    overdue = raised(cast, due=timezone.now() - dt.timedelta(minutes=1))
    later = raised(cast, due=timezone.now() + dt.timedelta(hours=1))
    assert alerts_sweep().escalated == 1
    assert SafetyAlert.objects.get(pk=overdue.pk).escalation_level == 1
    assert SafetyAlert.objects.get(pk=later.pk).escalation_level == 0


def during_the_sweep(monkeypatch, action):
    """Run `action` once, in the sweep, after it read the due alerts and before
    it escalates the first (as another process would, meanwhile)."""
    real, done = alerts.escalation_delay, []

    def delay(episode, now):
        if not done:
            done.append(None)  # once: the action may sweep too
            done[0] = action()
        return real(episode, now)

    monkeypatch.setattr(alerts, "escalation_delay", delay)
    return done


def test_an_escalation_happens_once_per_level_even_when_two_sweeps_run(cast, monkeypatch):
    with_email(cast.clinician_a, cast.director_a)
    level_one_adds_someone(cast)
    alert = raised(cast)
    other = during_the_sweep(monkeypatch, lambda: alerts_sweep(now=SUNDAY))
    swept = alerts_sweep(now=SUNDAY)
    assert (other[0].escalated, other[0].messages) == (1, 2)
    assert (swept.escalated, swept.messages) == (0, 0)
    alert.refresh_from_db()
    assert alert.escalation_level == 1
    assert AuditEvent.objects.filter(event="safety_alert.escalate").count() == 1


def test_an_alert_acknowledged_while_the_sweep_runs_is_not_escalated(cast, monkeypatch):
    level_one_adds_someone(cast)
    first = raised(cast, due=SUNDAY - dt.timedelta(minutes=5))
    second = raised(cast, due=SUNDAY)
    during_the_sweep(monkeypatch, lambda: acknowledge(first, cast.clinician_a))
    assert alerts_sweep(now=SUNDAY).escalated == 1  # the next one still is
    assert SafetyAlert.objects.get(pk=first.pk).escalation_level == 0
    assert SafetyAlert.objects.get(pk=second.pk).escalation_level == 1
    events = AuditEvent.objects.filter(event="safety_alert.escalate")
    assert list(events.values_list("object_id", flat=True)) == [str(second.uuid)]


# the sweep in chunks -------------------------------------------------------------------


def test_a_page_waits_for_the_time_it_was_made_for(cast):
    """`_page` queues each message at `now` as given (a sweep's time), not later."""
    with_email(cast.clinician_a)
    alert = raised(cast)
    OutboxMessage.objects.all().delete()
    assert alerts._page(alert, [(cast.clinician_a.pk, "escalated")], level=1, now=SUNDAY) == 1
    assert list(OutboxMessage.objects.values_list("key", "not_before")) == [
        (f"alert:{alert.uuid}:1:user:{cast.clinician_a.pk}", SUNDAY)
    ]


def test_the_on_call_address_has_its_own_key_and_an_inactive_account_no_page(cast):
    with_email(cast.clinician_a, cast.director_a)
    cast.org.on_call_email = "on-call@example.test"
    cast.org.save()
    alert = raised(cast)
    Membership.objects.filter(user=cast.director_a).update(is_active=False)
    type(cast.director_a).objects.filter(pk=cast.director_a.pk).update(is_active=False)
    SafetyAlert.objects.filter(pk=alert.pk).update(escalation_level=1)
    alerts_sweep(now=SUNDAY)
    keys = set(OutboxMessage.objects.filter(key__contains=":2:").values_list("key", flat=True))
    assert keys == {
        f"alert:{alert.uuid}:2:user:{cast.clinician_a.pk}",
        f"alert:{alert.uuid}:2:on-call",
    }


def test_every_chunk_of_a_long_sweep_is_escalated_and_counted(cast, monkeypatch):
    """With chunks of one alert, each chunk's people, messages and count add up."""
    monkeypatch.setattr(alerts, "CHUNK", 1)
    with_email(cast.clinician_a, cast.director_a, cast.clinician_b)
    first = raised(cast, due=SUNDAY - dt.timedelta(minutes=2))
    second = raised(cast, patient=cast.patient_b, due=SUNDAY - dt.timedelta(minutes=1))
    a_director = staff("program_director", program=cast.program_a)
    b_director = staff("program_director", program=cast.program_b)
    with_email(a_director, b_director)
    swept = alerts_sweep(now=SUNDAY)
    # A: clinician, director, new director; B: clinician, new director
    assert (swept.escalated, swept.messages) == (2, 5)
    assert {r.user_id for r in first.routing.filter(level=1)} == {a_director.pk}
    assert {r.user_id for r in second.routing.filter(level=1)} == {b_director.pk}


def test_a_long_sweep_reaches_past_its_first_chunks(cast, monkeypatch):
    level_one_adds_someone(cast)
    monkeypatch.setattr(alerts, "CHUNK", 2)
    made = [raised(cast, due=SUNDAY - dt.timedelta(minutes=m)) for m in range(5, 0, -1)]
    assert alerts_sweep(now=SUNDAY).escalated == 5
    assert set(SafetyAlert.objects.values_list("escalation_level", flat=True)) == {1}
    assert len(made) == 5


def test_alerts_of_two_programs_in_one_sweep_get_each_programs_directors(cast):
    """The people of a level are worked out once per organization, program and
    level, and never lent to another program's alert."""
    first = raised(cast)
    second = raised(cast, patient=cast.patient_b)
    a_director = staff("program_director", program=cast.program_a)
    b_director = staff("program_director", program=cast.program_b)
    alerts_sweep(now=SUNDAY)
    assert set(first.routing.filter(level=1).values_list("user_id", flat=True)) == {a_director.pk}
    assert set(second.routing.filter(level=1).values_list("user_id", flat=True)) == {b_director.pk}


def test_the_sweeps_queries_do_not_grow_with_its_alerts(cast):
    """Two alerts or six of one program, in one chunk: the same number of
    queries (the delay and the people of a level are read once per program,
    each alert's patient with the alert)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with_email(cast.clinician_a, cast.director_a)

    def sweep_of(n: int, now) -> int:
        for earlier in SafetyAlert.objects.filter(status=AlertStatus.OPEN):
            acknowledge(earlier, cast.clinician_a)
        for _ in range(n):
            raised(cast, due=now)
        with CaptureQueriesContext(connection) as run:
            assert alerts_sweep(now=now).escalated == n
        return len(run.captured_queries)

    assert sweep_of(2, SUNDAY) == sweep_of(6, SUNDAY + dt.timedelta(days=1))


# what each message says, levels with nobody new, the steps recorded --------------------------


def bodies(alert, level) -> dict:
    keys = OutboxMessage.objects.filter(key__startswith=f"alert:{alert.uuid}:{level}:")
    return {m.to_address: m.body.split("\n")[0] for m in keys}


def test_first_messages_say_why_and_the_on_call_address_is_paged_when_no_clinician_can_be(cast):
    with_email(cast.clinician_a, cast.director_a, cast.admin)
    alert = raised(cast)
    first = bodies(alert, 0)
    assert first[cast.clinician_a.email] == alerts.FIRST["primary_clinician"]
    assert first[cast.director_a.email] == alerts.FIRST["program_director"]
    # nobody holds a clinical role: the administrators, and the on-call address at once
    Membership.objects.exclude(role__in=["administrator", "auditor", "billing"]).update(
        is_active=False
    )
    cast.org.on_call_email = "on-call@example.test"
    cast.org.save()
    alert = raised(cast, patient=cast.patient_b)
    first = bodies(alert, 0)
    assert first == {
        cast.admin.email: alerts.NO_CLINICAL_STAFF,
        "on-call@example.test": alerts.ON_CALL_ADDRESS_NOBODY,
    }
    assert f"alert:{alert.uuid}:0:on-call" in set(
        OutboxMessage.objects.values_list("key", flat=True)
    )


def test_with_a_clinician_to_tell_the_on_call_address_waits_for_its_level(cast):
    cast.org.on_call_email = "on-call@example.test"
    cast.org.save()
    alert = raised(cast)
    assert not OutboxMessage.objects.filter(key=f"alert:{alert.uuid}:0:on-call").exists()


def test_a_level_with_nobody_new_is_recorded_passed_and_everyone_reminded(cast):
    """Program A's director is told first; with no organization-wide director
    level 1 adds nobody: recorded as such, passed at once to level 2, where the
    on-call person is told why and the others are reminded."""
    on_call = spaced("clinician", organization=cast.org)
    with_email(cast.clinician_a, cast.director_a, on_call)
    cast.org.on_call_user = on_call
    cast.org.save()
    alert = raised(cast)
    swept = alerts_sweep(now=SUNDAY)
    assert swept.escalated == 1
    alert.refresh_from_db()
    assert (alert.escalation_level, alert.next_escalation_at) == (2, None)
    steps = list(alert.steps.values_list("level", "at", "added", "on_call_address"))
    assert steps == [(1, SUNDAY, 0, False), (2, SUNDAY, 1, False)]
    event = AuditEvent.objects.get(event="safety_alert.escalate")
    assert event.detail["passed_with_nobody_new"] == [1] and event.detail["level"] == 2
    said = bodies(alert, 2)
    assert said[on_call.email] == alerts.FIRST["on_call"]
    for person in (cast.clinician_a, cast.director_a):
        assert said[person.email].startswith("Reminder") and "on-call contact" in said[person.email]
    assert not bodies(alert, 1)  # nobody is paged for a level passed through


def test_a_step_records_the_on_call_address(cast):
    cast.org.on_call_email = "on-call@example.test"
    cast.org.save()
    alert = raised(cast)
    alerts_sweep(now=SUNDAY)
    assert list(alert.steps.values_list("level", "added", "on_call_address")) == [
        (1, 0, False),
        (2, 0, True),
    ]


def test_a_level_that_adds_someone_is_not_passed_through(cast):
    level_one_adds_someone(cast)
    alert = raised(cast)
    alerts_sweep(now=SUNDAY)
    alert.refresh_from_db()
    assert alert.escalation_level == 1
    assert list(alert.steps.values_list("level", "added")) == [(1, 1)]
    said = bodies(alert, 1)
    assert all(body.startswith("Reminder") and "directors" in body for body in said.values())


def test_level_one_of_a_queue_alert_without_organization_wide_directors_is_every_director(cast):
    """The queue is everyone's: with no organization-wide director, level 1
    goes to the directors of the organization's programs (who all see it),
    also for a patient of a program left without staff."""
    b_director = spaced("program_director", program=cast.program_b)
    walk_in = raised(cast, patient=PatientFactory(organization=cast.org))
    assert sorted(_escalation_targets(walk_in, 1)[0]) == sorted(
        [(cast.director_a.pk, "escalated"), (b_director.pk, "escalated")]
    )
    Membership.objects.filter(program=cast.program_a).update(is_active=False)
    Membership.objects.filter(user=cast.intake).update(is_active=False)
    staffless = raised(cast)
    assert staffless.on_queue and staffless.program_id == cast.program_a.pk
    assert _escalation_targets(staffless, 1) == ([(b_director.pk, "escalated")], "")


def test_an_on_call_person_who_cannot_open_every_alert_is_not_told(cast):
    cast.org.on_call_user = cast.director_a  # a director of one program only
    cast.org.save()
    assert _escalation_targets(raised(cast), 2) == ([], "")


@pytest.mark.parametrize("gone", ["account", "membership", "role"])
def test_someone_who_left_or_changed_role_is_not_reminded(cast, gone):
    """Reminders go to people who still hold a clinical role in the
    organization with an active account."""
    with_email(cast.clinician_a, cast.director_a)
    level_one_adds_someone(cast)
    alert = raised(cast)
    if gone == "account":
        type(cast.director_a).objects.filter(pk=cast.director_a.pk).update(is_active=False)
    elif gone == "membership":
        Membership.objects.filter(user=cast.director_a).update(is_active=False)
    else:
        Membership.objects.filter(user=cast.director_a).update(role="billing")
    alerts_sweep(now=SUNDAY)
    assert set(bodies(alert, 1)) == {cast.clinician_a.email}


def test_a_step_records_how_many_people_its_level_had(cast):
    org_director = level_one_adds_someone(cast)
    alert = raised(cast)
    alerts_sweep(now=SUNDAY)
    [step] = alert.steps.all()
    assert (step.level, step.people, step.added) == (1, 2, 1)  # director A and the org's
    assert org_director in alert.recipients.all()


def test_the_on_call_person_already_told_is_reminded_as_the_on_call_contact(cast):
    with_email(cast.clinician_a, cast.director_a)
    cast.org.on_call_user = cast.intake
    cast.org.save()
    with_email(cast.intake)
    alert = raised(cast, patient=PatientFactory(organization=cast.org))  # intake on the queue
    level_one_adds_someone(cast)
    alerts_sweep(now=SUNDAY)  # the directors
    SafetyAlert.objects.filter(pk=alert.pk).update(next_escalation_at=SUNDAY)
    alerts_sweep(now=SUNDAY)  # the on-call contact: nobody new
    said = bodies(alert, 2)
    assert said == {cast.intake.email: f"Reminder: {alerts.FIRST['on_call']}"}


def test_an_administrator_told_to_staff_it_is_reminded_of_that(cast):
    Membership.objects.exclude(role__in=["administrator", "auditor", "billing"]).update(
        is_active=False
    )
    with_email(cast.admin)
    alert = raised(cast)
    alerts_sweep(now=SUNDAY)
    [body] = OutboxMessage.objects.filter(
        key__startswith=f"alert:{alert.uuid}:2:", to_user=cast.admin
    ).values_list("body", flat=True)
    assert body.startswith(
        "Reminder: the alert is still not acknowledged. " + alerts.NO_CLINICAL_STAFF
    )
