"""Responses, safety alerts, one-time links, drug tests, check-ins and the
schedule of measures: the services, with the fixed cast."""

import datetime as dt

import pytest
from django.utils import timezone

from openiop.audit.models import AuditEvent
from openiop.core.errors import ApplicationError, Conflict, PermissionDenied
from openiop.measures import services
from openiop.measures.instruments import ensure_shipped
from openiop.measures.models import (
    AlertKind,
    AlertStatus,
    CheckIn,
    DrugTest,
    Instrument,
    LinkPurpose,
    PatientLink,
    RecoveryStart,
    Response,
    ResponseSource,
    SafetyAlert,
)
from openiop.measures.schedule import measures_due
from openiop.measures.scoring import AnswerError
from tests.factories import EpisodeFactory, staff

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def shipped(code):
    ensure_shipped()
    return Instrument.objects.get(organization__isnull=True, code=code)


def phq9(cast, answers, **kw):
    return services.response_record(
        actor=cast.clinician_a,
        patient=cast.patient_a,
        instrument=shipped("phq9"),
        answers=answers,
        **kw,
    )


def test_a_response_is_scored_saved_and_audited(cast):
    response = phq9(cast, [2, 2, 1, 1, 1, 1, 1, 1, 0])
    assert (response.total, response.band, response.scored) == (10, "moderate", True)
    assert response.episode == cast.episode_a
    assert response.source == ResponseSource.STAFF
    event = AuditEvent.objects.get(event="measure.response.create")
    assert event.patient_id == cast.patient_a.pk and event.actor == cast.clinician_a
    assert "answers" in event.changed_fields and "2" not in str(event.detail)


def test_bad_answers_write_nothing(cast):
    events = AuditEvent.objects.count()
    with pytest.raises(AnswerError):
        phq9(cast, [2, 2, 1, 1, 1, 1, 1, 9, 0])
    assert Response.objects.count() == 0 and SafetyAlert.objects.count() == 0
    assert AuditEvent.objects.count() == events


def test_a_clinician_of_another_program_cannot_record_for_the_patient(cast):
    with pytest.raises(PermissionDenied):
        services.response_record(
            actor=cast.clinician_b,
            patient=cast.patient_a,
            instrument=shipped("gad7"),
            answers=[0] * 7,
        )
    assert Response.objects.count() == 0
    assert AuditEvent.objects.filter(event="measure.record", outcome="denied").exists()


def test_a_future_date_is_refused(cast):
    with pytest.raises(ApplicationError) as exc:
        phq9(cast, [0] * 9, administered_on=TODAY + dt.timedelta(days=5))
    assert "administered_on" in exc.value.fields


def test_item_9_opens_an_alert_to_the_primary_clinician_and_the_director(cast):
    response = phq9(cast, [0, 0, 0, 0, 0, 0, 0, 0, 1])
    alert = SafetyAlert.objects.get()
    assert alert.response == response and alert.kind == AlertKind.SELF_HARM_ITEM
    assert alert.status == AlertStatus.OPEN and alert.program == cast.program_a
    assert set(alert.recipients.all()) == {cast.clinician_a, cast.director_a}
    assert alert.summary == 'Thoughts of death or self-harm (PHQ-9 item 9 above 0): "Several days"'
    assert AuditEvent.objects.get(event="safety_alert.raise").detail["recipients"] == 2


def test_an_alert_without_a_clinician_or_director_goes_to_the_programs_clinicians(cast):
    episode = EpisodeFactory(program=cast.program_b, primary_clinician=None)
    other = staff("clinician", program=cast.program_b, username="clin.b2")
    services.response_record(
        actor=cast.clinician_b,
        patient=episode.patient,
        instrument=shipped("phq9"),
        answers=[0] * 8 + [2],
    )
    alert = SafetyAlert.objects.get()
    assert set(alert.recipients.all()) == {cast.clinician_b, other}


