"""42 CFR Part 2 consent: every element the rule requires, refusals that say
why, revocation, releases checked against the consent and entered in the
accounting of disclosures with the Part 2 notice."""

import datetime as dt
import json

import pytest

from openiop.audit.models import AuditEvent, Outcome
from openiop.consent.models import Disclosure, Part2Consent
from openiop.consent.services import (
    DisclosureRefused,
    consent_revoke,
    disclosure_check,
    disclosure_record,
)
from openiop.core.errors import ApplicationError, PermissionDenied
from tests.interop_helpers import TODAY, consent_for, full_record, recipient


def test_a_consent_records_every_required_element(cast):
    rcpt = recipient(cast)
    c = consent_for(cast, rcpt, categories=["diagnoses", "plan"])
    assert c.patient == cast.patient_a
    assert c.categories == ["demographics", "diagnoses", "plan"]  # identity always travels
    assert c.recipient == rcpt and c.purpose == "treatment"
    assert c.expires_on and c.signed_on == TODAY
    assert cast.patient_a.legal_name in c.attestation
    assert AuditEvent.objects.filter(event="consent.create", patient=cast.patient_a).exists()


@pytest.mark.parametrize(
    ("over", "field", "words"),
    [
        ({"expires_on": TODAY - dt.timedelta(days=1)}, "expires_on", "in the past"),
        ({"expires_on": None, "expiry_event": ""}, "expires_on", "expires"),
        ({"description": "  "}, "description", "Describe"),
        ({"categories": []}, "categories", "Choose"),
        ({"categories": ["diagnoses", "counseling_notes"]}, "categories", "consent of their own"),
        ({"signer_name": "Someone Else"}, "signer_name", "does not match"),
        ({"attestation": False}, "attestation", "Confirm"),
        ({"recipient": None}, "recipient", "Name the recipient"),
        ({"signed_on": TODAY + dt.timedelta(days=2)}, "signed_on", "future"),
        ({"purpose": "other", "purpose_detail": ""}, "purpose_detail", "Describe the purpose"),
    ],
)
def test_an_incomplete_consent_is_refused_and_nothing_is_written(cast, over, field, words):
    rcpt = recipient(cast)
    with pytest.raises(ApplicationError) as err:
        consent_for(cast, rcpt, **over)
    assert field in err.value.fields
    assert words in err.value.fields[field][0]
    assert not Part2Consent.objects.exists()


def test_a_clinician_of_another_program_cannot_record_a_consent(cast):
    rcpt = recipient(cast)
    with pytest.raises(PermissionDenied):
        consent_for(cast, rcpt, actor=cast.clinician_b)


def test_a_disclosure_without_consent_is_refused_with_the_reason(cast):
    rcpt = recipient(cast)
    with pytest.raises(DisclosureRefused) as err:
        disclosure_check(patient=cast.patient_a, recipient=rcpt, categories=["demographics"])
    assert "No consent from this patient names" in err.value.message
    assert err.value.status == 403


def test_a_revoked_consent_cannot_be_used(cast):
    rcpt = recipient(cast)
    c = consent_for(cast, rcpt)
    consent_revoke(actor=cast.clinician_a, consent=c, note="Told us by phone (synthetic).")
    with pytest.raises(DisclosureRefused) as err:
        disclosure_check(patient=cast.patient_a, recipient=rcpt, categories=["diagnoses"])
    assert "revoked" in err.value.message
    with pytest.raises(ApplicationError, match="already revoked"):
        consent_revoke(actor=cast.clinician_a, consent=c)


def test_an_expired_consent_cannot_be_used(cast):
    rcpt = recipient(cast)
    c = consent_for(cast, rcpt, expires_on=TODAY + dt.timedelta(days=5))
    with pytest.raises(DisclosureRefused) as err:
        disclosure_check(
            patient=cast.patient_a,
            recipient=rcpt,
            categories=["demographics"],
            today=TODAY + dt.timedelta(days=6),
        )
    assert "expired on" in err.value.message
    assert (
        disclosure_check(
            patient=cast.patient_a, recipient=rcpt, categories=["demographics"], today=TODAY
        )
        == c
    )


