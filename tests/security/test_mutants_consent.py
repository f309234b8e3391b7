"""The 42 CFR Part 2 disclosure gate and the recording of consents: nothing
leaves the program without an active, signed consent of this patient that
names this recipient (or its class), covers every kind of information asked
for, and is used between its signature and its last day; counseling notes
only under a consent for them alone; a deactivated recipient gets nothing.

Written against the mutants of `.ci/mutation` (group `consent`)."""

import datetime as dt

import pytest

from openiop.consent.gate import (
    DisclosureRefused,
    consents_reaching,
    decide,
    disclosable,
    disclosure_check,
    reaches,
)
from openiop.consent.models import ExternalRecipient, Part2Consent
from openiop.consent.services import consent_revoke
from openiop.core.errors import ApplicationError, PermissionDenied
from tests.factories import OrganizationFactory, ProgramFactory
from tests.interop_helpers import TODAY, consent_for, recipient

DAY = dt.date(2026, 5, 10)
ORG = 1


def rcpt(pk=7, *, org=ORG, kind="provider", active=True, name="Clinic"):
    return ExternalRecipient(pk=pk, organization_id=org, kind=kind, is_active=active, name=name)


def consent(
    pk=1,
    *,
    org=ORG,
    scope="named",
    recipient_id=7,
    categories=("demographics", "diagnoses"),
    status="active",
    signed=DAY - dt.timedelta(days=30),
    expires=DAY + dt.timedelta(days=30),
    revoked=None,
):
    return Part2Consent(
        pk=pk,
        organization_id=org,
        patient_id=1,
        recipient_scope=scope,
        recipient_id=recipient_id if scope == "named" else None,
        categories=list(categories),
        status=status,
        signed_on=signed,
        expires_on=expires,
        revoked_on=revoked,
    )


def refused(candidates, recipient, categories=("diagnoses",), today=DAY) -> DisclosureRefused:
    with pytest.raises(DisclosureRefused) as err:
        decide(candidates, recipient=recipient, categories=categories, today=today)
    assert err.value.status == 403
    return err.value


# --- reaches ------------------------------------------------------------------


def test_a_named_consent_reaches_only_the_recipient_it_names():
    assert reaches(consent(recipient_id=7), rcpt(7))
    assert not reaches(consent(recipient_id=7), rcpt(8))


def test_a_consent_never_reaches_a_recipient_of_another_organization():
    assert not reaches(consent(org=ORG), rcpt(7, org=ORG + 1))
    assert not reaches(consent(org=ORG, scope="tpo"), rcpt(7, org=ORG + 1))


def test_a_tpo_consent_reaches_providers_and_payers_only():
    assert reaches(consent(scope="tpo"), rcpt(kind="provider"))
    assert reaches(consent(scope="tpo"), rcpt(kind="payer"))
    assert not reaches(consent(scope="tpo"), rcpt(kind="person"))
    assert not reaches(consent(scope="tpo"), rcpt(kind="other"))


# --- decide -------------------------------------------------------------------


def test_a_deactivated_recipient_is_refused_even_under_a_valid_consent():
    err = refused([consent()], rcpt(active=False, name="Old Clinic"))
    assert err.reason == "recipient_inactive"
    assert str(err) == "Old Clinic is deactivated as a recipient."


def test_a_consent_naming_another_recipient_is_no_consent():
    err = refused([consent(recipient_id=8)], rcpt(7, name="Clinic Seven"))
    assert err.reason == "no_consent"
    assert str(err) == "No consent from this patient names Clinic Seven."
    assert err.code == "consent_required"


def test_a_consent_of_another_organization_is_no_consent():
    assert refused([consent(org=ORG + 1)], rcpt()).reason == "no_consent"


def test_no_consent_at_all_is_no_consent():
    assert refused([], rcpt()).reason == "no_consent"


def test_a_consent_is_usable_on_its_expiry_day_and_refused_the_day_after():
    c = consent(expires=DAY)
    assert decide([c], recipient=rcpt(), categories=["diagnoses"], today=DAY) is c
    err = refused([c], rcpt(), today=DAY + dt.timedelta(days=1))
    assert err.reason == "expired"
    assert str(err) == f"The consent of {c.signed_on:%Y-%m-%d} expired on {DAY:%Y-%m-%d}."


