"""The services behind the write routes, called directly by someone who holds
every staff role in program B only, on program A's records. A page or API
route looks its record up through `visible_to` first and answers 404, which
hides a service that forgot its own per-program check; here nothing is in
front of the service. Each call must be refused (PermissionDenied, or NotFound
for a lookup out of reach) and write nothing."""

import datetime as dt

import pytest
from django.utils import timezone

from openiop.accounts.models import Membership
from openiop.audit.models import AuditEvent, Outcome
from openiop.care import services as care
from openiop.care.plans.services import assessment, relapse, signing
from openiop.care.plans.services import plan as plan_services
from openiop.consent import services as consent_services
from openiop.core.errors import ApplicationError, NotFound, PermissionDenied
from openiop.measures.services import drugtests, responses
from openiop.organizations import services as organizations
from openiop.outcomes import services as outcomes
from openiop.patients import services as patients
from openiop.scheduling.services import availability, feeds, runs, sessions
from tests import interop_helpers as interop
from tests.factories import UserFactory
from tests.security.test_write_matrix import STAFF_ROLES, fingerprint

TODAY = timezone.localdate()
NEXT_MONDAY = TODAY - dt.timedelta(TODAY.weekday()) + dt.timedelta(7)


@pytest.fixture
def outsider(cast):
    user = UserFactory(username="every.role.in.b")
    for role in STAFF_ROLES:
        Membership.objects.create(
            user=user, organization=cast.org, program=cast.program_b, role=role
        )
    return user


def _phq9():
    from openiop.measures.models import Instrument

    return Instrument.objects.get(organization__isnull=True, code="phq9")


def _plan(c):
    from tests.plans_helpers import small_plan

    return small_plan(c.clinician_a, c.episode_a)


def _alert(c):
    from openiop.measures.models import SafetyAlert
    from openiop.measures.services.responses import response_record

    response_record(
        actor=c.clinician_a, patient=c.patient_a, instrument=_phq9(), answers=[0] * 8 + [1]
    )
    return SafetyAlert.objects.get()


def _consent(c):
    from tests.interop_helpers import consent_for, recipient

    return consent_for(c, recipient(c))


def _session(c):
    from openiop.scheduling.services.sessions import session_create
    from tests.scheduling_helpers import world

    w = world(c, patients=1, series=False)
    return session_create(
        actor=c.director_a,
        program=c.program_a,
        session_type=w.types["psychoeducation"],
        date=TODAY + dt.timedelta(days=1),
        start_time=dt.time(10),
        room=w.group_room,
        facilitator=c.clinician_a,
    )


def _recipient(c):
    return interop.recipient(c)


# (name, prepare(cast) -> object or None, call(actor, cast, prepared))
CALLS = [
    (
        "episode_update",
        None,
        lambda a, c, _: care.episode_update(actor=a, episode=c.episode_a, referral_source="court"),
    ),
    (
        "episode_discharge",
        None,
        lambda a, c, _: care.episode_discharge(
            actor=a, episode=c.episode_a, discharged_on=TODAY, reason="completed"
        ),
    ),
    (
        "patient_update",
        None,
        lambda a, c, _: patients.patient_update(
            actor=a, patient=c.patient_a, preferred_name="Changed"
        ),
    ),
    (
        "support_person_add",
        None,
        lambda a, c, _: patients.support_person_add(
            actor=a, patient=c.patient_a, name="Someone (synthetic)", relationship="friend"
        ),
    ),
    (
        "response_record",
        None,
        lambda a, c, _: responses.response_record(
            actor=a, patient=c.patient_a, instrument=_phq9(), answers=[1] * 9
        ),
    ),
    (
        "alert_acknowledge",
        _alert,
        lambda a, c, alert: responses.alert_acknowledge(
            actor=a, alert=alert, note="Called them (synthetic)."
        ),
    ),
    (
        "recovery_set",
        None,
        lambda a, c, _: drugtests.recovery_set(
            actor=a, patient=c.patient_a, started_on=TODAY, reason="admission"
        ),
    ),
    (
        "consent_record",
        _recipient,
        lambda a, c, rcpt: interop.consent_for(c, rcpt, actor=a),
    ),
    (
        "consent_revoke",
        _consent,
        lambda a, c, consent: consent_services.consent_revoke(actor=a, consent=consent),
    ),
    (
        "diagnosis_add",
        None,
        lambda a, c, _: assessment.diagnosis_add(actor=a, episode=c.episode_a, code="F41.1"),
    ),
    (
        "plan_start",
        None,
        lambda a, c, _: plan_services.plan_start(actor=a, episode=c.episode_a),
    ),
    (
        "plan_sign",
        _plan,
        lambda a, c, plan: signing.plan_sign(
            actor=a, plan=plan, revision=plan.revision, role="clinician"
        ),
    ),
    (
        "relapse_plan_save",
        None,
        lambda a, c, _: relapse.relapse_plan_save(
            actor=a,
            episode=c.episode_a,
            triggers="t",
            warning_signs="w",
            coping_strategies="c",
            people_to_call="988",
        ),
    ),
    (
        "availability_replace",
        None,
        lambda a, c, _: availability.availability_replace(actor=a, patient=c.patient_a, windows=[]),
    ),
    (
        "feed_create_for_patient",
        None,
        lambda a, c, _: feeds.feed_create_for_patient(actor=a, patient=c.patient_a),
    ),
    (
        "session_cancel",
        _session,
        lambda a, c, s: sessions.session_cancel(actor=a, session=s),
    ),
    (
        "roster_add",
        _session,
        lambda a, c, s: sessions.roster_add(actor=a, session=s, patient=c.patient_a),
    ),
    (
        "solver_run_start",
        None,
        lambda a, c, _: runs.solver_run_start(actor=a, program=c.program_a, week=NEXT_MONDAY),
    ),
    (
        "program_update",
        None,
        lambda a, c, _: organizations.program_update(actor=a, program=c.program_a, name="Renamed"),
    ),
    (
        "track_update",
        None,
        lambda a, c, _: organizations.track_update(actor=a, track=c.track_a, name="Renamed"),
    ),
    (
        "outcomes_publish",
        None,
        lambda a, c, _: outcomes.outcomes_publish(actor=a, program=c.program_a),
    ),
]


@pytest.mark.parametrize(("name", "prepare", "call"), CALLS, ids=[c[0] for c in CALLS])
def test_a_service_refuses_a_role_held_only_in_another_program(cast, outsider, name, prepare, call):
    prepared = prepare(cast) if prepare else None
    before = fingerprint()
    denials = AuditEvent.objects.filter(outcome=Outcome.DENIED).count()
    with pytest.raises(ApplicationError) as exc:
        call(outsider, cast, prepared)
    assert isinstance(exc.value, PermissionDenied | NotFound), f"{name}: {exc.value!r}"
    changed = sorted(k for k, v in fingerprint().items() if before.get(k) != v)
    assert not changed, f"{name} by an outsider changed {changed}"
    assert AuditEvent.objects.filter(outcome=Outcome.DENIED).count() == denials + 1, name