def test_a_rise_into_the_severe_band_alerts_once(cast):
    phq9(cast, [2] * 8 + [0], administered_on=TODAY - dt.timedelta(days=14))  # 16
    assert not SafetyAlert.objects.exists()
    phq9(cast, [3] * 7 + [0, 0], administered_on=TODAY - dt.timedelta(days=7))  # 21
    alert = SafetyAlert.objects.get()
    assert alert.kind == AlertKind.SEVERE_BAND and "was Moderately severe" in alert.summary
    phq9(cast, [3] * 8 + [0])  # 24, still severe: no new alert
    assert SafetyAlert.objects.count() == 1


def test_acknowledging_needs_a_note_and_happens_once(cast):
    phq9(cast, [0] * 8 + [3])
    alert = SafetyAlert.objects.get()
    with pytest.raises(ApplicationError) as exc:
        services.alert_acknowledge(actor=cast.director_a, alert=alert, note="  ")
    assert "note" in exc.value.fields
    services.alert_acknowledge(actor=cast.director_a, alert=alert, note="Called; safety plan.")
    alert.refresh_from_db()
    assert alert.status == AlertStatus.ACKNOWLEDGED and alert.acknowledged_by == cast.director_a
    with pytest.raises(Conflict) as exc:
        services.alert_acknowledge(actor=cast.clinician_a, alert=alert, note="Also called.")
    assert "Test User" in exc.value.message or "director" in exc.value.message.lower()
    assert AuditEvent.objects.filter(event="safety_alert.acknowledge").count() == 1


def test_an_alert_cannot_be_acknowledged_from_another_program(cast):
    phq9(cast, [0] * 8 + [1])
    alert = SafetyAlert.objects.get()
    with pytest.raises(PermissionDenied):
        services.alert_acknowledge(actor=cast.clinician_b, alert=alert, note="Not my patient")
    assert SafetyAlert.objects.get().is_open


def test_marking_a_response_entered_in_error_keeps_it_and_its_alert(cast):
    response = phq9(cast, [0] * 8 + [1])
    services.response_mark_in_error(
        actor=cast.clinician_a, response=response, reason="Wrong patient"
    )
    response.refresh_from_db()
    assert response.status == "entered_in_error"
    assert SafetyAlert.objects.get().is_open  # never silently dropped


# one-time links -------------------------------------------------------------


def make_link(cast, **kw):
    kw.setdefault("purpose", LinkPurpose.QUESTIONNAIRE)
    kw.setdefault("instrument", shipped("phq9"))
    return services.link_create(actor=cast.clinician_a, patient=cast.patient_a, **kw)


def test_a_link_stores_only_the_hash_of_its_token(cast):
    link, token = make_link(cast)
    assert len(token) >= 40 and token not in link.token_hash
    assert PatientLink.objects.get().token_hash == services.links.token_hash(token)


def test_a_link_is_used_once_and_its_answers_raise_the_alert(cast):
    _link, token = make_link(cast)
    response = services.link_submit_answers(token=token, answers=[1] * 8 + [1])
    assert response.source == ResponseSource.PATIENT_LINK and response.created_by is None
    assert SafetyAlert.objects.get().response == response
    event = AuditEvent.objects.get(event="measure.response.create")
    assert event.actor is None and event.patient_id == cast.patient_a.pk
    assert event.actor_name == "patient (one-time link)"
    with pytest.raises(services.LinkUnavailable):
        services.link_submit_answers(token=token, answers=[0] * 9)
    assert Response.objects.count() == 1


def test_bad_answers_through_a_link_leave_it_usable(cast):
    _link, token = make_link(cast)
    with pytest.raises(AnswerError):
        services.link_submit_answers(token=token, answers=[0] * 8 + [7])
    assert PatientLink.objects.get().used_at is None
    services.link_submit_answers(token=token, answers=[0] * 9)
    assert PatientLink.objects.get().used_at is not None