def test_the_day_decided_is_the_day_given_not_the_clock():
    c = consent(signed=dt.date(2020, 1, 1), expires=dt.date(2020, 2, 1))
    assert decide([c], recipient=rcpt(), categories=["diagnoses"], today=dt.date(2020, 1, 15))
    assert refused([c], rcpt(), today=dt.date(2020, 2, 2)).reason == "expired"


def test_a_revoked_consent_is_refused_saying_when():
    c = consent(status="revoked", revoked=DAY - dt.timedelta(days=2))
    err = refused([c], rcpt())
    assert err.reason == "revoked"
    assert f"on {DAY - dt.timedelta(days=2):%Y-%m-%d}; nothing may be disclosed" in str(err)


def test_the_refusal_of_a_dead_consent_names_the_newest_one():
    newest = consent(1, status="revoked", revoked=DAY - dt.timedelta(days=1))
    older = consent(2, expires=DAY - dt.timedelta(days=5))
    assert refused([newest, older], rcpt()).reason == "revoked"
    assert refused([older, newest], rcpt()).reason == "expired"


def test_a_live_consent_wins_over_a_dead_newer_one():
    dead = consent(1, status="revoked", revoked=DAY)
    live = consent(2)
    assert decide([dead, live], recipient=rcpt(), categories=["diagnoses"], today=DAY) is live


def test_information_outside_every_live_consent_is_refused_naming_what_is_missing():
    err = refused(
        [consent(categories=["demographics", "diagnoses"])], rcpt(), ["diagnoses", "plan"]
    )
    assert err.reason == "not_covered"
    assert str(err).endswith("does not cover Treatment plan.") or "plan" in str(err).lower()
    assert "diagnos" not in str(err).split("does not cover")[1].lower()


def test_the_newest_live_consent_covering_the_request_is_the_one_used():
    narrow = consent(1, categories=["demographics"])
    wide = consent(2, categories=["demographics", "diagnoses", "plan"])
    wider = consent(3, categories=["demographics", "diagnoses", "plan", "scores"])
    got = decide([narrow, wide, wider], recipient=rcpt(), categories=["plan"], today=DAY)
    assert got is wide
    assert decide([narrow], recipient=rcpt(), categories=["demographics"], today=DAY) is narrow


def test_counseling_notes_need_a_consent_for_them_alone():
    general = consent(1, categories=["demographics", "diagnoses"])
    err = refused([general], rcpt(), ["counseling_notes"])
    assert err.reason == "notes_separate"
    notes = consent(2, categories=["counseling_notes"])
    assert (
        decide([general, notes], recipient=rcpt(), categories=["counseling_notes"], today=DAY)
        is notes
    )


def test_counseling_notes_with_other_information_are_not_covered_by_a_notes_consent():
    notes = consent(categories=["counseling_notes"])
    assert refused([notes], rcpt(), ["counseling_notes", "diagnoses"]).reason == "not_covered"


def test_the_notes_consent_must_be_live():
    notes = consent(categories=["counseling_notes"], expires=DAY - dt.timedelta(days=1))
    general = consent(2, categories=["demographics", "diagnoses"])
    err = refused([general, notes], rcpt(), ["counseling_notes"])
    assert err.reason == "notes_separate"


# --- disclosure_check and disclosable (database) -----------------------------


@pytest.fixture
def clinic(cast):
    return recipient(cast)


def test_a_given_consent_of_another_patient_is_refused(cast, clinic):
    theirs = consent_for(
        cast,
        clinic,
        patient=cast.patient_b,
        actor=cast.clinician_b,
        signer_name=cast.patient_b.legal_name,
    )
    with pytest.raises(DisclosureRefused) as err:
        disclosure_check(
            patient=cast.patient_a, recipient=clinic, categories=["diagnoses"], consent=theirs
        )
    assert (err.value.reason, str(err.value)) == (
        "not_covered",
        "That consent is not this patient's.",
    )


def test_without_a_given_consent_another_patients_consent_does_not_count(cast, clinic):
    consent_for(
        cast,
        clinic,
        patient=cast.patient_b,
        actor=cast.clinician_b,
        signer_name=cast.patient_b.legal_name,
    )
    with pytest.raises(DisclosureRefused) as err:
        disclosure_check(patient=cast.patient_a, recipient=clinic, categories=["diagnoses"])
    assert err.value.reason == "no_consent"


