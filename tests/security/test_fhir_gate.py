"""One disclosure gate for every FHIR path. Found by the hostile probe: the
patient search skipped the consent check (a counseling-notes-only consent, a
deactivated recipient), FHIR decided staff categories from permissions held in
any program, unknown parameters widened a search, a page past the end told
the total, an id without consent was told apart from an unknown one, and an
"expires at discharge" consent outlived the discharge."""

import datetime as dt
import json

import pytest
from django.utils import timezone

from openiop.accounts.models import Membership
from openiop.accounts.services import api_token_create
from openiop.audit.models import AuditEvent, Outcome
from openiop.care.services import episode_discharge
from openiop.consent.gate import DisclosureRefused, disclosure_check
from openiop.consent.models import Disclosure
from openiop.consent.services import recipient_deactivate, recipient_issue_token
from tests.interop_helpers import consent_for, full_record, recipient, scores

TODAY = timezone.localdate()


def get(client, path, token, **params):
    return client.get(f"/fhir/R4/{path}", params, HTTP_AUTHORIZATION=f"Bearer {token}")


def body(response) -> dict:
    return json.loads(response.content)


def ids(bundle) -> list[str]:
    return [e["resource"]["id"] for e in bundle.get("entry", [])]


@pytest.fixture
def external(cast):
    rcpt = recipient(cast)
    return rcpt, recipient_issue_token(actor=cast.director_a, recipient=rcpt)[1]


def test_a_counseling_notes_consent_does_not_open_the_patient_search(client, cast, external):
    rcpt, raw = external
    consent_for(cast, rcpt, categories=["counseling_notes"])
    uid = str(cast.patient_a.uuid)
    assert get(client, f"Patient/{uid}", raw).status_code == 403
    for params in ({"_id": uid}, {"family": cast.patient_a.legal_family_name}, {}):
        found = body(get(client, "Patient", raw, **params))
        assert ids(found) == [], params
        assert "total" not in found
    assert not Disclosure.objects.exists()


def test_a_deactivated_recipient_reads_nothing(client, cast, external):
    rcpt, raw = external
    consent_for(cast, rcpt)
    assert ids(body(get(client, "Patient", raw, _count=100))) == [str(cast.patient_a.uuid)]
    disclosed = Disclosure.objects.count()
    rcpt.client_user.api_tokens.update(revoked_at=None)  # even with a live token
    from openiop.consent.models import ExternalRecipient

    ExternalRecipient.objects.filter(pk=rcpt.pk).update(is_active=False)
    assert ids(body(get(client, "Patient", raw, _count=100))) == []
    assert get(client, f"Patient/{cast.patient_a.uuid}", raw).status_code == 403
    assert Disclosure.objects.count() == disclosed


def test_deactivating_a_recipient_revokes_its_tokens_and_is_audited(client, cast, external):
    rcpt, raw = external
    consent_for(cast, rcpt)
    recipient_deactivate(actor=cast.director_a, recipient=rcpt)
    assert get(client, "Patient", raw).status_code == 401
    assert AuditEvent.objects.filter(event="recipient.deactivate").exists()
    with pytest.raises(DisclosureRefused) as exc:
        disclosure_check(patient=cast.patient_a, recipient=rcpt, categories=["demographics"])
    assert exc.value.reason == "recipient_inactive"


def test_a_consent_that_expires_at_discharge_ends_with_the_discharge(cast):
    rcpt = recipient(cast)
    consent = consent_for(cast, rcpt, expires_on=None, expires_at_discharge=True)
    assert consent.expiry_episode == cast.episode_a
    assert disclosure_check(patient=cast.patient_a, recipient=rcpt, categories=["diagnoses"])
    cast.episode_a.admitted_on = TODAY - dt.timedelta(days=30)
    cast.episode_a.save()
    episode_discharge(
        actor=cast.clinician_a,
        episode=cast.episode_a,
        discharged_on=TODAY - dt.timedelta(days=1),
        reason="completed",
    )
    consent.refresh_from_db()
    assert consent.state(TODAY - dt.timedelta(days=1)) == "active"  # the discharge day itself
    assert consent.state(TODAY) == "expired"
    with pytest.raises(DisclosureRefused) as exc:
        disclosure_check(patient=cast.patient_a, recipient=rcpt, categories=["diagnoses"])
    assert exc.value.reason == "expired" and "discharge" in exc.value.message


