"""The safety net as an outsider found it: who can open a queue alert, who it
goes to when the organization has no organization-wide clinical staff, what an
escalation that adds nobody says, who may be the on-call contact, and what
people are told. Each test reproduces a finding of the outside check first."""

import datetime as dt

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from openiop.accounts.models import Membership
from openiop.core.errors import ApplicationError
from openiop.measures import services
from openiop.measures.models import AlertStep, Instrument, RecipientReason, SafetyAlert
from openiop.measures.services.alerts import alerts_sweep, route
from openiop.messaging.models import OutboxMessage
from openiop.messaging.services import outbox_deliver
from openiop.organizations.services import organization_set_on_call
from tests.factories import PatientFactory, staff
from tests.test_safety_net import item9, with_email


def walk_in_alert(cast, *, before=lambda: None):
    """A walk-in screened by intake answers item 9 on the phone (after `before`)."""
    walk_in = PatientFactory(organization=cast.org)
    link, token = services.link_create(
        actor=cast.intake,
        patient=walk_in,
        purpose="questionnaire",
        instrument=Instrument.objects.get(organization__isnull=True, code="phq9"),
    )
    before()
    services.link_submit_answers(token=token, answers=[0] * 8 + [2])
    return SafetyAlert.objects.get(patient=walk_in)


def reasons(alert) -> dict:
    return {r.user: r.reason for r in alert.routing.select_related("user")}


# who a queue alert reaches and who can open it ---------------------------------------------


def test_without_organization_wide_clinical_staff_a_walk_in_reaches_program_staff(cast):
    """Found: the alert went to the administrators only, who cannot open it."""
    alert = walk_in_alert(
        cast, before=lambda: Membership.objects.filter(user=cast.intake).update(is_active=False)
    )
    told = reasons(alert)
    assert cast.admin not in told
    assert told[cast.director_a] == RecipientReason.ORGANIZATION_QUEUE
    for user in told:
        client = Client()
        client.force_login(user)
        assert client.get(f"/measures/alerts/{alert.uuid}/").status_code == 200, user.username


def test_every_clinical_dashboard_of_the_organization_shows_the_queue(cast):
    """Found: program directors and clinicians got 404 on a queue alert."""
    alert = walk_in_alert(cast)
    assert alert.on_queue
    for who in ("clinician_b", "director_a", "prescriber_a"):
        client = cast.client(who)
        assert client.get(f"/measures/alerts/{alert.uuid}/").status_code == 200, who
        assert str(alert.uuid).encode() in client.get("/").content, who
    # not the non-clinical roles, and not a patient of the program's own (not on the queue)
    for who in ("readonly_a", "auditor", "admin"):
        assert cast.client(who).get(f"/measures/alerts/{alert.uuid}/").status_code in (403, 404)
    own = item9(cast, cast.patient_a)
    assert not own.on_queue
    assert cast.client("clinician_b").get(f"/measures/alerts/{own.uuid}/").status_code == 404


def test_program_staff_can_acknowledge_a_queue_alert(cast):
    alert = walk_in_alert(cast)
    services.alert_acknowledge(
        actor=cast.clinician_b, alert=alert, note="Called, safe (synthetic)."
    )
    alert.refresh_from_db()
    assert alert.acknowledged_by == cast.clinician_b


def test_queue_alerts_of_another_organization_stay_hidden(cast):
    from tests.factories import OrganizationFactory, ProgramFactory

    other = OrganizationFactory(name="Other Org")
    stranger = staff("clinician", program=ProgramFactory(organization=other), username="far")
    alert = walk_in_alert(cast)
    assert SafetyAlert.objects.visible_to(stranger, "view").filter(pk=alert.pk).count() == 0


def test_with_no_clinical_staff_at_all_administrators_are_told_to_staff_it(cast):
    """The last resort: nobody holds a clinical role. The administrators are
    emailed to put someone on it (they cannot open the alert)."""
    Membership.objects.exclude(role__in=["administrator", "auditor"]).update(is_active=False)
    routing = route(cast.patient_a)
    assert routing.recipients == [(cast.admin.pk, RecipientReason.NO_CLINICAL_STAFF)]


def test_the_patient_is_not_told_a_clinician_was_alerted_when_none_was(cast, client):
    link, token = services.link_create(
        actor=cast.clinician_a,
        patient=cast.patient_a,
        purpose="questionnaire",
        instrument=Instrument.objects.get(organization__isnull=True, code="phq9"),
    )
    Membership.objects.exclude(role__in=["administrator", "auditor"]).update(is_active=False)
    with_email(cast.admin)
    page = client.post(f"/m/{token}/", {f"item_{i}": "1" for i in range(1, 10)})
    text = page.content.decode()
    assert "could not alert a clinician" in text
    assert "988" in text
    assert "care team ha" not in text  # never "your care team has been told"
    outbox_deliver()
    [message] = mail.outbox
    assert "no one" in message.body.lower() and "clinical role" in message.body
    assert cast.patient_a.legal_family_name not in message.body


