"""The safety net: an alert always reaches a person, pages them by email through
the outbox, escalates while unacknowledged, and the patient is told what
actually happened. Each finding of the review is reproduced here first."""

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from openiop.accounts.models import Membership
from openiop.audit.models import AuditEvent
from openiop.care.models import Episode, EpisodeStatus
from openiop.measures import services
from openiop.measures.models import AlertKind, AlertTier, Instrument, SafetyAlert
from openiop.measures.services.alerts import alerts_sweep, route
from openiop.messaging.models import MessageStatus, OutboxMessage
from openiop.messaging.services import outbox_deliver
from tests.factories import EpisodeFactory, PatientFactory, staff

TODAY = timezone.localdate()


def phq9(c, patient, answers, actor=None):
    return services.response_record(
        actor=actor or c.clinician_a,
        patient=patient,
        instrument=Instrument.objects.get(organization__isnull=True, code="phq9"),
        answers=answers,
    )


def item9(c, patient=None, actor=None):
    phq9(c, patient or c.patient_a, [0] * 8 + [2], actor=actor)
    return SafetyAlert.objects.latest("id")


def with_email(*users):
    for i, u in enumerate(users):
        u.email = f"staff{i}.{u.username}@example.test"
        u.save()


# routing ------------------------------------------------------------------------------


def test_an_alert_for_a_patient_without_an_episode_reaches_the_organization_queue(cast):
    """Intake screen before admission: the review found zero recipients."""
    walk_in = PatientFactory(organization=cast.org)
    alert = item9(cast, walk_in, actor=cast.intake)
    assert alert.on_queue and alert.episode is None
    people = set(alert.recipients.all())
    assert people == {cast.intake}  # the organization-wide clinical staff
    assert AuditEvent.objects.get(event="safety_alert.raise").detail["queue"] is True


def test_with_no_program_team_the_queue_reaches_another_programs_staff(cast):
    """Program A without staff and no organization-wide clinical staff: the
    queue goes to the clinical staff of the organization's other programs,
    who can all open it (not to administrators, who cannot)."""
    Membership.objects.filter(user=cast.intake).update(is_active=False)
    Membership.objects.filter(program=cast.program_a).update(is_active=False)
    routing = route(cast.patient_a)
    assert routing.on_queue
    assert [uid for uid, _ in routing.recipients] == [cast.clinician_b.pk]


@pytest.mark.parametrize("n", range(5))
def test_an_alert_never_reaches_nobody(cast, n):
    """The invariant, over organizations stripped of staff in different ways."""
    strip = [
        lambda: None,
        lambda: Membership.objects.filter(program=cast.program_a).update(is_active=False),
        lambda: Episode.objects.filter(pk=cast.episode_a.pk).update(
            status=EpisodeStatus.DISCHARGED, discharged_on=TODAY
        ),
        lambda: (
            type(cast.clinician_a)
            .objects.filter(pk__in=[cast.clinician_a.pk, cast.director_a.pk, cast.intake.pk])
            .update(is_active=False)
        ),
        lambda: Membership.objects.exclude(role="administrator").update(is_active=False),
    ][n]
    strip()
    assert route(cast.patient_a).recipients


def test_after_a_transfer_the_alert_goes_to_the_new_program(cast):
    """A one-time link made in program A, answered after a move to program B."""
    from openiop.care.services import episode_discharge

    link, token = services.link_create(
        actor=cast.clinician_a,
        patient=cast.patient_a,
        purpose="questionnaire",
        instrument=Instrument.objects.get(organization__isnull=True, code="phq9"),
    )
    Episode.objects.filter(pk=cast.episode_a.pk).update(admitted_on=TODAY - dt.timedelta(days=5))
    episode_discharge(
        actor=cast.clinician_a,
        episode=Episode.objects.get(pk=cast.episode_a.pk),
        discharged_on=TODAY,
        reason="transferred",
    )
    new = EpisodeFactory(
        patient=cast.patient_a, program=cast.program_b, primary_clinician=cast.clinician_b
    )
    services.link_submit_answers(token=token, answers=[0] * 8 + [1])
    alert = SafetyAlert.objects.get()
    assert alert.episode == new and alert.program == cast.program_b
    assert cast.clinician_b in alert.recipients.all()
    assert cast.clinician_a not in alert.recipients.all()


