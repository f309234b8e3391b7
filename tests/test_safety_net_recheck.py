"""The safety net's second outside check: a second "not safe" the same day, the
portal check-in, the alerts API with check-in alerts, who keeps seeing a queue
alert once answered, people who left, and what the messages and the alert
page say. Each test reproduces a finding first."""

import datetime as dt

from django.core import mail
from django.test import Client

from openiop.accounts.models import Membership
from openiop.measures import services
from openiop.measures.models import AlertKind, AlertStatus, CheckIn, SafetyAlert
from openiop.measures.services.alerts import alerts_sweep
from openiop.messaging.models import OutboxMessage
from openiop.messaging.services import outbox_deliver
from openiop.organizations.services import organization_set_on_call
from tests.factories import OrganizationFactory, PatientFactory, staff
from tests.test_safety_net import item9, with_email


def not_safe_by_link(cast, client, **extra):
    _link, token = services.link_create(
        actor=cast.clinician_a, patient=cast.patient_a, purpose="checkin"
    )
    return client.post(f"/m/{token}/", {"not_safe": "on", **extra})


def test_not_safe_again_after_an_acknowledgement_raises_a_new_alert(cast, client):
    """Found (critical): the second "not safe" of the day raised nothing, and the
    patient was told people had been alerted (counting the answered alert)."""
    with_email(cast.clinician_a, cast.director_a)
    not_safe_by_link(cast, client)
    first = SafetyAlert.objects.get()
    services.alert_acknowledge(
        actor=cast.clinician_a, alert=first, note="Called; safe (synthetic)."
    )
    page = not_safe_by_link(cast, client, note="It is worse tonight")
    assert b"2 people of your care team have been alerted" in page.content
    second = SafetyAlert.objects.get(status=AlertStatus.OPEN)
    assert second != first and second.checkin == first.checkin
    assert OutboxMessage.objects.filter(topic_id=str(second.uuid)).count() == 2


def test_not_safe_while_the_alert_is_open_adds_no_second_alert(cast, client):
    not_safe_by_link(cast, client)
    page = not_safe_by_link(cast, client)
    assert SafetyAlert.objects.count() == 1
    assert b"have been alerted" in page.content


def test_a_calmer_check_in_later_the_same_day_keeps_not_safe(cast):
    """Found: a later check-in overwrote "not safe"; the alert pointed at a
    check-in that no longer said it."""
    services.checkin_record(
        actor=cast.clinician_a, patient=cast.patient_a, mood=None, cravings=None, not_safe=True
    )
    services.checkin_record(actor=cast.clinician_a, patient=cast.patient_a, mood=7, cravings=1)
    checkin = CheckIn.objects.get()
    assert checkin.not_safe and (checkin.mood, checkin.cravings) == (7, 1)
    assert SafetyAlert.objects.count() == 1


def test_the_portal_check_in_shows_the_crisis_message(cast):
    """Found: a signed-in patient saying "not safe" saw no crisis message."""
    client = cast.client("patient_user")
    page = client.post("/measures/me/check-in/", {"not_safe": "on"}).content.decode()
    assert "You told us you do not feel safe right now" in page
    assert 'href="tel:988"' in page and 'href="tel:911"' in page
    assert "2 people of your care team have been alerted" in page


def test_without_an_email_address_the_patient_is_not_told_email_was_sent(cast, client):
    page = not_safe_by_link(cast, client).content.decode()
    assert "alerted on their screens" in page and "by email" not in page


def test_the_alerts_api_lists_and_acknowledges_check_in_alerts(cast):
    """Found: 500 for an alert with no questionnaire behind it; the
    acknowledgement was saved and then answered 500."""
    from openiop.accounts.services import api_token_create

    services.checkin_record(
        actor=cast.clinician_a, patient=cast.patient_a, mood=2, cravings=8, not_safe=True
    )
    alert = SafetyAlert.objects.get()
    _t, raw = api_token_create(actor=cast.clinician_a, name="pager")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    listed = Client().get("/api/v1/alerts?status=all", **headers)
    assert listed.status_code == 200
    [row] = listed.json()["results"]
    assert row["response"] is None and row["tier"] == "safety"
    done = Client().post(
        f"/api/v1/alerts/{alert.uuid}/acknowledge",
        {"note": "Called; safe (synthetic)."},
        content_type="application/json",
        **headers,
    )
    assert done.status_code == 200 and done.json()["status"] == "acknowledged"


def test_an_answered_queue_alert_is_no_longer_everyones(cast):
    """Found: a walk-in's details and the acknowledgement note stayed readable
    to every clinician of the organization."""
    walk_in = PatientFactory(organization=cast.org)
    alert = item9(cast, walk_in, actor=cast.intake)
    client = cast.client("clinician_b")
    assert client.get(f"/measures/alerts/{alert.uuid}/").status_code == 200
    services.alert_acknowledge(actor=cast.intake, alert=alert, note="Seen at intake (synthetic).")
    assert client.get(f"/measures/alerts/{alert.uuid}/").status_code == 404
    assert cast.client("intake").get(f"/measures/alerts/{alert.uuid}/").status_code == 200