def test_an_expired_revoked_or_unknown_link_gives_the_same_error(cast):
    link, token = make_link(cast, hours=1)
    PatientLink.objects.filter(pk=link.pk).update(
        expires_at=timezone.now() - dt.timedelta(minutes=1)
    )
    _other, token2 = make_link(cast)
    services.link_revoke(actor=cast.clinician_a, link=PatientLink.objects.get(pk=_other.pk))
    messages = set()
    for t in (token, token2, "no-such-token"):
        with pytest.raises(services.LinkUnavailable) as exc:
            services.link_submit_answers(token=t, answers=[0] * 9)
        messages.add(exc.value.message)
    assert len(messages) == 1
    assert Response.objects.count() == 0


def test_link_hours_are_bounded(cast):
    with pytest.raises(ApplicationError) as exc:
        make_link(cast, hours=500)
    assert "hours" in exc.value.fields


def test_a_check_in_link(cast):
    _link, token = make_link(cast, purpose=LinkPurpose.CHECKIN, instrument=None)
    checkin = services.link_submit_checkin(
        token=token, mood=4, cravings=7, triggers=["stress", "people"], note=""
    )
    assert (checkin.mood, checkin.cravings, checkin.source) == (4, 7, "link")
    with pytest.raises(services.LinkUnavailable):
        services.link_submit_checkin(token=token, mood=5, cravings=1, triggers=[], note="")


def test_a_signed_in_patient_checks_in_once_a_day(cast):
    for mood in (3, 6):
        services.checkin_record(
            actor=cast.patient_user, patient=cast.patient_a, mood=mood, cravings=2, source="portal"
        )
    assert CheckIn.objects.get().mood == 6
    with pytest.raises(ApplicationError):
        services.checkin_record(
            actor=cast.patient_user, patient=cast.patient_b, mood=5, cravings=0, source="portal"
        )
    with pytest.raises(ApplicationError) as exc:
        services.checkin_record(
            actor=cast.patient_user, patient=cast.patient_a, mood=11, cravings=0, source="portal"
        )
    assert "mood" in exc.value.fields


# drug tests -----------------------------------------------------------------


def test_a_positive_test_can_reset_the_recovery_start_date(cast):
    services.recovery_set(
        actor=cast.clinician_a,
        patient=cast.patient_a,
        started_on=TODAY - dt.timedelta(days=40),
        reason="admission",
    )
    test = services.drug_test_record(
        actor=cast.clinician_a,
        patient=cast.patient_a,
        collected_on=TODAY - dt.timedelta(days=2),
        status="collected",
        specimen="urine",
        results=[
            {"substance": "cocaine", "result": "positive"},
            {"substance": "buprenorphine", "result": "positive", "expected": True},
            {"substance": "cannabis", "result": "negative"},
        ],
        reset_recovery=True,
    )
    assert test.outcome == "positive" and test.positive_substances == ["cocaine"]
    current = RecoveryStart.objects.filter(patient=cast.patient_a).first()
    assert current.started_on == TODAY - dt.timedelta(days=2)
    assert current.reason == "positive_test" and current.drug_test == test


def test_an_expected_positive_is_negative_and_cannot_reset(cast):
    with pytest.raises(ApplicationError) as exc:
        services.drug_test_record(
            actor=cast.clinician_a,
            patient=cast.patient_a,
            collected_on=TODAY,
            status="collected",
            specimen="urine",
            results=[{"substance": "methadone", "result": "positive", "expected": True}],
            reset_recovery=True,
        )
    assert "reset_recovery" in exc.value.fields
    assert DrugTest.objects.count() == 0


@pytest.mark.parametrize(
    ("results", "outcome"),
    [
        ([{"substance": "cannabis", "result": "dilute"}], "dilute"),
        ([{"substance": "alcohol", "result": "refused"}], "refused"),
        ([{"substance": "alcohol", "result": "negative"}], "negative"),
    ],
)
def test_the_outcome_of_a_test(cast, results, outcome):
    test = services.drug_test_record(
        actor=cast.clinician_a,
        patient=cast.patient_a,
        collected_on=TODAY,
        status="collected",
        specimen="urine",
        results=results,
    )
    assert test.outcome == outcome