def test_a_given_consent_naming_another_recipient_is_refused_saying_whom(cast, clinic):
    other = recipient(cast, name="Other Clinic (synthetic)")
    c = consent_for(cast, other)
    with pytest.raises(DisclosureRefused) as err:
        disclosure_check(
            patient=cast.patient_a, recipient=clinic, categories=["diagnoses"], consent=c
        )
    assert err.value.reason == "not_covered"
    assert str(err.value) == f"That consent names {other.name}, not {clinic.name}."


def test_a_given_tpo_consent_does_not_reach_a_person(cast):
    person = recipient(cast, name="A Friend (synthetic)", kind="person")
    c = consent_for(cast, None, recipient_scope="tpo")
    with pytest.raises(DisclosureRefused) as err:
        disclosure_check(
            patient=cast.patient_a, recipient=person, categories=["diagnoses"], consent=c
        )
    assert err.value.reason == "not_covered"
    assert "covers treating providers and payers" in str(err.value)


def test_a_given_consent_that_fits_is_the_one_returned(cast, clinic):
    c = consent_for(cast, clinic)
    assert (
        disclosure_check(patient=cast.patient_a, recipient=clinic, categories=["plan"], consent=c)
        == c
    )
    assert disclosure_check(patient=cast.patient_a, recipient=clinic, categories=["plan"]) == c


def test_the_check_decides_today_by_default(cast, clinic):
    c = consent_for(cast, clinic, expires_on=TODAY)
    assert disclosure_check(patient=cast.patient_a, recipient=clinic, categories=["plan"]) == c
    with pytest.raises(DisclosureRefused):
        disclosure_check(
            patient=cast.patient_a,
            recipient=clinic,
            categories=["plan"],
            today=TODAY + dt.timedelta(days=1),
        )


def test_consents_reaching_a_recipient_are_its_named_ones_and_the_tpo_class_newest_first(
    cast, clinic
):
    older = consent_for(cast, clinic, signed_on=TODAY - dt.timedelta(days=3))
    tpo = consent_for(cast, None, recipient_scope="tpo", signed_on=TODAY - dt.timedelta(days=1))
    newest = consent_for(cast, clinic)
    consent_for(cast, recipient(cast, name="Elsewhere (synthetic)"))
    assert list(consents_reaching(clinic)) == [newest, tpo, older]
    person = recipient(cast, name="A Friend (synthetic)", kind="person")
    assert list(consents_reaching(person)) == []


def test_consents_of_another_organization_never_reach(cast, clinic):
    other_org = OrganizationFactory()
    stranger = ExternalRecipient.objects.create(
        organization=other_org, name="Clinic", kind="provider"
    )
    consent_for(cast, None, recipient_scope="tpo")
    assert list(consents_reaching(stranger)) == []


def test_disclosable_lists_each_patient_with_the_consent_that_allows_it(cast, clinic):
    mine = consent_for(cast, clinic)
    theirs = consent_for(
        cast,
        clinic,
        patient=cast.patient_b,
        actor=cast.clinician_b,
        signer_name=cast.patient_b.legal_name,
        categories=["scores"],
    )
    assert disclosable(recipient=clinic, categories=["plan"]) == {cast.patient_a.pk: mine}
    assert disclosable(recipient=clinic, categories=["demographics"]) == {
        cast.patient_a.pk: mine,
        cast.patient_b.pk: theirs,
    }
    consent_revoke(actor=cast.clinician_a, consent=mine)
    assert disclosable(recipient=clinic, categories=["demographics"]) == {cast.patient_b.pk: theirs}
    assert (
        disclosable(
            recipient=clinic, categories=["demographics"], today=TODAY + dt.timedelta(days=400)
        )
        == {}
    )
    clinic.is_active = False
    assert disclosable(recipient=clinic, categories=["demographics"]) == {}


# --- consent_record: refusals --------------------------------------------------


def refused_record(cast, rcpt_, field, **over):
    before = Part2Consent.objects.count()
    with pytest.raises(ApplicationError) as err:
        consent_for(cast, rcpt_, **over)
    assert field in err.value.fields, err.value.fields
    assert Part2Consent.objects.count() == before
    return err.value


def test_a_recipient_of_another_organization_or_deactivated_cannot_be_named(cast, clinic):
    stranger = ExternalRecipient.objects.create(
        organization=OrganizationFactory(), name="Stranger", kind="provider"
    )
    refused_record(cast, stranger, "recipient")
    clinic.is_active = False
    refused_record(cast, clinic, "recipient")