def test_the_patient_is_told_how_many_people_were_alerted(cast, client):
    link, token = services.link_create(
        actor=cast.clinician_a,
        patient=cast.patient_a,
        purpose="questionnaire",
        instrument=Instrument.objects.get(organization__isnull=True, code="phq9"),
    )
    page = client.post(f"/m/{token}/", {f"item_{i}": "1" for i in range(1, 10)})
    assert b"2 people of your care team have been alerted" in page.content


# escalation that adds nobody ------------------------------------------------------------------


def test_a_level_that_adds_nobody_is_skipped_and_shown_as_such(cast):
    """Found: with the directors already told, "escalated to the directors" was
    shown as a step taken; and the people already on it were emailed "you are
    the on-call contact"."""
    with_email(cast.clinician_a, cast.director_a)
    oncall = staff("clinician", organization=cast.org, username="oncall")
    with_email(oncall)
    organization_set_on_call(actor=cast.admin, organization=cast.org, user=oncall, email="")
    alert = item9(cast)  # the clinician and the director
    later = alert.next_escalation_at + dt.timedelta(seconds=1)
    assert alerts_sweep(now=later).escalated == 1
    alert.refresh_from_db()
    assert alert.escalation_level == 2  # straight to the on-call contact
    steps = list(AlertStep.objects.filter(alert=alert).order_by("level"))
    assert [(s.level, s.added) for s in steps] == [(1, 0), (2, 1)]
    outbox_deliver(now=later)
    to = {m.to[0]: m.body for m in mail.outbox}
    assert "on-call contact" in to[oncall.email]
    for person in (cast.clinician_a, cast.director_a):
        first_line = to[person.email].split("\n")[0]
        assert first_line.startswith("Reminder") and "you are the" not in first_line
    page = cast.client("clinician_a").get(f"/measures/alerts/{alert.uuid}/").content.decode()
    assert "nobody new to tell" in page


def test_without_an_on_call_contact_the_last_step_says_so(cast):
    with_email(cast.clinician_a)
    alert = item9(cast)
    now = alert.next_escalation_at + dt.timedelta(seconds=1)
    alerts_sweep(now=now)
    alert.refresh_from_db()
    assert alert.escalation_level == 2 and alert.next_escalation_at is None
    page = cast.client("clinician_a").get(f"/measures/alerts/{alert.uuid}/").content.decode()
    assert "no on-call contact is set" in page
    assert "every step taken" not in page


def test_a_first_message_says_why_each_person_gets_it(cast):
    with_email(cast.clinician_a, cast.director_a, cast.intake)
    item9(cast)
    walk_in_alert(cast)
    outbox_deliver()
    bodies = [(m.to[0], m.body.split("\n")[0]) for m in mail.outbox]
    assert any(to == cast.clinician_a.email and "primary clinician" in b for to, b in bodies)
    assert any(to == cast.director_a.email and "director of the program" in b for to, b in bodies)
    assert any(to == cast.intake.email and "safety queue" in b for to, b in bodies)


# the on-call contact -----------------------------------------------------------------------


@pytest.mark.parametrize("who", ["readonly_a", "auditor", "director_a", "admin"])
def test_the_on_call_contact_must_be_able_to_open_every_alert(cast, who):
    """Found: anyone could be set (billing, an auditor, a director of one
    program), and only in the Django admin."""
    with pytest.raises(ApplicationError) as exc:
        organization_set_on_call(
            actor=cast.admin, organization=cast.org, user=getattr(cast, who), email=""
        )
    assert "on_call_user" in exc.value.fields
    cast.org.refresh_from_db()
    assert cast.org.on_call_user is None


def test_only_organization_wide_managers_set_the_on_call_contact(cast):
    from openiop.core.errors import PermissionDenied

    for who in (cast.clinician_a, cast.director_a, cast.intake):
        with pytest.raises(PermissionDenied):
            organization_set_on_call(actor=who, organization=cast.org, user=cast.intake, email="")


def test_the_safety_settings_page_sets_the_on_call_contact(cast):
    client = cast.client("admin")
    page = client.get("/organization/safety/")
    assert page.status_code == 200
    text = page.content.decode()
    assert cast.intake.get_display_name() in text
    assert cast.readonly_a.get_display_name() not in text
    done = client.post(
        "/organization/safety/",
        {"on_call_user": str(cast.intake.uuid), "on_call_email": "pager@example.test"},
    )
    assert done.status_code == 302
    cast.org.refresh_from_db()
    assert cast.org.on_call_user == cast.intake and cast.org.on_call_email == "pager@example.test"
    bad = client.post("/organization/safety/", {"on_call_user": "", "on_call_email": "not mail"})
    assert bad.status_code == 200 and b"email" in bad.content
    cast.org.refresh_from_db()
    assert cast.org.on_call_email == "pager@example.test"
    assert cast.client("clinician_a").get("/organization/safety/").status_code == 403


