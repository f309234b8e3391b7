"""Sending the concurrent review packet to the payer: a 42 CFR Part 2
disclosure, checked against the patient's consent for every kind of
information the packet holds, entered in the accounting of disclosures and
audited; a refusal says what the consent lacks and records nothing. The
packet goes to the authorization's payer as the Part 2 recipient it is linked
to, never to a recipient named in the request."""

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
    payer.recipient = payer_rcpt
    payer.save(update_fields=["recipient"])
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


def send(cast, auth, rcpt=None, who="clinician_a", channel="print"):
    """A send as posted; `rcpt` is a recipient id slipped into the request
    (the form has no such field: it must change nothing)."""
    data = {"channel": channel}
    if rcpt is not None:
        data["recipient"] = rcpt.pk
    return cast.client(who).post(f"/billing/authorizations/{auth.uuid}/packet/send/", data)


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


def test_a_posted_recipient_changes_nothing(cast, world):
    auth, rcpt = world
    other = recipient(cast, name="Other Plan (synthetic)", kind="payer")
    # a consent naming the other payer alone: the packet is still refused, as
    # it goes to this authorization's payer
    consent_for(cast, other, categories=ALL, purpose="payment")
    body = send(cast, auth, other).content.decode()
    assert "No consent from this patient names Synthetic Health." in body
    assert not Disclosure.objects.exists()
    # under a consent reaching every payer, it goes to this payer, not the posted one
    tpo_consent(cast)
    for posted in (other, recipient(cast), None):
        assert send(cast, auth, posted).status_code == 200
    assert {d.recipient_id for d in Disclosure.objects.all()} == {rcpt.pk}
    assert Disclosure.objects.count() == 3


def test_a_send_never_goes_to_another_payers_recipient(cast, world):
    from openiop.billing.models import Payer
    from openiop.billing.services.packet_disclosure import packet_send

    auth, rcpt = world
    other = recipient(cast, name="Other Plan (synthetic)", kind="payer")
    Payer.objects.create(
        organization=cast.org, name="Other Plan", kind="commercial", recipient=other
    )
    tpo_consent(cast)
    body = cast.client("clinician_a").get(f"/billing/authorizations/{auth.uuid}/packet/")
    assert "Other Plan" not in body.content.decode()
    packet = Packet(authorization=auth, episode=auth.episode, patient=auth.patient, standing=None)
    with pytest.raises(TypeError):  # there is no recipient to give
        packet_send(actor=cast.clinician_a, authorization=auth, packet=packet, recipient=other)
    assert not Disclosure.objects.exists()


def test_a_payer_not_linked_to_a_recipient_is_said_plainly_and_nothing_is_recorded(cast, world):
    from openiop.accounts.models import Membership

    auth, _rcpt = world
    tpo_consent(cast)
    auth.payer.recipient = None
    auth.payer.save(update_fields=["recipient"])
    said = "Synthetic Health is not linked to a Part 2 recipient; link it on the payer&#x27;s page"
    url = f"/billing/authorizations/{auth.uuid}/packet/"
    edit = f"/billing/payers/{auth.payer.uuid}/edit/"
    body = cast.client("clinician_a").get(url).content.decode()
    assert said in body and "Send to the payer</button>" not in body
    assert edit not in body  # a clinician does not manage payers
    response = send(cast, auth)
    assert response.status_code == 200 and said in response.content.decode()
    assert not Disclosure.objects.exists()
    assert not AuditEvent.objects.filter(event="disclosure.print").exists()
    # one who also manages payers is given the link
    Membership.objects.create(user=cast.clinician_a, role="billing", organization=cast.org)
    assert edit in cast.client("clinician_a").get(url).content.decode()


def test_a_deactivated_recipient_is_refused_and_nothing_is_recorded(cast, world):
    from openiop.consent.models import ExternalRecipient

    auth, rcpt = world
    tpo_consent(cast)
    ExternalRecipient.objects.filter(pk=rcpt.pk).update(is_active=False)
    body = send(cast, auth).content.decode()
    assert "Synthetic Health is deactivated as a recipient" in body
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
    assert "Sent to <strong>Synthetic Health</strong>" in body
    assert 'name="recipient"' not in body  # no choice of recipient
    assert "Send to the payer" not in cast.client("prescriber_a").get(url).content.decode()
    # nothing is disclosed by reading the packet
    assert not Disclosure.objects.exists()


def test_the_packet_holds_the_discharge_summary_only_when_there_is_one(cast, world):
    auth, _ = world
    packet = Packet(authorization=auth, episode=auth.episode, patient=auth.patient, standing=None)
    assert packet_categories(packet) == ALL
    packet.summary = object()
    assert packet_categories(packet) == [*ALL, "discharge_summary"]