def test_a_tpo_consent_cannot_carry_counseling_notes_and_names_nobody(cast, clinic):
    refused_record(
        cast, None, "recipient_scope", recipient_scope="tpo", categories=["counseling_notes"]
    )
    c = consent_for(cast, clinic, recipient_scope="tpo")
    assert c.recipient is None


@pytest.mark.parametrize("purpose", ["other", "research"])
def test_a_tpo_consent_is_only_for_treatment_payment_or_operations(cast, purpose):
    refused_record(
        cast, None, "purpose", recipient_scope="tpo", purpose=purpose, purpose_detail="x"
    )


@pytest.mark.parametrize("purpose", ["tpo", "treatment", "payment", "operations"])
def test_a_tpo_consent_for_a_tpo_purpose_is_recorded(cast, purpose):
    assert consent_for(cast, None, recipient_scope="tpo", purpose=purpose).purpose == purpose


def test_unknown_scopes_purposes_roles_and_categories_are_refused(cast, clinic):
    refused_record(cast, clinic, "recipient_scope", recipient_scope="everyone")
    refused_record(cast, clinic, "purpose", purpose="curiosity")
    refused_record(cast, clinic, "signer_role", signer_role="neighbour")
    refused_record(cast, clinic, "categories", categories=["diagnoses", "secrets"])
    refused_record(cast, clinic, "signed_on", signed_on="2026-01-01")


def test_a_program_of_another_organization_or_out_of_reach_is_refused(cast, clinic):
    elsewhere = ProgramFactory(organization=OrganizationFactory())
    before = Part2Consent.objects.count()
    with pytest.raises(PermissionDenied):
        consent_for(cast, clinic, program=cast.program_b)
    refused_record(cast, clinic, "program", actor=cast.intake, program=elsewhere)
    assert Part2Consent.objects.count() == before
    assert consent_for(cast, clinic, program=cast.program_a).program == cast.program_a


def test_a_clinician_of_another_program_cannot_record_or_revoke(cast, clinic):
    with pytest.raises(PermissionDenied):
        consent_for(cast, clinic, actor=cast.clinician_b)
    c = consent_for(cast, clinic)
    with pytest.raises(PermissionDenied):
        consent_revoke(actor=cast.clinician_b, consent=c)
    c.refresh_from_db()
    assert c.status == "active"


def test_the_signature_may_be_the_preferred_name_or_another_signer(cast, clinic):
    p = cast.patient_a
    named = f"  {p.preferred_name or p.legal_given_name}   {p.legal_family_name.upper()} "
    assert consent_for(cast, clinic, signer_name=named).signer_role == "self"
    c = consent_for(cast, clinic, signer_name="Jordan Guardian", signer_role="guardian")
    assert c.signer_name == "Jordan Guardian"
    assert "Jordan Guardian (" in c.attestation
    refused_record(cast, clinic, "signer_name", signer_name="   ")


def test_categories_are_cleaned_identity_added_and_ordered(cast, clinic):
    c = consent_for(cast, clinic, categories=["plan", "", "diagnoses", "plan"])
    assert c.categories == ["demographics", "diagnoses", "plan"]
    notes = consent_for(cast, clinic, categories=["counseling_notes", "counseling_notes"])
    assert notes.categories == ["counseling_notes"]


def test_categories_are_kept_in_the_order_of_the_form_not_alphabetically(cast, clinic):
    c = consent_for(cast, clinic, categories=["attendance", "scores"])
    assert c.categories == ["demographics", "scores", "attendance"]


def test_an_expiry_event_alone_is_enough_and_text_is_trimmed(cast, clinic):
    c = consent_for(
        cast,
        clinic,
        expires_on=None,
        expiry_event="  End of treatment  ",
        description="  Diagnoses (synthetic).  ",
        purpose="other",
        purpose_detail="  Court  ",
    )
    assert (c.expiry_event, c.description, c.purpose_detail) == (
        "End of treatment",
        "Diagnoses (synthetic).",
        "Court",
    )


def test_an_expiry_at_discharge_is_tied_to_the_open_admission(cast, clinic):
    c = consent_for(cast, clinic, expires_on=None, expires_at_discharge=True)
    assert c.expires_at_discharge and c.expiry_episode == cast.episode_a
    assert c.expiry_event == f"Discharge from {cast.program_a.name}"
    refused_record(
        cast,
        clinic,
        "expires_at_discharge",
        expires_on=None,
        expires_at_discharge=True,
        program=cast.program_b,
        actor=cast.intake,
    )


