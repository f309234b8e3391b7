"""State changes raced on PostgreSQL: of N requests that move the same record
at once, exactly one wins, exactly one audit event is written, and the others
are told it happened (Conflict), never something that was not stored. Found by
the hostile probe: 20 concurrent discharges gave 17 successes and 17 audit
events, with mixed reasons."""

import datetime as dt
import threading

import pytest
from django.db import close_old_connections, connection
from django.utils import timezone

from openiop.audit.models import AuditEvent
from openiop.care.models import Episode, EpisodeStatus
from openiop.core.errors import ApplicationError, Conflict

TODAY = timezone.localdate()
N = 12

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL (CI runs this module there)")


def race(work, n: int = N) -> list:
    """Run work(i) in n threads released together; each result or exception."""
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def run(i):
        close_old_connections()
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as exc:  # noqa: BLE001 - the outcome under test
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def winners(results) -> list:
    return [r for r in results if not isinstance(r, Exception)]


def refused(results) -> list:
    return [r for r in results if isinstance(r, ApplicationError)]


def test_concurrent_discharges_one_wins_with_its_reason(cast):
    from openiop.care.services import episode_discharge

    Episode.objects.filter(pk=cast.episode_a.pk).update(admitted_on=TODAY - dt.timedelta(days=9))
    reasons = ["completed", "transferred", "left_against_advice"]

    def discharge(i):
        episode = Episode.objects.get(pk=cast.episode_a.pk)
        return episode_discharge(
            actor=cast.clinician_a, episode=episode, discharged_on=TODAY, reason=reasons[i % 3]
        )

    results = race(discharge)
    won = winners(results)
    assert len(won) == 1, results
    assert len(refused(results)) == N - 1
    stored = Episode.objects.get(pk=cast.episode_a.pk)
    assert stored.status == EpisodeStatus.DISCHARGED
    assert stored.discharge_reason == won[0].discharge_reason
    assert AuditEvent.objects.filter(event="episode.discharge").count() == 1


def test_concurrent_admissions_of_one_patient_make_one_episode(cast):
    from openiop.care.services import episode_admit
    from tests.factories import PatientFactory

    patient = PatientFactory(organization=cast.org)

    def admit(i):
        return episode_admit(
            actor=cast.intake,
            patient=patient,
            program=cast.program_a,
            track=cast.track_a,
            admitted_on=TODAY,
            admission_type="direct",
            referral_source="self",
        )

    results = race(admit)
    assert len(winners(results)) == 1, results
    assert Episode.objects.filter(patient=patient, status=EpisodeStatus.ACTIVE).count() == 1
    assert AuditEvent.objects.filter(event="episode.admit", patient=patient).count() == 1


def test_concurrent_admissions_to_iop_and_php_make_one_episode(cast):
    """One intensive level at a time holds under concurrency: half the requests
    admit to an IOP, half to a PHP, one of all of them wins."""
    from openiop.care.services import episode_admit
    from tests.factories import PatientFactory, ProgramFactory

    patient = PatientFactory(organization=cast.org)
    php = ProgramFactory(organization=cast.org, site=cast.program_a.site, level_of_care="2.5")

    def admit(i):
        return episode_admit(
            actor=cast.intake,
            patient=patient,
            program=php if i % 2 else cast.program_a,
            admitted_on=TODAY,
            admission_type="direct",
            referral_source="self",
        )

    results = race(admit)
    assert len(winners(results)) == 1, results
    assert len(refused(results)) == N - 1, results
    assert Episode.objects.filter(patient=patient, status=EpisodeStatus.ACTIVE).count() == 1


def test_concurrent_acknowledgements_of_an_alert_one_wins(cast):
    from openiop.measures.instruments import sync_shipped
    from openiop.measures.models import Instrument, SafetyAlert
    from openiop.measures.services.responses import alert_acknowledge, response_record

    sync_shipped(Instrument)  # a transactional test starts from empty tables
    response_record(
        actor=cast.clinician_a,
        patient=cast.patient_a,
        instrument=Instrument.objects.get(organization__isnull=True, code="phq9"),
        answers=[0] * 8 + [1],
    )
    alert_id = SafetyAlert.objects.get().pk

    def ack(i):
        alert = SafetyAlert.objects.get(pk=alert_id)
        return alert_acknowledge(
            actor=cast.clinician_a, alert=alert, note=f"Called the patient, plan {i} (synthetic)."
        )

    results = race(ack)
    assert len(winners(results)) == 1, results
    assert AuditEvent.objects.filter(event="safety_alert.acknowledge").count() == 1


