"""Sending the concurrent review packet to the payer: a 42 CFR Part 2
disclosure, checked against the patient's consent for every kind of
information the packet holds, entered in the accounting of disclosures and
audited; a refusal says what the consent lacks and records nothing."""

import datetime as dt

import pytest

from openiop.audit.models import AuditEvent, Outcome
from openiop.billing.packet import Packet
from openiop.billing.services.packet_disclosure import packet_categories
from openiop.consent.models import Disclosure, Part2Consent
from openiop.consent.services import consent_revoke
from tests.interop_helpers import consent_for, recipient
from tests.test_billing_authorizations import TODAY, _record, approved

ALL = ["demographics", "diagnoses", "plan", "scores", "attendance"]
NOTICE = "protected by Federal confidentiality rules (42 CFR part 2)"


@pytest.fixture(autouse=True)
def _no_recheck(monkeypatch):
    monkeypatch.setattr("openiop.billing.services.days.recheck_episodes", lambda ids: None)


@pytest.fixture
def world(cast):
    from openiop.billing.models import Payer
    from openiop.patients.models import Coverage

    episode = cast.episode_a
    episode.admitted_on = TODAY - dt.timedelta(days=40)
    episode.save(update_fields=["admitted_on"])
    payer = Payer.objects.create(organization=cast.org, name="Synthetic Health", kind="commercial")
    Coverage.objects.create(
        patient=cast.patient_a, payer_type="commercial", payer_name="Synthetic Health", payer=payer
    )
    auth = approved(cast, payer, number="PK-7")
    _record(cast)
    payer_rcpt = recipient(cast, name="Synthetic Health", kind="payer")
    return auth, payer_rcpt


def tpo_consent(cast, categories=ALL, **over):
    """The patient's consent for payment, reaching treating providers and payers."""
    return consent_for(
        cast,
        None,
        recipient_scope="tpo",
        purpose="payment",
        categories=categories,
        description="Records for the payer's utilization review (synthetic).",
        **over,
    )


def send(cast, auth, rcpt, who="clinician_a", channel="print"):
    return cast.client(who).post(
        f"/billing/authorizations/{auth.uuid}/packet/send/",
        {"recipient": rcpt.pk, "channel": channel},
    )


def refused_events():
    return AuditEvent.objects.filter(event="disclosure.print", outcome=Outcome.DENIED)


def test_sent_under_a_payment_consent_is_recorded_with_the_notice(cast, world):
    auth, rcpt = world
    consent = tpo_consent(cast)
    response = send(cast, auth, rcpt)
    assert response.status_code == 200
    body = response.content.decode()
    # the packet itself, headed by the Part 2 notice and the disclosure
    assert body.index(NOTICE) < body.index("<h1>Concurrent review</h1>")
    assert "Disclosed to <strong>Synthetic Health</strong>" in body
    entry = Disclosure.objects.get()
    assert f"on {entry.disclosed_at:%Y-%m-%d}" in body or TODAY.isoformat() in body
    assert "F10.20" in body and "PHQ-9" in body and "Attended 9 of 10 groups." in body
    assert entry.consent == consent and entry.recipient == rcpt
    assert entry.patient == cast.patient_a and entry.channel == "print"
    assert entry.description == "Concurrent review packet, authorization PK-7"
    assert entry.categories == ALL  # no discharge summary yet
    assert entry.purpose == "Payment" and entry.disclosed_by == cast.clinician_a
    event = AuditEvent.objects.get(event="disclosure.print")
    assert event.action == "disclose" and event.outcome == Outcome.SUCCESS
    assert event.patient_id == cast.patient_a.pk
    assert event.detail["recipient"] == str(rcpt.uuid)
    assert event.detail["consent"] == str(consent.uuid)


def test_the_accounting_of_disclosures_lists_the_sent_packet(cast, world):
    auth, rcpt = world
    tpo_consent(cast)
    assert send(cast, auth, rcpt).status_code == 200
    page = cast.client("clinician_a").get(f"/consent/patients/{cast.patient_a.uuid}/disclosures/")
    body = page.content.decode()
    assert "Synthetic Health" in body
    assert "Concurrent review packet, authorization PK-7" in body


def test_each_send_is_a_disclosure(cast, world):
    auth, rcpt = world
    tpo_consent(cast)
    assert send(cast, auth, rcpt).status_code == 200
    assert send(cast, auth, rcpt, who="intake").status_code == 200
    assert Disclosure.objects.count() == 2