def test_a_signature_today_expiring_today_is_accepted(cast, clinic):
    assert consent_for(cast, clinic, expires_on=TODAY).expires_on == TODAY


# --- consent_revoke -------------------------------------------------------------


def test_a_revocation_takes_effect_on_its_date_and_only_once(cast, clinic):
    c = consent_for(cast, clinic, signed_on=TODAY - dt.timedelta(days=5))
    consent_revoke(
        actor=cast.clinician_a,
        consent=c,
        revoked_on=TODAY - dt.timedelta(days=5),
        note="  Said so by phone  ",
    )
    c.refresh_from_db()
    assert (c.status, c.revoked_on, c.revoked_by, c.revocation_note) == (
        "revoked",
        TODAY - dt.timedelta(days=5),
        cast.clinician_a,
        "Said so by phone",
    )
    with pytest.raises(ApplicationError, match="already revoked"):
        consent_revoke(actor=cast.clinician_a, consent=c)


@pytest.mark.parametrize("days", [1, -6])
def test_a_revocation_date_outside_signature_to_today_is_refused(cast, clinic, days):
    c = consent_for(cast, clinic, signed_on=TODAY - dt.timedelta(days=5))
    with pytest.raises(ApplicationError) as err:
        consent_revoke(
            actor=cast.clinician_a, consent=c, revoked_on=TODAY + dt.timedelta(days=days)
        )
    assert "revoked_on" in err.value.fields
    c.refresh_from_db()
    assert c.status == "active"


def test_a_revocation_defaults_to_today(cast, clinic):
    c = consent_for(cast, clinic)
    consent_revoke(actor=cast.clinician_a, consent=c)
    assert Part2Consent.objects.get(pk=c.pk).revoked_on == TODAY


# --- consent_record: every refusal names its field and says why ------------------
#
# A refusal is shown next to the field that caused it, in words the person
# recording the consent acts on: the field and the message are both pinned.


def refusal(cast, rcpt_, **over) -> tuple[str, dict]:
    before = Part2Consent.objects.count()
    with pytest.raises(ApplicationError) as err:
        consent_for(cast, rcpt_, **over)
    assert Part2Consent.objects.count() == before
    return err.value.message, err.value.fields


def one_field(field, message):
    return message, {field: [message]}


NOTES_ALONE = (
    "SUD counseling notes need a consent of their own: record them on a separate "
    "consent, not together with other information."
)


@pytest.mark.parametrize(
    ("over", "field", "message"),
    [
        (
            {"categories": ["diagnoses", "secrets"]},
            "categories",
            "secrets is not a kind of information.",
        ),
        (
            {"categories": []},
            "categories",
            "Choose the information the patient agrees to disclose.",
        ),
        (
            {"categories": ["", ""]},
            "categories",
            "Choose the information the patient agrees to disclose.",
        ),
        ({"categories": ["counseling_notes", "diagnoses"]}, "categories", NOTES_ALONE),
        ({"categories": ["counseling_notes", "diagnoses", "plan"]}, "categories", NOTES_ALONE),
        (
            {"description": None},
            "description",
            "Describe the information specifically, as the patient agreed to it "
            "(e.g. diagnoses and PHQ-9 scores from this admission).",
        ),
        ({"recipient_scope": "everyone"}, "recipient_scope", "Choose who may receive the records."),
        ({"recipient": None}, "recipient", "Name the recipient."),
        (
            {"recipient_scope": "tpo", "categories": ["counseling_notes"]},
            "recipient_scope",
            "SUD counseling notes cannot go to the whole treatment, payment and operations "
            "class: name the recipient.",
        ),
        ({"purpose": "curiosity"}, "purpose", "Choose the purpose of the disclosure."),
        ({"purpose": "other"}, "purpose_detail", "Describe the purpose."),
        ({"purpose": "other", "purpose_detail": "   "}, "purpose_detail", "Describe the purpose."),
        (
            {"recipient_scope": "tpo", "purpose": "legal"},
            "purpose",
            "A consent to the treatment, payment and operations class is for those purposes.",
        ),
        (
            {"expires_on": None},
            "expires_on",
            "Give the date or the event on which the consent expires.",
        ),
        (
            {"expires_on": None, "expiry_event": "   "},
            "expires_on",
            "Give the date or the event on which the consent expires.",
        ),
        (
            {"signed_on": TODAY + dt.timedelta(days=1)},
            "signed_on",
            "The date of signature cannot be in the future.",
        ),
        (
            {"signed_on": "2026-01-01"},
            "signed_on",
            "The date of signature cannot be in the future.",
        ),
        (
            {"expires_on": TODAY - dt.timedelta(days=1)},
            "expires_on",
            f"The expiry date {TODAY - dt.timedelta(days=1):%Y-%m-%d} is in the past: this "
            "consent could never be used. Ask the patient for a new expiry date.",
        ),
        ({"signer_name": None}, "signer_name", "Type the signer's full name."),
        ({"signer_name": "   "}, "signer_name", "Type the signer's full name."),
        ({"signer_role": "neighbour"}, "signer_role", "Say who signed."),
        (
            {"attestation": False},
            "attestation",
            "Confirm that the signer read and signed this consent.",
        ),
        (
            {"attestation": ""},
            "attestation",
            "Confirm that the signer read and signed this consent.",
        ),
    ],
)
def test_each_missing_or_wrong_element_of_a_consent_is_refused_at_its_field_saying_why(
    cast, clinic, over, field, message
):
    assert refusal(cast, clinic, **over) == one_field(field, message)