def test_a_missed_test_has_no_results_and_bad_tests_are_refused(cast):
    test = services.drug_test_record(
        actor=cast.clinician_a, patient=cast.patient_a, collected_on=TODAY, status="missed"
    )
    assert test.outcome == "missed"
    bad = [
        ({"status": "collected", "specimen": "urine", "results": []}, "results"),
        (
            {
                "status": "collected",
                "specimen": "",
                "results": [{"substance": "pcp", "result": "negative"}],
            },
            "specimen",
        ),
        (
            {
                "status": "collected",
                "specimen": "urine",
                "results": [{"substance": "tea", "result": "negative"}],
            },
            "results",
        ),
        (
            {
                "status": "collected",
                "specimen": "urine",
                "results": [{"substance": "pcp", "result": "maybe"}],
            },
            "results",
        ),
        ({"status": "missed", "results": [{"substance": "pcp", "result": "negative"}]}, "results"),
    ]
    for kwargs, field in bad:
        with pytest.raises(ApplicationError) as exc:
            services.drug_test_record(
                actor=cast.clinician_a, patient=cast.patient_a, collected_on=TODAY, **kwargs
            )
        assert field in exc.value.fields, kwargs
    assert DrugTest.objects.count() == 1


def test_intake_may_not_record_drug_tests(cast):
    with pytest.raises(PermissionDenied):
        services.drug_test_record(
            actor=cast.intake, patient=cast.patient_a, collected_on=TODAY, status="missed"
        )


# schedule of measures --------------------------------------------------------


def test_due_and_overdue_follow_the_programs_schedule(cast):
    services.schedule_set(
        actor=cast.director_a,
        program=cast.program_a,
        instrument=shipped("phq9"),
        at_admission=True,
        every_weeks=2,
        at_discharge=True,
    )
    # episode A was admitted 10 days ago: admission overdue (more than a week)
    due = measures_due(actor=cast.clinician_a)
    assert [(d.episode, d.occasion, d.status) for d in due] == [
        (cast.episode_a, "admission", "overdue")
    ]
    phq9(cast, [0] * 9, administered_on=cast.episode_a.admitted_on)
    # the two-week repeat falls in 4 days: due soon only from 3 days before
    assert measures_due(actor=cast.clinician_a) == []
    assert (
        measures_due(actor=cast.clinician_a, today=TODAY + dt.timedelta(days=1))[0].occasion
        == "week 2"
    )
    late = measures_due(actor=cast.clinician_a, today=TODAY + dt.timedelta(days=12))
    assert [(d.occasion, d.status) for d in late] == [("week 2", "overdue")]
    # program B has no schedule: its clinician sees nothing due
    assert measures_due(actor=cast.clinician_b) == []


def test_only_a_manager_sets_the_schedule_and_weeks_are_bounded(cast):
    with pytest.raises(PermissionDenied):
        services.schedule_set(
            actor=cast.clinician_a,
            program=cast.program_a,
            instrument=shipped("phq9"),
            at_admission=True,
            every_weeks=None,
            at_discharge=False,
        )
    with pytest.raises(ApplicationError) as exc:
        services.schedule_set(
            actor=cast.director_a,
            program=cast.program_a,
            instrument=shipped("phq9"),
            at_admission=True,
            every_weeks=40,
            at_discharge=False,
        )
    assert "every_weeks" in exc.value.fields