def test_program_staff_on_a_queue_alert_get_no_dead_links(cast):
    walk_in = PatientFactory(organization=cast.org)
    alert = item9(cast, walk_in, actor=cast.intake)
    page = cast.client("clinician_b").get(f"/measures/alerts/{alert.uuid}/").content.decode()
    assert f"/measures/responses/{alert.response.uuid}/" not in page
    assert f"/measures/patients/{walk_in.uuid}/" not in page
    assert "total 2" in page  # the score acted on is on the page
    listed = cast.client("clinician_b").get("/measures/alerts/").content.decode()
    assert f"/patients/{walk_in.uuid}/" not in listed


def test_someone_who_left_is_not_paged_again(cast):
    """Found: a recipient whose role ended kept getting reminders they could
    not open."""
    with_email(cast.clinician_a, cast.director_a)
    staff("program_director", organization=cast.org, username="org.dir")
    alert = item9(cast)
    Membership.objects.filter(user=cast.director_a).update(is_active=False)
    later = alert.next_escalation_at + dt.timedelta(seconds=1)
    alerts_sweep(now=later)
    level_one = OutboxMessage.objects.filter(key__startswith=f"alert:{alert.uuid}:1:")
    assert {m.to_user for m in level_one} == {cast.clinician_a}


def test_the_on_call_person_already_told_is_told_they_are_on_call(cast):
    with_email(cast.clinician_a, cast.director_a, cast.intake)
    organization_set_on_call(actor=cast.admin, organization=cast.org, user=cast.intake, email="")
    walk_in = PatientFactory(organization=cast.org)
    alert = item9(cast, walk_in, actor=cast.intake)  # intake is on the queue
    alerts_sweep(now=alert.next_escalation_at + dt.timedelta(seconds=1))  # the directors
    alert.refresh_from_db()
    alerts_sweep(now=alert.next_escalation_at + dt.timedelta(seconds=1))  # on call
    alert.refresh_from_db()
    assert alert.escalation_level == 2
    outbox_deliver(now=alert.updated_at + dt.timedelta(seconds=1))
    last = [m for m in mail.outbox if m.to == [cast.intake.email]][-1]
    assert "you are the organization's on-call contact" in last.body.split("\n")[0]


def test_the_alert_page_does_not_say_people_already_had_it_when_there_are_none(cast):
    """Found: "the directors already had it" with no director anywhere."""
    from openiop.accounts.models import Membership as M

    M.objects.filter(user=cast.director_a).update(is_active=False)
    alert = item9(cast)
    alerts_sweep(now=alert.next_escalation_at + dt.timedelta(seconds=1))
    page = cast.client("clinician_a").get(f"/measures/alerts/{alert.uuid}/").content.decode()
    assert "no director in this program or the organization" in page
    assert "already had it" not in page


def test_with_only_administrators_every_message_says_what_to_do(cast):
    Membership.objects.exclude(role__in=["administrator", "auditor", "billing"]).update(
        is_active=False
    )
    with_email(cast.admin)
    cast.org.on_call_email = "on-call@example.test"
    cast.org.save()
    services.checkin_record(
        actor=cast.patient_user,
        patient=cast.patient_a,
        mood=None,
        cravings=None,
        not_safe=True,
        source="portal",
    )
    alert = SafetyAlert.objects.get(kind=AlertKind.CHECKIN_CRISIS)
    alerts_sweep(now=alert.next_escalation_at + dt.timedelta(seconds=1))
    for message in OutboxMessage.objects.filter(topic_id=str(alert.uuid)):
        if message.to_user_id == cast.admin.pk:
            assert "clinical role" in message.body and "ask a colleague" not in message.body
        else:
            assert "nobody in the organization holds a clinical role" in message.body or (
                message.key.endswith(":2:on-call")
            )


def test_an_administrator_of_two_organizations_manages_both(cast):
    other = OrganizationFactory(name="Second Org")
    Membership.objects.create(user=cast.admin, role="administrator", organization=other)
    client = cast.client("admin")
    page = client.get(f"/organization/safety/?organization={other.uuid}").content.decode()
    assert "Safety net - Second Org" in page and "Test Org A" in page


def test_the_check_in_help_text_is_announced_and_the_box_comes_first(cast, client):
    _link, token = services.link_create(
        actor=cast.clinician_a, patient=cast.patient_a, purpose="checkin"
    )
    page = client.get(f"/m/{token}/").content.decode()
    assert 'aria-describedby="id_not_safe_helptext"' in page
    assert 'id="id_not_safe_helptext"' in page
    assert page.index('name="not_safe"') < page.index('name="mood"')