def test_a_signature_by_the_patient_must_be_the_patients_name(cast, clinic):
    assert refusal(cast, clinic, signer_name="Someone Else") == one_field(
        "signer_name",
        f"The typed name does not match the patient's legal name ({cast.patient_a.legal_name}).",
    )


def test_a_recipient_of_another_organization_or_deactivated_is_refused_saying_why(cast, clinic):
    stranger = ExternalRecipient.objects.create(
        organization=OrganizationFactory(), name="Stranger", kind="provider"
    )
    expected = one_field("recipient", "Choose an active recipient of yours.")
    assert refusal(cast, stranger) == expected
    clinic.is_active = False
    assert refusal(cast, clinic) == expected


def test_a_program_of_another_organization_is_refused_saying_why(cast, clinic):
    elsewhere = ProgramFactory(organization=OrganizationFactory())
    assert refusal(cast, clinic, actor=cast.intake, program=elsewhere) == one_field(
        "program", "Choose a program of this organization."
    )


def test_an_expiry_at_discharge_without_an_open_admission_is_refused_saying_where(cast, clinic):
    assert refusal(
        cast,
        clinic,
        expires_on=None,
        expires_at_discharge=True,
        program=cast.program_b,
        actor=cast.intake,
    ) == one_field(
        "expires_at_discharge",
        f"The patient has no open admission in {cast.program_b.name} whose discharge could "
        "end this consent: give an expiry date.",
    )


def test_a_discharged_admission_cannot_end_a_consent(cast, clinic):
    from openiop.care.models import Episode

    Episode.objects.filter(pk=cast.episode_a.pk).update(status="discharged", discharged_on=TODAY)
    assert refusal(cast, clinic, expires_on=None, expires_at_discharge=True) == one_field(
        "expires_at_discharge",
        "The patient has no open admission whose discharge could end this consent: give an "
        "expiry date.",
    )


def test_counseling_notes_with_one_other_kind_are_refused(cast, clinic):
    """Notes plus any single other kind is already "together with other information"."""
    message, fields = refusal(cast, clinic, categories=["counseling_notes", "diagnoses"])
    assert fields == {"categories": [NOTES_ALONE]}


# --- consent_record: what is stored --------------------------------------------


def test_a_consent_without_an_expiry_at_discharge_is_tied_to_no_admission(cast, clinic):
    c = consent_for(cast, clinic)
    assert (c.expires_at_discharge, c.expiry_episode, c.expiry_event) == (False, None, "")
    assert (c.purpose_detail, c.created_by) == ("", cast.clinician_a)


def test_the_admission_that_ends_a_consent_is_the_latest_open_one(cast, clinic):
    from tests.factories import EpisodeFactory

    earlier = EpisodeFactory(
        program=cast.program_b,
        track=cast.track_b,
        patient=cast.patient_a,
        primary_clinician=cast.clinician_b,
        admitted_on=cast.episode_a.admitted_on - dt.timedelta(days=5),
    )
    c = consent_for(cast, clinic, expires_on=None, expires_at_discharge=True)
    assert c.expiry_episode == cast.episode_a
    # in the program named, that program's admission
    c = consent_for(
        cast,
        clinic,
        actor=cast.intake,
        program=cast.program_b,
        expires_on=None,
        expires_at_discharge=True,
    )
    assert c.expiry_episode == earlier
    assert c.expiry_event == f"Discharge from {cast.program_b.name}"