def test_information_outside_the_consent_is_refused(cast):
    rcpt = recipient(cast)
    consent_for(cast, rcpt, categories=["diagnoses"])
    with pytest.raises(DisclosureRefused) as err:
        disclosure_check(patient=cast.patient_a, recipient=rcpt, categories=["plan", "scores"])
    assert "does not cover treatment plan, scores" in err.value.message


def test_counseling_notes_are_never_disclosed_under_a_general_consent(cast):
    rcpt = recipient(cast)
    consent_for(cast, rcpt, categories=[c for c in ("diagnoses", "plan", "scores")])
    with pytest.raises(DisclosureRefused) as err:
        disclosure_check(patient=cast.patient_a, recipient=rcpt, categories=["counseling_notes"])
    assert "consent for them alone" in err.value.message
    notes = consent_for(
        cast,
        rcpt,
        categories=["counseling_notes"],
        description="Counseling notes of March (synthetic).",
    )
    assert notes.categories == ["counseling_notes"]
    assert (
        disclosure_check(patient=cast.patient_a, recipient=rcpt, categories=["counseling_notes"])
        == notes
    )


def test_a_tpo_consent_reaches_providers_and_payers_but_not_others(cast):
    provider = recipient(cast)
    employer = recipient(cast, name="Acme Employer (synthetic)", kind="other")
    consent_for(cast, None, recipient_scope="tpo", purpose="tpo")
    assert disclosure_check(patient=cast.patient_a, recipient=provider, categories=["plan"])
    with pytest.raises(DisclosureRefused):
        disclosure_check(patient=cast.patient_a, recipient=employer, categories=["plan"])


def test_a_disclosure_is_accounted_for_and_audited(cast):
    rcpt = recipient(cast)
    c = consent_for(cast, rcpt)
    entry = disclosure_record(
        actor=cast.clinician_a,
        patient=cast.patient_a,
        consent=c,
        recipient=rcpt,
        categories=["demographics"],
        channel="print",
        description="Printed record (test)",
    )
    assert entry.recipient_name == rcpt.name and entry.purpose == "Treatment and care coordination"
    event = AuditEvent.objects.get(event="disclosure.print")
    assert event.action == "disclose" and event.patient == cast.patient_a
    with pytest.raises(TypeError):
        entry.save()
    with pytest.raises(TypeError):
        Disclosure.objects.all().delete()


def _release(client, cast, rcpt, consent, output, categories=("diagnoses",)):
    return client.post(
        f"/consent/patients/{cast.patient_a.uuid}/release/",
        {
            "consent": consent.pk,
            "recipient": rcpt.pk,
            "categories": list(categories),
            "output": output,
        },
    )


def test_a_printed_release_carries_the_notice_and_lands_in_the_accounting(cast):
    full_record(cast)
    rcpt = recipient(cast)
    c = consent_for(cast, rcpt)
    client = cast.client("clinician_a")
    response = _release(client, cast, rcpt, c, "print", ["diagnoses", "plan"])
    assert response.status_code == 200
    body = response.content.decode()
    assert "protected by Federal confidentiality rules (42 CFR part 2)" in body
    assert "F10.20" in body and "I want to stay sober" in body
    entry = Disclosure.objects.get()
    assert entry.channel == "print" and entry.categories == ["demographics", "diagnoses", "plan"]
    page = client.get(f"/consent/patients/{cast.patient_a.uuid}/disclosures/")
    assert rcpt.name in page.content.decode()
    printable = client.get(f"/consent/patients/{cast.patient_a.uuid}/disclosures/print/")
    assert "1 disclosure." in printable.content.decode()