def test_an_organization_adds_its_own_instrument(cast):
    definition = services.definition_from_form(
        code="sleep5",
        short_name="SLEEP-5",
        name="Five sleep questions (test)",
        timeframe="Last week",
        items_text="a\nb\nc\nd\ne",
        options_text="0 = Never\n1 = Sometimes\n2 = Often",
        bands_text="0-3 Fine\n4-7 Some trouble\n8-10 Much trouble",
        reverse_text="2",
        max_missing=1,
        prorate=True,
        alert_top_band=True,
        licence="Written by the test clinic",
        source="Test clinic 2026",
    )
    instrument = services.instrument_create(
        actor=cast.admin, organization=cast.org, definition=definition
    )
    response = services.response_record(
        actor=cast.clinician_a,
        patient=cast.patient_a,
        instrument=instrument,
        answers=[2, 0, 2, 2, 2],
    )
    assert (response.total, response.band) == (10, "much_trouble")  # item 2 reversed: 0 -> 2
    assert SafetyAlert.objects.get().kind == AlertKind.SEVERE_BAND
    with pytest.raises(ApplicationError) as exc:
        services.instrument_create(
            actor=cast.admin, organization=cast.org, definition={**definition, "code": "phq9"}
        )
    assert "code" in exc.value.fields
    broken = {**definition, "code": "sleep6", "bands": definition["bands"][:2]}
    with pytest.raises(ApplicationError) as exc:
        services.instrument_create(actor=cast.admin, organization=cast.org, definition=broken)
    assert "highest total" in exc.value.message
    with pytest.raises(PermissionDenied):
        services.instrument_create(
            actor=cast.clinician_a, organization=cast.org, definition={**definition, "code": "x7"}
        )


EVERY_KIND = frozenset({"response", "alert", "drug_test", "checkin"})
NOTHING = frozenset()
# What each member of the cast must see of patient A (program A) and of patient B
# (program B), written from the fixture and the permission registry: program A's
# care team sees all of A and nothing of B, program B's clinician the reverse; the
# organization-wide intake coordinator sees questionnaires (measure.view) and
# safety alerts (alert.view: intake screens people before admission) of both,
# but not drug tests or check-ins; billing, the auditor and the administrator
# see none of it.
SEES = {
    "clinician_a": (EVERY_KIND, NOTHING),
    "director_a": (EVERY_KIND, NOTHING),
    "prescriber_a": (EVERY_KIND, NOTHING),
    "clinician_b": (NOTHING, EVERY_KIND),
    "intake": (frozenset({"response", "alert"}), frozenset({"response", "alert"})),
    "readonly_a": (NOTHING, NOTHING),
    "auditor": (NOTHING, NOTHING),
    "admin": (NOTHING, NOTHING),
}


def record_every_kind(clinician, patient) -> dict:
    """One row of each kind about the patient: a PHQ-9 whose item 9 raises an
    alert, a drug test and a check-in."""
    response = services.response_record(
        actor=clinician, patient=patient, instrument=shipped("phq9"), answers=[0] * 8 + [1]
    )
    return {
        "response": response,
        "alert": SafetyAlert.objects.get(response=response),
        "drug_test": services.drug_test_record(
            actor=clinician, patient=patient, collected_on=TODAY, status="missed"
        ),
        "checkin": services.checkin_record(actor=clinician, patient=patient, mood=5, cravings=1),
    }


@pytest.mark.parametrize("who", list(SEES))
def test_each_member_of_the_cast_sees_the_measures_of_exactly_their_patients(cast, who):
    models = {"response": Response, "alert": SafetyAlert, "drug_test": DrugTest, "checkin": CheckIn}
    rows_a = record_every_kind(cast.clinician_a, cast.patient_a)
    rows_b = record_every_kind(cast.clinician_b, cast.patient_b)
    actor = getattr(cast, who)
    sees_a, sees_b = SEES[who]
    for name, patient, rows, kinds in (
        ("patient A", cast.patient_a, rows_a, sees_a),
        ("patient B", cast.patient_b, rows_b, sees_b),
    ):
        for kind, model in models.items():
            expected = {rows[kind]} if kind in kinds else set()
            where = (who, name, kind)
            assert set(model.objects.for_patient(actor, patient)) == expected, where
            listed = model.objects.visible_to(actor, "view").filter(patient=patient)
            assert set(listed) == expected, where