# tiers and the clinical rules -----------------------------------------------------------


def test_a_severe_band_is_clinical_attention_not_a_page(cast):
    with_email(cast.clinician_a, cast.director_a)
    phq9(cast, cast.patient_a, [3] * 7 + [0, 0])  # 21, severe, item 9 = 0
    alert = SafetyAlert.objects.get()
    assert alert.kind == AlertKind.SEVERE_BAND and alert.tier == AlertTier.ATTENTION
    assert alert.next_escalation_at is None
    assert not OutboxMessage.objects.exists()


def test_a_rise_of_five_phq9_points_below_the_top_band_needs_attention(cast):
    """Lowe 2004: a 5-point change in the PHQ-9 is clinically meaningful; 0 to 19
    stays below the severe band and raised nothing before."""
    phq9(cast, cast.patient_a, [0] * 9)
    phq9(cast, cast.patient_a, [3, 3, 3, 3, 3, 2, 1, 1, 0])  # 19
    alert = SafetyAlert.objects.get()
    assert alert.kind == AlertKind.LARGE_RISE and "0 to 19" in alert.summary


def test_a_rise_is_judged_within_the_current_episode(cast):
    """A readmitted patient who was severe in an earlier episode is judged
    against this episode's scores, not that one."""
    old = EpisodeFactory(
        patient=cast.patient_a,
        program=cast.program_b,
        status=EpisodeStatus.DISCHARGED,
        admitted_on=TODAY - dt.timedelta(days=90),
        discharged_on=TODAY - dt.timedelta(days=60),
    )
    services.response_record(
        actor=cast.clinician_b,
        patient=cast.patient_a,
        instrument=Instrument.objects.get(organization__isnull=True, code="phq9"),
        answers=[3] * 8 + [0],
        episode=old,
        administered_on=TODAY - dt.timedelta(days=70),
    )
    SafetyAlert.objects.all().delete()
    phq9(cast, cast.patient_a, [3] * 8 + [0])  # severe again, first in this episode
    assert SafetyAlert.objects.filter(kind=AlertKind.SEVERE_BAND).count() == 1


def test_high_risk_at_intake_pages_the_team(cast):
    from tests.plans_helpers import assess

    with_email(cast.clinician_a, cast.director_a)
    assess(cast.clinician_a, cast.episode_a, risk_level="high", risk_notes="Plan and means.")
    alert = SafetyAlert.objects.get()
    assert alert.kind == AlertKind.INTAKE_HIGH_RISK and alert.tier == AlertTier.SAFETY
    assert OutboxMessage.objects.filter(topic_id=str(alert.uuid)).count() == 2


def test_a_check_in_saying_not_safe_pages_the_team(cast):
    services.checkin_record(
        actor=cast.clinician_a, patient=cast.patient_a, mood=2, cravings=8, not_safe=True
    )
    alert = SafetyAlert.objects.get()
    assert alert.kind == AlertKind.CHECKIN_CRISIS and alert.tier == AlertTier.SAFETY


# paging and escalation ----------------------------------------------------------------


def test_a_safety_alert_emails_its_recipients_once_without_phi(cast):
    with_email(cast.clinician_a, cast.director_a)
    alert = item9(cast)
    assert OutboxMessage.objects.filter(status=MessageStatus.QUEUED).count() == 2
    done = outbox_deliver()
    assert done.sent == 2 and len(mail.outbox) == 2
    for message in mail.outbox:
        assert message.subject == "A safety alert needs you"
        assert str(alert.uuid) in message.body
        for phi in (cast.patient_a.legal_family_name, cast.patient_a.mrn, "PHQ-9"):
            assert phi not in message.body and phi not in message.subject
    assert outbox_deliver().sent == 0  # nothing twice
    assert AuditEvent.objects.filter(event="message.safety_alert").count() == 2


