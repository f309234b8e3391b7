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


# the second outside check ------------------------------------------------------------------


def test_not_safe_goes_through_even_when_another_answer_has_a_mistake(cast, client):
    """Found (critical): a note over 500 characters (a browser counts a line
    break as one, sends two) refused the whole check-in: no alert."""
    note = "\r\n".join(["x" * 49] * 10)  # 500 in the browser, 508 sent
    page = not_safe_by_link(cast, client, note=note, mood="11")  # mood out of range too
    assert b"You told us you do not feel safe right now" in page.content
    assert b"without the answers that had a mistake" in page.content
    alert = SafetyAlert.objects.get()
    assert alert.checkin.not_safe and alert.checkin.mood is None


def test_line_breaks_count_once(cast, client):
    note = "\r\n".join(["x" * 49] * 10)
    not_safe_by_link(cast, client, note=note)
    assert len(CheckIn.objects.get().note) == 499


def test_not_safe_is_never_refused_by_the_guessing_limit(cast, client, settings):
    """Found: 30 requests a minute per address (a clinic's Wi-Fi) and the next
    "not safe" got a 429. Only misses count now."""
    from openiop.core.ratelimit import reset

    reset()
    settings.RATE_LIMITS = {"patient-link": "3/minute"}
    for i in range(5):
        client.get(f"/m/not-a-token-{i}/")
    assert client.get("/m/not-a-token-x/").status_code == 429
    page = not_safe_by_link(cast, client)
    assert page.status_code == 200 and SafetyAlert.objects.count() == 1
    reset()


def test_an_unavailable_link_says_nothing_was_sent_and_gives_the_numbers(cast, client):
    text = client.post("/m/expired-or-unknown/", {"not_safe": "on"}).content.decode()
    assert "not sent" in text and 'href="tel:988"' in text and 'href="tel:911"' in text


def test_a_walk_ins_check_in_is_dated_where_the_clinic_is(cast, settings, monkeypatch):
    """Found: 23:59 Pacific was recorded as the next day (UTC) for someone
    with no program."""
    from django.utils import timezone

    settings.TIME_ZONE = "UTC"  # as the server is
    monkeypatch.setattr(timezone, "now", lambda: dt.datetime(2026, 12, 3, 7, 59, tzinfo=dt.UTC))
    from openiop.measures.services.common import local_today

    walk_in = PatientFactory(organization=cast.org)
    assert local_today(None, walk_in) == dt.date(2026, 12, 2)


def test_a_calmer_check_in_keeps_what_was_written_with_not_safe(cast):
    services.checkin_record(
        actor=cast.clinician_a,
        patient=cast.patient_a,
        mood=3,
        cravings=5,
        note="worse tonight",
        not_safe=True,
    )
    services.checkin_record(actor=cast.clinician_a, patient=cast.patient_a, mood=8, cravings=0)
    checkin = CheckIn.objects.get()
    assert checkin.not_safe and checkin.note == "worse tonight"


def test_links_stay_while_the_patient_is_in_care_in_another_program(cast):
    from openiop.care.models import Episode
    from openiop.care.services import episode_discharge
    from openiop.measures.models import PatientLink
    from tests.factories import EpisodeFactory

    EpisodeFactory(
        patient=cast.patient_a, program=cast.program_b, primary_clinician=cast.clinician_b
    )
    link, _t = services.link_create(
        actor=cast.clinician_a, patient=cast.patient_a, purpose="checkin"
    )
    Episode.objects.filter(pk=cast.episode_a.pk).update(admitted_on=dt.date(2026, 10, 1))
    episode_discharge(
        actor=cast.director_a,
        episode=Episode.objects.get(pk=cast.episode_a.pk),
        discharged_on=dt.date(2026, 11, 30),
        reason="completed",
    )
    assert PatientLink.objects.get(pk=link.pk).revoked_at is None


def test_the_safety_net_page_never_saves_into_another_organization(cast):
    client = cast.client("admin")
    bogus = "/organization/safety/?organization=00000000-0000-0000-0000-000000000000"
    assert client.post(bogus, {"on_call_email": "x@example.test"}).status_code == 404
    cast.org.refresh_from_db()
    assert cast.org.on_call_email == ""


def test_an_over_long_acknowledgement_note_is_refused_not_cut(cast):
    from openiop.core.errors import ApplicationError

    alert = item9(cast)
    try:
        services.alert_acknowledge(actor=cast.clinician_a, alert=alert, note="x" * 2001)
    except ApplicationError as exc:
        assert "note" in exc.fields
    else:
        raise AssertionError("a 2,001-character note was accepted")
    alert.refresh_from_db()
    assert alert.is_open


# the third outside check ---------------------------------------------------------------------


def test_a_link_answer_needs_no_cookie(cast):
    """Found: without the CSRF cookie (cookies blocked, some in-app browsers)
    "not safe" was refused with Django's bare 403. The token in the address is
    the secret; the link page needs no cookie."""
    strict = Client(enforce_csrf_checks=True)
    _link, token = services.link_create(
        actor=cast.clinician_a, patient=cast.patient_a, purpose="checkin"
    )
    page = strict.post(f"/m/{token}/", {"not_safe": "on"})
    assert page.status_code == 200 and SafetyAlert.objects.count() == 1


def test_a_stale_portal_form_says_nothing_was_sent_with_the_numbers(cast):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(cast.patient_user)
    page = strict.post("/measures/me/check-in/", {"not_safe": "on"})
    text = page.content.decode()
    assert page.status_code == 403 and "not sent" in text and 'href="tel:988"' in text


def test_a_signed_out_patient_is_told_nothing_was_sent(cast):
    page = Client().post("/measures/me/check-in/", {"not_safe": "on"}, follow=True)
    text = page.content.decode()
    assert "not sent" in text and 'href="tel:911"' in text


def test_a_second_tap_is_not_told_nothing_was_sent(cast, client):
    _link, token = services.link_create(
        actor=cast.clinician_a, patient=cast.patient_a, purpose="checkin"
    )
    client.post(f"/m/{token}/", {"not_safe": "on"})
    again = client.post(f"/m/{token}/", {"not_safe": "on"}).content.decode()
    assert "If you sent your answers with it a moment ago, they were received" in again


def test_over_the_guessing_limit_the_page_gives_the_numbers(cast, client, settings):
    from openiop.core.ratelimit import reset

    reset()
    settings.RATE_LIMITS = {"patient-link": "2/minute"}
    for i in range(3):
        client.post(f"/m/not-a-token-{i}/", {"not_safe": "on"})
    page = client.post("/m/not-a-token-x/", {"not_safe": "on"})
    text = page.content.decode()
    assert page.status_code == 429 and "not sent" in text and 'href="tel:988"' in text
    assert "Nothing you entered was lost" not in text
    reset()


def test_the_newest_words_said_with_not_safe_are_never_the_ones_cut(cast):
    services.checkin_record(
        actor=cast.clinician_a,
        patient=cast.patient_a,
        mood=None,
        cravings=None,
        note="x" * 500,
        not_safe=True,
    )
    services.checkin_record(
        actor=cast.clinician_a,
        patient=cast.patient_a,
        mood=None,
        cravings=None,
        note="NEW: on the bridge (synthetic)",
        not_safe=True,
    )
    note = CheckIn.objects.get().note
    assert note.endswith("later: NEW: on the bridge (synthetic)") and len(note) <= 500