def test_a_consent_that_expires_at_discharge_needs_an_open_admission(cast):
    from openiop.core.errors import ApplicationError

    rcpt = recipient(cast)
    with pytest.raises(ApplicationError) as exc:
        consent_for(
            cast,
            rcpt,
            expires_on=None,
            expires_at_discharge=True,
            program=cast.program_b,  # the patient has no admission there
            actor=cast.intake,
        )
    assert "expires_at_discharge" in exc.value.fields


def test_a_consent_is_usable_on_its_expiry_day_and_not_after(cast):
    rcpt = recipient(cast)
    consent = consent_for(cast, rcpt, expires_on=TODAY)
    assert disclosure_check(
        patient=cast.patient_a, recipient=rcpt, categories=["plan"], today=TODAY
    )
    with pytest.raises(DisclosureRefused) as exc:
        disclosure_check(
            patient=cast.patient_a,
            recipient=rcpt,
            categories=["plan"],
            today=TODAY + dt.timedelta(days=1),
        )
    assert exc.value.reason == "expired"
    assert consent.state(TODAY) == "active"


def test_a_consent_of_another_recipient_or_patient_is_refused(cast):
    rcpt = recipient(cast)
    other = recipient(cast, name="Another Clinic (synthetic)")
    consent = consent_for(cast, rcpt)
    with pytest.raises(DisclosureRefused) as exc:
        disclosure_check(patient=cast.patient_a, recipient=other, categories=["demographics"])
    assert exc.value.reason == "no_consent"
    with pytest.raises(DisclosureRefused):
        disclosure_check(
            patient=cast.patient_a, recipient=other, categories=["demographics"], consent=consent
        )
    with pytest.raises(DisclosureRefused):
        disclosure_check(
            patient=cast.patient_b, recipient=rcpt, categories=["demographics"], consent=consent
        )
    with pytest.raises(DisclosureRefused) as exc:
        disclosure_check(patient=cast.patient_b, recipient=rcpt, categories=["demographics"])
    assert exc.value.reason == "no_consent"


def test_a_tpo_consent_does_not_reach_a_recipient_outside_the_class(cast):
    person = recipient(cast, name="A Neighbour (synthetic)", kind="person")
    payer = recipient(cast, name="A Health Plan (synthetic)", kind="payer")
    consent_for(cast, None, recipient_scope="tpo", purpose="tpo")
    assert disclosure_check(patient=cast.patient_a, recipient=payer, categories=["plan"])
    with pytest.raises(DisclosureRefused) as exc:
        disclosure_check(patient=cast.patient_a, recipient=person, categories=["plan"])
    assert exc.value.reason == "no_consent"


def test_unknown_search_parameters_are_refused_not_ignored(client, cast, external):
    rcpt, raw = external
    consent_for(cast, rcpt)
    response = get(client, "Patient", raw, famly="Testperson")
    assert response.status_code == 400
    assert "famly" in body(response)["issue"][0]["diagnostics"]
    assert (
        get(client, "Condition", raw, patient=str(cast.patient_a.uuid), severity="x").status_code
        == 400
    )
    assert not Disclosure.objects.exists()


def test_a_page_past_the_end_tells_an_outside_party_nothing(client, cast, external):
    rcpt, raw = external
    consent_for(cast, rcpt)
    past = body(get(client, "Patient", raw, _page=50))
    assert ids(past) == [] and "total" not in past
    assert not Disclosure.objects.exists()