def test_unacknowledged_it_escalates_to_the_directors_then_the_on_call(cast):
    with_email(cast.clinician_a, cast.director_a)
    org_director = staff("program_director", organization=cast.org, username="org.dir")
    with_email(org_director)
    cast.org.on_call_email = "on-call@example.test"
    cast.org.save()
    episode = cast.episode_a
    episode.primary_clinician = cast.clinician_a
    alert = item9(cast)
    assert alert.next_escalation_at is not None
    assert alerts_sweep(now=timezone.now()).escalated == 0  # not yet
    later = alert.next_escalation_at + dt.timedelta(seconds=1)
    assert alerts_sweep(now=later).escalated == 1
    alert.refresh_from_db()
    assert alert.escalation_level == 1
    assert org_director in alert.recipients.all()
    assert alerts_sweep(now=later).escalated == 0  # once
    last = alert.next_escalation_at + dt.timedelta(seconds=1)
    assert alerts_sweep(now=last).escalated == 1
    alert.refresh_from_db()
    assert alert.escalation_level == 2 and alert.next_escalation_at is None
    assert OutboxMessage.objects.filter(to_address="on-call@example.test").count() == 1
    assert AuditEvent.objects.filter(event="safety_alert.escalate").count() == 2
    assert alerts_sweep(now=last + dt.timedelta(days=1)).escalated == 0


def test_an_acknowledged_alert_does_not_escalate(cast):
    alert = item9(cast)
    services.alert_acknowledge(
        actor=cast.clinician_a, alert=alert, note="Called, safe (synthetic)."
    )
    assert alerts_sweep(now=timezone.now() + dt.timedelta(days=1)).escalated == 0


def test_outside_the_programs_hours_the_delay_is_shorter(cast):
    from openiop.measures.services.alerts import escalation_delay, program_open

    program = cast.program_a
    track = cast.track_a
    track.weekdays = [1, 2, 3, 4, 5]
    track.start_time, track.end_time = dt.time(17), dt.time(20)
    track.save()
    program.site.time_zone = "America/Los_Angeles"
    program.site.save()
    tuesday_evening = dt.datetime(2026, 12, 1, 18, 30, tzinfo=dt.timezone(dt.timedelta(hours=-8)))
    friday_night = dt.datetime(2026, 12, 4, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=-8)))
    episode = Episode.objects.select_related("program__site").get(pk=cast.episode_a.pk)
    assert program_open(episode.program, tuesday_evening)
    assert not program_open(episode.program, friday_night)
    assert escalation_delay(episode, tuesday_evening) == dt.timedelta(minutes=30)
    assert escalation_delay(episode, friday_night) == dt.timedelta(minutes=15)


def test_a_failing_mail_server_keeps_the_message_and_retries(cast, settings):
    settings.EMAIL_BACKEND = "tests.test_safety_net.BrokenBackend"
    with_email(cast.clinician_a)
    item9(cast)
    done = outbox_deliver()
    assert done.retried >= 1 and done.sent == 0
    message = OutboxMessage.objects.filter(to_user=cast.clinician_a).get()
    assert message.status == MessageStatus.QUEUED and "refused" in message.last_error
    assert SafetyAlert.objects.get().is_open
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert outbox_deliver(now=message.not_before + dt.timedelta(seconds=1)).sent >= 1


class BrokenBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("the mail server refused the connection (synthetic)")


def test_the_patient_is_told_what_actually_happened(cast, client):
    link, token = services.link_create(
        actor=cast.clinician_a,
        patient=cast.patient_a,
        purpose="questionnaire",
        instrument=Instrument.objects.get(organization__isnull=True, code="phq9"),
    )
    data = {f"item_{i}": "0" for i in range(1, 9)}
    page = client.post(f"/m/{token}/", data)
    assert b"left the question about thoughts of death" in page.content
    assert b"2 people of your care team have been alerted" in page.content
    assert SafetyAlert.objects.get().kind == AlertKind.SELF_HARM_UNANSWERED


def test_a_message_left_sending_by_a_stopped_worker_is_sent_again_later(cast):
    """At least once, never lost: a worker that died after claiming a message."""
    with_email(cast.clinician_a)
    item9(cast)
    message = OutboxMessage.objects.get(to_user=cast.clinician_a)
    OutboxMessage.objects.filter(pk=message.pk).update(status=MessageStatus.SENDING)
    assert outbox_deliver().sent == 0  # claimed a moment ago: another worker is on it
    later = timezone.now() + dt.timedelta(minutes=11)
    assert outbox_deliver(now=later).sent == 1
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