def test_concurrent_revocations_of_a_consent_one_wins(cast):
    from openiop.consent.models import Part2Consent
    from openiop.consent.services import consent_revoke
    from tests.interop_helpers import consent_for, recipient

    consent = consent_for(cast, recipient(cast))

    def revoke(i):
        return consent_revoke(
            actor=cast.clinician_a, consent=Part2Consent.objects.get(pk=consent.pk)
        )

    results = race(revoke)
    assert len(winners(results)) == 1, results
    assert AuditEvent.objects.filter(event="consent.revoke").count() == 1


def test_the_transition_gate_lets_one_of_many_through(cast):
    """The one mechanism every transition uses, raced directly."""
    from openiop.core.transitions import transition

    def move(i):
        episode = Episode.objects.get(pk=cast.episode_b.pk)
        transition(episode, to=EpisodeStatus.DISCHARGED, from_=EpisodeStatus.ACTIVE)
        return i

    results = race(move)
    assert len(winners(results)) == 1
    assert all(isinstance(r, Conflict) for r in results if isinstance(r, Exception))


def test_concurrent_sweeps_escalate_each_alert_once(cast):
    """Sweeps on several workers at once: each due alert moves up one level,
    once; one audit event and one message per person per alert."""
    from openiop.measures.instruments import sync_shipped
    from openiop.measures.models import Instrument, SafetyAlert
    from openiop.measures.services.alerts import alerts_sweep
    from openiop.measures.services.responses import response_record
    from openiop.messaging.models import OutboxMessage

    sync_shipped(Instrument)
    phq9 = Instrument.objects.get(organization__isnull=True, code="phq9")
    for clinician, patient in (
        (cast.clinician_a, cast.patient_a),
        (cast.clinician_b, cast.patient_b),
    ):
        response_record(actor=clinician, patient=patient, instrument=phq9, answers=[0] * 8 + [2])
    type(cast.director_a).objects.filter(pk=cast.director_a.pk).update(
        email="director-a@example.test"
    )
    from tests.factories import staff

    # level 1 adds the organization-wide director (else it would pass through)
    staff("program_director", organization=cast.org, username="org.director")
    now = timezone.now()
    SafetyAlert.objects.update(next_escalation_at=now - dt.timedelta(minutes=1))
    before = OutboxMessage.objects.count()

    results = race(lambda i: alerts_sweep(now=now))
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(r.escalated for r in results) == 2
    assert set(SafetyAlert.objects.values_list("escalation_level", flat=True)) == {1}
    assert AuditEvent.objects.filter(event="safety_alert.escalate").count() == 2
    escalations = OutboxMessage.objects.filter(key__contains=":1:")
    assert escalations.count() == OutboxMessage.objects.count() - before > 0
    assert escalations.filter(to_user=cast.director_a).count() == 1  # program A's alert


def test_not_safe_said_at_once_on_two_devices_makes_one_open_alert(cast):
    """A patient ticks "I do not feel safe" on their phone and in the portal at
    the same moment: one check-in for the day, one open alert, no error."""
    from openiop.measures.models import CheckIn, SafetyAlert
    from openiop.measures.services.checkins import checkin_record

    CheckIn.objects.create(
        organization=cast.org,
        patient=cast.patient_a,
        episode=cast.episode_a,
        day=timezone.localdate(),
        mood=5,
        cravings=2,
        source="staff",
    )
    results = race(
        lambda i: checkin_record(
            actor=cast.clinician_a, patient=cast.patient_a, mood=None, cravings=None, not_safe=True
        )
    )
    assert not [r for r in results if isinstance(r, Exception)], results
    assert CheckIn.objects.get().not_safe
    assert SafetyAlert.objects.filter(status="open").count() == 1