def test_an_on_call_contact_who_lost_the_role_is_not_paged(cast):
    organization_set_on_call(actor=cast.admin, organization=cast.org, user=cast.intake, email="")
    Membership.objects.filter(user=cast.intake).update(role="billing")
    alert = item9(cast)
    alerts_sweep(now=alert.next_escalation_at + dt.timedelta(seconds=1))
    assert cast.intake not in alert.recipients.all()


# the check-in ---------------------------------------------------------------------------------


def test_i_do_not_feel_safe_alone_is_accepted(cast, client):
    """Found: ticking only "I do not feel safe" was refused until mood and
    cravings were answered."""
    link, token = services.link_create(
        actor=cast.clinician_a, patient=cast.patient_a, purpose="checkin"
    )
    page = client.post(f"/m/{token}/", {"not_safe": "on"})
    assert page.status_code == 200
    assert b"You told us you do not feel safe right now" in page.content
    alert = SafetyAlert.objects.get()
    assert alert.checkin.mood is None and alert.checkin.cravings is None


def test_mood_and_cravings_are_still_asked_for_on_an_ordinary_check_in(cast, client):
    link, token = services.link_create(
        actor=cast.clinician_a, patient=cast.patient_a, purpose="checkin"
    )
    page = client.post(f"/m/{token}/", {"mood": "5"})
    assert b"cravings" in page.content and not SafetyAlert.objects.exists()
    assert not OutboxMessage.objects.exists()


def test_the_not_safe_box_has_a_label(cast, client):
    link, token = services.link_create(
        actor=cast.clinician_a, patient=cast.patient_a, purpose="checkin"
    )
    text = client.get(f"/m/{token}/").content.decode()
    assert '<label for="id_not_safe">' in text


def test_a_clinical_attention_flag_is_not_called_a_safety_alert_to_staff(cast):
    client = cast.client("clinician_a")
    instrument = Instrument.objects.get(organization__isnull=True, code="phq9")
    data = {f"item_{i}": "3" for i in range(1, 9)} | {"item_9": "0"}
    data |= {"instrument_code": instrument.code, "administered_on": timezone.localdate()}
    page = client.post(
        f"/measures/patients/{cast.patient_a.uuid}/responses/new/", data, follow=True
    )
    text = page.content.decode().lower()
    assert "flagged for clinical attention" in text
    assert "safety alert" not in text


# what the answer forms refuse, and how to correct it on a phone ------------------------------


def test_an_entirely_blank_form_is_refused_and_raises_nothing(cast, client):
    """Found: a PHQ-9 with no answer at all was saved and paged the team (item 9
    blank). Nothing was answered, so nothing is saved."""
    link, token = services.link_create(
        actor=cast.clinician_a,
        patient=cast.patient_a,
        purpose="questionnaire",
        instrument=Instrument.objects.get(organization__isnull=True, code="phq9"),
    )
    page = client.post(f"/m/{token}/", {"item_1": ""})  # as a browser sends it
    assert b"Answer at least one question" in page.content
    assert not SafetyAlert.objects.exists()
    link.refresh_from_db()
    assert link.used_at is None


def test_a_skipped_audit_item_names_the_rule_the_answers_triggered_and_can_be_cleared(cast, client):
    """AUDIT (Babor et al., WHO 2001, p. 17): "never" to question 1 skips to
    questions 9 and 10. Found: an answer to item 4 was refused quoting the other
    rule ("questions 2 and 3 both score 0") although 2 and 3 were answered; on
    a phone a ticked radio could not be cleared."""
    link, token = services.link_create(
        actor=cast.clinician_a,
        patient=cast.patient_a,
        purpose="questionnaire",
        instrument=Instrument.objects.get(organization__isnull=True, code="audit"),
    )
    data = {"item_1": "0", "item_2": "2", "item_3": "1", "item_4": "2", "item_9": "0"}
    data["item_10"] = "0"
    text = client.post(f"/m/{token}/", data).content.decode()
    assert "Never drinks (question 1)" in text
    assert "Questions 2 and 3 both score 0" not in text
    assert "Leave unanswered" in text
    for item in ("2", "3", "4"):
        data[f"item_{item}"] = ""
    assert b"Thank you" in client.post(f"/m/{token}/", data).content