@pytest.mark.parametrize("page", ["9223372036854775807", "100001", "-1"])
def test_huge_or_negative_pages_are_a_clear_400(client, cast, page):
    token = api_token_create(actor=cast.clinician_a, name="t")[1]
    response = get(client, "Patient", token, _page=page)
    assert response.status_code == 400
    assert body(response)["resourceType"] == "OperationOutcome"


# staff: scope per program ------------------------------------------------------------


@pytest.fixture
def two_roles(cast):
    """Clinician in program A, billing in program B."""
    Membership.objects.create(
        user=cast.clinician_a, organization=cast.org, program=cast.program_b, role="billing"
    )
    return api_token_create(actor=cast.clinician_a, name="two roles")[1]


def test_a_role_in_another_program_does_not_lend_its_permissions(client, cast, two_roles):
    scores(cast, patient=cast.patient_b)
    from openiop.care.plans.services.assessment import diagnosis_add

    diagnosis_add(actor=cast.clinician_b, episode=cast.episode_b, code="F10.20", note="Narrative")
    b = str(cast.patient_b.uuid)
    for rtype in ("Observation", "QuestionnaireResponse", "CarePlan", "Goal"):
        response = get(client, rtype, two_roles, patient=b)
        assert response.status_code == 403, rtype
    everything = body(get(client, f"Patient/{b}/$everything", two_roles))
    types = {e["resource"]["resourceType"] for e in everything["entry"]}
    assert types.isdisjoint({"Observation", "QuestionnaireResponse", "CarePlan", "Goal"})
    assert {"Patient", "Condition"} <= types  # billing: demographics and diagnosis codes
    conditions = body(get(client, "Condition", two_roles, patient=b))
    assert [e["resource"]["code"]["coding"][0]["code"] for e in conditions["entry"]] == ["F10.20"]
    assert "note" not in conditions["entry"][0]["resource"]  # codes, not the narrative
    assert AuditEvent.objects.filter(
        outcome=Outcome.DENIED, patient=cast.patient_b, event__startswith="fhir."
    ).exists()


def test_the_same_user_reads_their_own_programs_scores(client, cast, two_roles):
    scores(cast)
    found = body(get(client, "Observation", two_roles, patient=str(cast.patient_a.uuid)))
    assert len(ids(found)) >= 1


def test_an_out_of_scope_fhir_read_is_audited(client, cast):
    token = api_token_create(actor=cast.clinician_b, name="b")[1]
    for _ in range(3):
        assert get(client, f"Patient/{cast.patient_a.uuid}", token).status_code == 404
    denied = AuditEvent.objects.filter(
        actor=cast.clinician_b, outcome=Outcome.DENIED, patient=cast.patient_a
    )
    assert denied.count() == 3


def test_the_bulk_export_decides_scope_per_patient(cast, tmp_path, two_roles):
    from openiop.interop.services.bulk import bulk_export

    full_record(cast)
    scores(cast)
    scores(cast, patient=cast.patient_b)
    Membership.objects.create(
        user=cast.director_a, organization=cast.org, program=cast.program_b, role="billing"
    )
    bulk_export(organization=cast.org, out_dir=tmp_path, actor=cast.director_a)
    lines = (tmp_path / "Observation.ndjson").read_text().splitlines()
    subjects = {json.loads(line)["subject"]["reference"] for line in lines}
    assert subjects == {f"Patient/{cast.patient_a.uuid}"}
    patients = (tmp_path / "Patient.ndjson").read_text()
    assert str(cast.patient_b.uuid) in patients  # billing in B: demographics