def test_a_downloaded_release_is_a_fhir_bundle_with_the_notice(cast):
    full_record(cast)
    rcpt = recipient(cast)
    c = consent_for(cast, rcpt, categories=["diagnoses"])
    response = _release(cast.client("intake"), cast, rcpt, c, "download")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/fhir+json"
    bundle = json.loads(response.content)
    types = {e["resource"]["resourceType"] for e in bundle["entry"]}
    assert "Condition" in types and "CarePlan" not in types and "Consent" not in types
    notices = [x["valueString"] for x in bundle["meta"]["extension"]]
    assert "42 CFR part 2" in notices[0]
    assert Disclosure.objects.get().channel == "download"


def test_a_release_beyond_the_consent_is_refused_and_nothing_is_accounted(cast):
    rcpt = recipient(cast)
    c = consent_for(cast, rcpt, categories=["diagnoses"])
    response = _release(cast.client("clinician_a"), cast, rcpt, c, "print", ["plan"])
    assert response.status_code == 200
    assert "does not cover treatment plan" in response.content.decode()
    assert not Disclosure.objects.exists()
    assert AuditEvent.objects.filter(event="disclosure.print", outcome=Outcome.DENIED).exists()


def test_the_accounting_covers_three_years(cast):
    from django.utils import timezone

    rcpt = recipient(cast)
    c = consent_for(cast, rcpt)
    old = disclosure_record(
        actor=cast.clinician_a,
        patient=cast.patient_a,
        consent=c,
        recipient=rcpt,
        categories=["demographics"],
        channel="print",
        description="old",
    )
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "UPDATE consent_disclosure SET disclosed_at = %s WHERE id = %s",
            [timezone.now() - dt.timedelta(days=3 * 366 + 2), old.pk],
        )
    disclosure_record(
        actor=cast.clinician_a,
        patient=cast.patient_a,
        consent=c,
        recipient=rcpt,
        categories=["demographics"],
        channel="print",
        description="recent",
    )
    from openiop.consent.selectors import accounting

    assert [d.description for d in accounting(actor=cast.clinician_a, patient=cast.patient_a)] == [
        "recent"
    ]


def test_pages_show_consents_and_the_fhir_rendering(cast):
    rcpt = recipient(cast)
    c = consent_for(cast, rcpt)
    client = cast.client("clinician_a")
    listing = client.get(f"/consent/patients/{cast.patient_a.uuid}/").content.decode()
    assert rcpt.name in listing
    detail = client.get(f"/consent/{c.uuid}/").content.decode()
    assert "&quot;resourceType&quot;: &quot;Consent&quot;" in detail
    chart = client.get(f"/patients/{cast.patient_a.uuid}/").content.decode()
    assert "Part 2 consents" in chart


def test_a_consent_form_with_a_past_expiry_shows_the_message(cast):
    rcpt = recipient(cast)
    response = cast.client("clinician_a").post(
        f"/consent/patients/{cast.patient_a.uuid}/new/",
        {
            "categories": ["diagnoses"],
            "description": "Diagnoses (synthetic).",
            "recipient_scope": "named",
            "recipient": rcpt.pk,
            "purpose": "treatment",
            "expires_on": (TODAY - dt.timedelta(days=3)).isoformat(),
            "signer_name": cast.patient_a.legal_name,
            "signer_role": "self",
            "signed_on": TODAY.isoformat(),
            "attestation": "on",
        },
    )
    assert response.status_code == 200
    assert "is in the past" in response.content.decode()
    assert not Part2Consent.objects.exists()


def test_recipient_tokens_are_issued_once_and_revoked(cast):
    rcpt = recipient(cast)
    client = cast.client("director_a")
    response = client.post(f"/consent/recipients/{rcpt.uuid}/token/", {"days": 30})
    assert "oiop_" in response.content.decode()
    rcpt.refresh_from_db()
    assert rcpt.client_user is not None and not rcpt.client_user.has_usable_password()
    client.post(f"/consent/recipients/{rcpt.uuid}/token/revoke/")
    assert not rcpt.client_user.api_tokens.filter(revoked_at=None).exists()