def test_between_admissions_of_the_same_day_the_newest_ends_the_consent(cast, clinic):
    from tests.factories import EpisodeFactory

    same_day = EpisodeFactory(
        program=cast.program_b,
        track=cast.track_b,
        patient=cast.patient_a,
        primary_clinician=cast.clinician_b,
        admitted_on=cast.episode_a.admitted_on,
    )
    c = consent_for(cast, clinic, expires_on=None, expires_at_discharge=True)
    assert c.expiry_episode == same_day


def test_stored_text_is_cut_to_its_column(cast, clinic):
    c = consent_for(
        cast,
        clinic,
        description="d" * 6000,
        purpose="other",
        purpose_detail="p" * 400,
        expires_on=None,
        expiry_event="e" * 250,
        signer_name="G" * 200,
        signer_role="guardian",
    )
    assert [len(c.description), len(c.purpose_detail), len(c.expiry_event)] == [5000, 300, 200]
    assert c.signer_name == "G" * 150


def test_the_patient_may_sign_with_their_preferred_name(cast, clinic):
    p = cast.patient_a
    p.preferred_name = "Sunny"
    p.save()
    assert consent_for(cast, clinic, signer_name=f"sunny {p.legal_family_name}").signer_role == (
        "self"
    )


def test_recording_a_consent_is_audited_with_who_whose_and_what(cast, clinic):
    from openiop.audit.models import AuditEvent

    c = consent_for(cast, clinic)
    e = AuditEvent.objects.order_by("-id").first()
    assert (e.action, e.event, e.outcome) == ("create", "consent.create", "success")
    assert (e.actor, e.patient, e.object_type, e.object_id) == (
        cast.clinician_a,
        cast.patient_a,
        "part2consent",
        str(c.uuid),
    )
    assert e.changed_fields == ["categories", "expires_on", "purpose", "recipient", "signature"]


def test_a_refused_program_is_audited_as_a_denied_creation(cast, clinic):
    from openiop.audit.models import AuditEvent

    with pytest.raises(PermissionDenied):
        consent_for(cast, clinic, program=cast.program_b)
    e = AuditEvent.objects.order_by("-id").first()
    assert (e.action, e.event, e.outcome) == ("create", "consent.manage", "denied")


def test_a_patient_out_of_reach_is_audited_as_a_denied_update(cast, clinic):
    from openiop.audit.models import AuditEvent

    with pytest.raises(PermissionDenied):
        consent_for(cast, clinic, actor=cast.clinician_b)
    e = AuditEvent.objects.order_by("-id").first()
    assert (e.action, e.event, e.outcome, e.patient) == (
        "update",
        "consent.manage",
        "denied",
        cast.patient_a,
    )


# --- consent_revoke: what is stored and audited ----------------------------------


def test_a_revocation_without_a_note_stores_none_and_a_long_note_is_cut(cast, clinic):
    c = consent_for(cast, clinic)
    consent_revoke(actor=cast.clinician_a, consent=c)
    assert Part2Consent.objects.get(pk=c.pk).revocation_note == ""
    d = consent_for(cast, clinic)
    consent_revoke(actor=cast.clinician_a, consent=d, note="n" * 400)
    assert Part2Consent.objects.get(pk=d.pk).revocation_note == "n" * 300


def test_a_revocation_stamps_the_change_time(cast, clinic):
    from django.utils import timezone

    c = consent_for(cast, clinic)
    long_ago = timezone.now() - dt.timedelta(days=30)
    Part2Consent.objects.filter(pk=c.pk).update(updated_at=long_ago)
    consent_revoke(actor=cast.clinician_a, consent=c)
    assert Part2Consent.objects.get(pk=c.pk).updated_at > long_ago + dt.timedelta(days=29)


def test_a_consent_revoked_meanwhile_is_not_revoked_again(cast, clinic):
    """Two revocations of the same consent (a stale copy in hand): the second
    is refused and the first date stays."""
    c = consent_for(cast, clinic, signed_on=TODAY - dt.timedelta(days=5))
    stale = Part2Consent.objects.get(pk=c.pk)
    consent_revoke(actor=cast.clinician_a, consent=c, revoked_on=TODAY - dt.timedelta(days=2))
    with pytest.raises(ApplicationError) as err:
        consent_revoke(actor=cast.clinician_a, consent=stale)
    assert err.value.message == "This consent was already revoked."
    assert Part2Consent.objects.get(pk=c.pk).revoked_on == TODAY - dt.timedelta(days=2)