def test_refused_without_a_consent_and_nothing_recorded(cast, world):
    auth, rcpt = world
    response = send(cast, auth, rcpt)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Not sent: No consent from this patient names Synthetic Health." in body
    assert NOTICE not in body and "F10.20" not in body  # the packet is not released
    assert not Disclosure.objects.exists()
    event = refused_events().get()
    assert event.patient_id == cast.patient_a.pk and event.detail["reason"] == "no_consent"


def test_refused_when_the_consent_does_not_cover_scores(cast, world):
    auth, rcpt = world
    tpo_consent(cast, categories=["demographics", "diagnoses", "plan", "attendance"])
    body = send(cast, auth, rcpt).content.decode()
    assert "does not cover scores." in body
    assert not Disclosure.objects.exists()
    assert refused_events().get().detail["reason"] == "not_covered"


def test_refused_under_a_revoked_consent(cast, world):
    auth, rcpt = world
    consent = tpo_consent(cast)
    consent_revoke(actor=cast.clinician_a, consent=consent, note="By phone (synthetic).")
    body = send(cast, auth, rcpt).content.decode()
    assert "The patient revoked the consent of" in body
    assert not Disclosure.objects.exists()
    assert refused_events().get().detail["reason"] == "revoked"


def test_refused_under_an_expired_consent(cast, world):
    auth, rcpt = world
    consent = tpo_consent(cast)
    Part2Consent.objects.filter(pk=consent.pk).update(
        signed_on=TODAY - dt.timedelta(days=60), expires_on=TODAY - dt.timedelta(days=1)
    )
    body = send(cast, auth, rcpt).content.decode()
    assert "expired on" in body
    assert not Disclosure.objects.exists()
    assert refused_events().get().detail["reason"] == "expired"


def test_refused_under_a_consent_of_another_program(cast, world):
    auth, rcpt = world
    tpo_consent(cast, program=cast.program_b, actor=cast.intake)
    body = send(cast, auth, rcpt).content.decode()
    assert "lets only Program B disclose" in body
    assert not Disclosure.objects.exists()
    assert refused_events().exists()


def test_a_named_consent_to_another_payer_does_not_reach_this_one(cast, world):
    auth, rcpt = world
    other = recipient(cast, name="Other Plan (synthetic)", kind="payer")
    consent_for(cast, other, categories=ALL, purpose="payment")
    body = send(cast, auth, rcpt).content.decode()
    assert "No consent from this patient names Synthetic Health." in body
    assert not Disclosure.objects.exists()


def test_only_a_payer_of_the_organization_may_be_chosen(cast, world):
    auth, _payer = world
    provider = recipient(cast)
    tpo_consent(cast)
    response = send(cast, auth, provider)
    assert "Select a valid choice" in response.content.decode()
    assert not Disclosure.objects.exists()


def test_billing_and_the_prescriber_may_not_send_and_another_program_sees_nothing(cast, world):
    auth, rcpt = world
    tpo_consent(cast)
    assert send(cast, auth, rcpt, who="readonly_a").status_code == 403
    assert send(cast, auth, rcpt, who="prescriber_a").status_code == 403
    assert send(cast, auth, rcpt, who="clinician_b").status_code == 404
    assert not Disclosure.objects.exists()
    assert not AuditEvent.objects.filter(event="disclosure.print").exists()
    denied = AuditEvent.objects.filter(outcome=Outcome.DENIED)
    assert denied.filter(actor=cast.readonly_a).exists()
    assert denied.filter(actor=cast.prescriber_a, event="disclosure.make").exists()


def test_the_packet_offers_sending_to_those_who_may_disclose(cast, world):
    auth, rcpt = world
    url = f"/billing/authorizations/{auth.uuid}/packet/"
    body = cast.client("clinician_a").get(url).content.decode()
    assert "Send to the payer" in body
    assert f'<option value="{rcpt.pk}" selected>Synthetic Health</option>' in body
    assert "Send to the payer" not in cast.client("prescriber_a").get(url).content.decode()
    # nothing is disclosed by reading the packet
    assert not Disclosure.objects.exists()


def test_the_packet_holds_the_discharge_summary_only_when_there_is_one(cast, world):
    auth, _ = world
    packet = Packet(authorization=auth, episode=auth.episode, patient=auth.patient, standing=None)
    assert packet_categories(packet) == ALL
    packet.summary = object()
    assert packet_categories(packet) == [*ALL, "discharge_summary"]