# out-of-scope reads in pages and the API are audited too -------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/patients/{uuid}/",
        "/api/v1/patients/{uuid}",
        "/consent/patients/{uuid}/",
        "/measures/patients/{uuid}/",
    ],
)
def test_an_out_of_scope_page_or_api_read_is_audited_with_the_patient(cast, path):
    client = cast.client("clinician_b")
    for _ in range(3):
        response = client.get(path.format(uuid=cast.patient_a.uuid))
        assert response.status_code == 404
    denied = AuditEvent.objects.filter(
        actor=cast.clinician_b, outcome=Outcome.DENIED, patient=cast.patient_a
    )
    assert denied.count() == 3
    # the program's own clinician reading a page that does not exist is not a denial
    cast.client("clinician_a").get(f"/patients/{cast.patient_a.uuid}/no-such-page/")
    assert not AuditEvent.objects.filter(actor=cast.clinician_a, outcome=Outcome.DENIED).exists()


def test_a_refusal_tells_an_outside_party_no_dates(client, cast, external):
    """An expired-at-discharge consent must not tell the recipient the discharge
    date; a revoked one not the revocation date. Staff see the reason in words."""
    from openiop.consent.services import consent_revoke

    rcpt, raw = external
    consent = consent_for(cast, rcpt)
    consent_revoke(actor=cast.clinician_a, consent=consent)
    response = get(client, f"Patient/{cast.patient_a.uuid}", raw)
    assert response.status_code == 403
    text = json.dumps(body(response))
    assert TODAY.isoformat() not in text and "revoked the consent" in text
    refusal = AuditEvent.objects.filter(event="disclosure.fhir_api", outcome=Outcome.DENIED).last()
    assert refusal.detail["reason"] == "revoked"


def test_an_ended_consent_does_not_tell_the_discharge_date(client, cast, external):
    rcpt, raw = external
    consent_for(cast, rcpt, expires_on=None, expires_at_discharge=True)
    cast.episode_a.admitted_on = TODAY - dt.timedelta(days=30)
    cast.episode_a.save()
    episode_discharge(
        actor=cast.clinician_a,
        episode=cast.episode_a,
        discharged_on=TODAY - dt.timedelta(days=3),
        reason="completed",
    )
    response = get(client, f"Patient/{cast.patient_a.uuid}", raw)
    assert response.status_code == 403
    text = json.dumps(body(response))
    assert (TODAY - dt.timedelta(days=3)).isoformat() not in text and "discharge" not in text


def test_a_plan_of_the_program_where_one_only_does_billing_stays_closed(client, cast):
    """Clinician in program B, billing in program A; the patient is in both. The
    plan of the program A episode is refused on the API, so it is on FHIR too."""
    from tests.factories import EpisodeFactory
    from tests.plans_helpers import small_plan

    plan = small_plan(cast.clinician_a, cast.episode_a)
    EpisodeFactory(program=cast.program_b, patient=cast.patient_a, track=cast.track_b)
    Membership.objects.create(
        user=cast.clinician_b, organization=cast.org, program=cast.program_a, role="billing"
    )
    token = api_token_create(actor=cast.clinician_b, name="two programs")[1]
    api = client.get(f"/api/v1/plans/{plan.uuid}", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert api.status_code == 404
    assert get(client, f"CarePlan/{plan.uuid}", token).status_code == 404
    everything = body(get(client, f"Patient/{cast.patient_a.uuid}/$everything", token))
    types = {e["resource"]["resourceType"] for e in everything["entry"]}
    assert "CarePlan" not in types and "Goal" not in types
    assert "Condition" in types  # billing in A reads A's diagnosis codes


@pytest.mark.parametrize("path", ["/api/v1/assessments", "/api/v1/plans", "/api/v1/diagnoses"])
def test_a_filter_naming_another_programs_episode_is_audited(cast, path):
    client = cast.client("clinician_b")
    response = client.get(path, {"episode": str(cast.episode_a.uuid)})
    assert response.status_code in (200, 400, 404)
    assert AuditEvent.objects.filter(
        actor=cast.clinician_b, outcome=Outcome.DENIED, patient=cast.patient_a
    ).exists()