def test_a_revocation_date_outside_signature_to_today_is_refused_saying_why(cast, clinic):
    c = consent_for(cast, clinic)
    with pytest.raises(ApplicationError) as err:
        consent_revoke(actor=cast.clinician_a, consent=c, revoked_on=TODAY + dt.timedelta(days=1))
    assert (err.value.message, err.value.fields) == one_field(
        "revoked_on", "The revocation date is between the signature and today."
    )


def test_a_revocation_is_audited_with_who_whose_and_what(cast, clinic):
    from openiop.audit.models import AuditEvent

    c = consent_for(cast, clinic)
    consent_revoke(actor=cast.clinician_a, consent=c)
    e = AuditEvent.objects.order_by("-id").first()
    assert (e.action, e.event, e.outcome) == ("update", "consent.revoke", "success")
    assert (e.actor, e.patient, e.object_type, e.object_id) == (
        cast.clinician_a,
        cast.patient_a,
        "part2consent",
        str(c.uuid),
    )
    assert e.changed_fields == ["revoked_on", "status"]


# --- the gate: which consents reach, in which order -----------------------------


def test_a_tpo_consent_never_reaches_a_person_even_with_a_recipient_stored(cast):
    """Only a *named* consent reaches by its recipient: a TPO consent carrying a
    recipient (not made by consent_record, but not forbidden by the table)
    still reaches providers and payers only."""
    person = recipient(cast, name="A Friend (synthetic)", kind="person")
    Part2Consent.objects.create(
        organization=cast.org,
        patient=cast.patient_a,
        categories=["demographics"],
        description="x",
        recipient_scope="tpo",
        recipient=person,
        purpose="treatment",
        expires_on=TODAY,
        signer_name="x",
        signer_role="self",
        attestation="x",
        signed_on=TODAY,
    )
    assert list(consents_reaching(person)) == []
    with pytest.raises(DisclosureRefused) as err:
        disclosure_check(patient=cast.patient_a, recipient=person, categories=["demographics"])
    assert err.value.reason == "no_consent"


def test_consents_reaching_are_ordered_by_signature_then_newest_entry(cast, clinic):
    """ "Newest first" is by the date signed, not by when it was entered; two
    signed the same day: the one entered last first."""
    signed_today = consent_for(cast, clinic)
    signed_earlier = consent_for(cast, clinic, signed_on=TODAY - dt.timedelta(days=3))
    also_today = consent_for(cast, clinic)
    assert list(consents_reaching(clinic)) == [also_today, signed_today, signed_earlier]


def test_a_consent_ended_by_discharge_says_so(cast):
    from openiop.care.models import Episode

    ended = DAY - dt.timedelta(days=3)
    c = consent(expires=DAY + dt.timedelta(days=30))
    c.expires_at_discharge = True
    c.expiry_episode = Episode(pk=5, discharged_on=ended)
    err = refused([c], rcpt())
    assert err.reason == "expired"
    assert str(err) == (
        f"The consent of {c.signed_on:%Y-%m-%d} expired at the patient's discharge on "
        f"{ended:%Y-%m-%d}."
    )


def test_without_a_day_given_the_gate_uses_the_recipients_organizations_day(
    cast, settings, monkeypatch
):
    """A consent's last day ends at midnight where its organization is (Oregon),
    not where the server is (UTC): at 23:30 Pacific on its last day it still
    holds, for the one-patient check and the whole-list check alike."""
    from django.utils import timezone

    from openiop.core.clock import activated

    settings.TIME_ZONE = "UTC"
    wednesday_2330_pst = dt.datetime(2026, 12, 3, 7, 30, tzinfo=dt.UTC)
    monkeypatch.setattr(timezone, "now", lambda: wednesday_2330_pst)
    with activated("America/Los_Angeles"):
        rc = recipient(cast)
        c = consent_for(cast, rc, signed_on=dt.date(2026, 11, 2), expires_on=dt.date(2026, 12, 2))
    assert disclosure_check(patient=cast.patient_a, recipient=rc, categories=["plan"]) == c
    assert disclosable(recipient=rc, categories=["plan"]) == {cast.patient_a.pk: c}
