"""Medicare IOP certifications (DOMAIN.md, "Medicare IOP benefit" and "Revenue
cycle facts"): a physician or qualified practitioner certifies that the patient
needs at least 9 hours of services a week, recertified at the interval the
payer's rule sets (60 days when it says nothing), signed like a plan. Each
refusal leaves nothing written; each write is audited. Also the type of bill
and the payment tier (condition code 92, two tiers: 3 services, 4 or more)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from openiop.accounts.models import StaffCredential
from openiop.audit.models import AuditEvent
from openiop.billing import medicare
from openiop.billing.certification_selectors import (
    certifications_due,
    current_certification,
    due_of,
    recertification_due,
)
from openiop.billing.models import (
    BillingRule,
    Certification,
    CertificationStatus,
    Payer,
    ProviderKind,
)
from openiop.billing.services.certifications import (
    certification_draft,
    certification_sign,
)
from openiop.core.errors import ApplicationError, Conflict, PermissionDenied
from openiop.patients.models import Coverage

DAY = dt.timedelta(days=1)
STATEMENT = "Synthetic: daily cravings and two relapses after outpatient care."


def today():
    return timezone.localdate()


def licence(cast, user, kind="MD", *, state=None, expires_on=None):
    return StaffCredential.objects.create(
        user=user,
        organization=cast.org,
        license_type=kind,
        number=f"T-{user.pk}-{kind}",
        state=state or cast.program_a.site.state,
        expires_on=expires_on or today() + dt.timedelta(days=365),
    )


def medicare_for(cast, patient=None, *, recertification_days=None, level=None):
    payer, _ = Payer.objects.get_or_create(
        organization=cast.org, name="Medicare (synthetic)", defaults={"kind": "medicare"}
    )
    Coverage.objects.create(
        patient=patient or cast.patient_a,
        payer_type="medicare",
        payer_name=payer.name,
        payer=payer,
        member_id="1EG4TE5MK73",
    )
    if recertification_days is not None:
        BillingRule.objects.create(
            organization=cast.org,
            payer=payer,
            level_of_care=level or cast.program_a.level_of_care,
            method="per_diem",
            requires_certification=True,
            recertification_days=recertification_days,
            condition_code="92",
        )
    return payer


def draft(cast, *, actor=None, episode=None, hours="9", covers_from=None, **kw):
    return certification_draft(
        actor=actor or cast.clinician_a,
        episode=episode or cast.episode_a,
        weekly_hours=hours,
        statement=kw.pop("statement", STATEMENT),
        covers_from=covers_from or today(),
        **kw,
    )


def events(name):
    return AuditEvent.objects.filter(event=name)


# --- drafting ---------------------------------------------------------------


def test_a_draft_is_an_initial_certification_of_60_days_by_default(cast):
    cert = draft(cast)
    assert cert.kind == "initial"
    assert cert.status == CertificationStatus.DRAFT
    assert cert.covers_from == today()
    # "recertification at least every other month (about every 60 days)": 60 days inclusive
    assert cert.covers_through == today() + 59 * DAY
    ev = events("certification.draft").get()
    assert ev.patient_id == cast.patient_a.pk
    assert ev.detail["recertification_days"] == 60


def test_the_span_follows_the_patients_medicare_rule_for_the_program(cast):
    medicare_for(cast, recertification_days=30)
    cert = draft(cast)
    assert cert.covers_through == today() + 29 * DAY


def test_a_rule_for_another_level_leaves_the_default(cast):
    medicare_for(cast, recertification_days=30, level="2.5")
    assert draft(cast).covers_through == today() + 59 * DAY


def test_fewer_than_9_hours_a_week_is_refused(cast):
    with pytest.raises(ApplicationError) as exc:
        draft(cast, hours="8.5")
    assert "at least 9 hours" in exc.value.fields["weekly_hours"][0]
    assert not Certification.objects.exists()
    assert not events("certification.draft").exists()


def test_exactly_9_hours_is_accepted(cast):
    assert draft(cast, hours="9.0").weekly_hours == Decimal("9.0")


@pytest.mark.parametrize("hours", ["nine", "12.55", "169", "NaN"])
def test_hours_that_are_not_a_week_s_hours_are_refused(cast, hours):
    with pytest.raises(ApplicationError) as exc:
        draft(cast, hours=hours)
    assert "weekly_hours" in exc.value.fields
    assert not Certification.objects.exists()


def test_a_statement_is_required(cast):
    with pytest.raises(ApplicationError) as exc:
        draft(cast, statement="   ")
    assert "statement" in exc.value.fields
    assert not Certification.objects.exists()


def test_a_draft_cannot_start_before_today(cast):
    with pytest.raises(ApplicationError) as exc:
        draft(cast, covers_from=today() - DAY)
    assert exc.value.fields["covers_from"][0].startswith(
        "A certification covers days from the day it is signed;"
    )
    assert not Certification.objects.exists()


def test_a_draft_cannot_start_before_the_admission(cast):
    cast.episode_a.admitted_on = today() + 5 * DAY
    cast.episode_a.save(update_fields=["admitted_on"])
    with pytest.raises(ApplicationError) as exc:
        draft(cast, covers_from=today() + DAY)
    assert "began on" in exc.value.fields["covers_from"][0]
    assert not Certification.objects.exists()


def test_billing_cannot_draft(cast):
    with pytest.raises(PermissionDenied):
        draft(cast, actor=cast.readonly_a)
    assert not Certification.objects.exists()


def test_a_clinician_of_another_program_cannot_draft(cast):
    with pytest.raises(PermissionDenied):
        draft(cast, actor=cast.clinician_b)
    assert not Certification.objects.exists()


def test_a_draft_is_edited_and_audited(cast):
    cert = draft(cast)
    draft(cast, certification=cert, hours="12", covers_from=today() + 2 * DAY)
    cert.refresh_from_db()
    assert cert.weekly_hours == Decimal("12")
    assert cert.covers_through == today() + 61 * DAY
    assert events("certification.change").count() == 1


# --- signing ----------------------------------------------------------------


def test_a_prescriber_with_an_md_licence_signs(cast, django_capture_on_commit_callbacks):
    licence(cast, cast.prescriber_a, "MD")
    cert = draft(cast, hours="12.5")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        certification_sign(actor=cast.prescriber_a, certification=cert)
    cert.refresh_from_db()
    assert cert.status == CertificationStatus.SIGNED
    assert cert.signed_by == cast.prescriber_a
    assert cert.signer_name == cast.prescriber_a.get_display_name()
    assert cert.credentials == "MD"
    assert cert.signed_at is not None
    assert "at least 12.5 hours a week" in cert.attestation
    assert f"from {today():%Y-%m-%d} through {today() + 59 * DAY:%Y-%m-%d}" in cert.attestation
    ev = events("certification.sign").get()
    assert ev.patient_id == cast.patient_a.pk
    assert ev.detail["licences"] == ["MD"]
    assert len(callbacks) == 1  # the episode's days are judged again once committed


def test_signing_rechecks_the_episodes_days(cast, monkeypatch, django_capture_on_commit_callbacks):
    from openiop.billing.services import days

    seen = []
    monkeypatch.setattr(days, "recheck_episodes", lambda ids: seen.append(list(ids)))
    licence(cast, cast.prescriber_a, "MD")
    cert = draft(cast)
    with django_capture_on_commit_callbacks(execute=True):
        certification_sign(actor=cast.prescriber_a, certification=cert)
    assert seen == [[cast.episode_a.pk]]


@pytest.mark.parametrize("kind", ["DO", "PMHNP"])
def test_other_certifying_licences_sign(cast, kind):
    licence(cast, cast.director_a, kind)
    cert = certification_sign(actor=cast.director_a, certification=draft(cast))
    assert cert.status == CertificationStatus.SIGNED


def test_a_clinician_with_an_lcsw_licence_is_refused(cast):
    licence(cast, cast.clinician_a, "LCSW")
    cert = draft(cast)
    with pytest.raises(PermissionDenied):
        certification_sign(actor=cast.clinician_a, certification=cert)
    cert.refresh_from_db()
    assert cert.status == CertificationStatus.DRAFT
    assert not events("certification.sign").filter(outcome="success").exists()


@pytest.mark.parametrize("kind", ["LCSW", "RN", "PhD/PsyD", "LPC"])
def test_a_signer_without_a_certifying_licence_is_refused(cast, kind):
    """The permission alone is not enough: a director holding only a non-certifying licence."""
    licence(cast, cast.director_a, kind)
    cert = draft(cast)
    with pytest.raises(PermissionDenied) as exc:
        certification_sign(actor=cast.director_a, certification=cert)
    assert "physician or qualified practitioner" in exc.value.message
    cert.refresh_from_db()
    assert cert.status == CertificationStatus.DRAFT
    assert cert.signed_by is None and not cert.attestation
    denied = events("certification.sign").get()
    assert denied.outcome != "success"


def test_an_expired_md_licence_is_refused(cast):
    licence(cast, cast.prescriber_a, "MD", expires_on=today() - DAY)
    cert = draft(cast)
    with pytest.raises(PermissionDenied):
        certification_sign(actor=cast.prescriber_a, certification=cert)
    cert.refresh_from_db()
    assert cert.status == CertificationStatus.DRAFT


def test_an_md_licence_of_another_state_is_refused(cast):
    other = "NV" if cast.program_a.site.state != "NV" else "OR"
    licence(cast, cast.prescriber_a, "MD", state=other)
    cert = draft(cast)
    with pytest.raises(PermissionDenied):
        certification_sign(actor=cast.prescriber_a, certification=cert)


def test_no_licence_at_all_is_refused(cast):
    with pytest.raises(PermissionDenied):
        certification_sign(actor=cast.prescriber_a, certification=draft(cast))


def test_a_certification_dated_after_the_days_it_covers_is_refused(cast):
    """A draft written for today, signed the next day: it would cover a day before its signature."""
    licence(cast, cast.prescriber_a, "MD")
    cert = draft(cast)
    Certification.objects.filter(pk=cert.pk).update(
        covers_from=today() - DAY, covers_through=today() + 58 * DAY
    )
    cert.refresh_from_db()
    with pytest.raises(ApplicationError) as exc:
        certification_sign(actor=cast.prescriber_a, certification=cert)
    assert exc.value.message.startswith("A certification covers days from the day it is signed;")
    cert.refresh_from_db()
    assert cert.status == CertificationStatus.DRAFT
    assert not events("certification.sign").exists()


def test_a_span_overlapping_a_signed_certification_is_refused_when_drafted(cast):
    licence(cast, cast.prescriber_a, "MD")
    certification_sign(actor=cast.prescriber_a, certification=draft(cast))
    with pytest.raises(ApplicationError) as exc:
        draft(cast, covers_from=today() + 59 * DAY)
    assert "overlap" in exc.value.fields["covers_from"][0]
    assert Certification.objects.count() == 1


def test_a_span_overlapping_a_signed_certification_is_refused_when_signed(cast):
    licence(cast, cast.prescriber_a, "MD")
    first = draft(cast)
    second = draft(cast, covers_from=today() + 10 * DAY)
    certification_sign(actor=cast.prescriber_a, certification=first)
    with pytest.raises(ApplicationError) as exc:
        certification_sign(actor=cast.prescriber_a, certification=second)
    assert "overlap" in exc.value.message
    second.refresh_from_db()
    assert second.status == CertificationStatus.DRAFT
    assert events("certification.sign").count() == 1


def test_the_next_days_make_a_recertification(cast):
    licence(cast, cast.prescriber_a, "MD")
    certification_sign(actor=cast.prescriber_a, certification=draft(cast))
    recert = draft(cast, covers_from=today() + 60 * DAY)
    assert recert.kind == "recertification"
    certification_sign(actor=cast.prescriber_a, certification=recert)
    recert.refresh_from_db()
    assert recert.kind == "recertification"


def test_a_draft_written_before_the_first_was_signed_is_signed_as_a_recertification(cast):
    licence(cast, cast.prescriber_a, "MD")
    first = draft(cast)
    later = draft(cast, covers_from=today() + 60 * DAY)
    assert later.kind == "initial"
    certification_sign(actor=cast.prescriber_a, certification=first)
    certification_sign(actor=cast.prescriber_a, certification=later)
    later.refresh_from_db()
    assert later.kind == "recertification"


def test_a_signed_certification_cannot_be_edited(cast):
    licence(cast, cast.prescriber_a, "MD")
    cert = certification_sign(actor=cast.prescriber_a, certification=draft(cast))
    with pytest.raises(ApplicationError) as exc:
        draft(cast, certification=cert, hours="20")
    assert "cannot be changed" in exc.value.message
    cert.refresh_from_db()
    assert cert.weekly_hours == Decimal("9")
    assert not events("certification.change").exists()


def test_a_draft_signed_meanwhile_is_not_edited(cast):
    """The edit was loaded while a draft; the signature came in first."""
    licence(cast, cast.prescriber_a, "MD")
    cert = draft(cast)
    stale = Certification.objects.get(pk=cert.pk)
    certification_sign(actor=cast.prescriber_a, certification=cert)
    with pytest.raises(Conflict):
        draft(cast, certification=stale, hours="20")
    cert.refresh_from_db()
    assert cert.weekly_hours == Decimal("9")


def test_signing_twice_is_refused(cast):
    licence(cast, cast.prescriber_a, "MD")
    cert = draft(cast)
    stale = Certification.objects.get(pk=cert.pk)
    certification_sign(actor=cast.prescriber_a, certification=cert)
    with pytest.raises(Conflict):
        certification_sign(actor=cast.prescriber_a, certification=stale)
    assert events("certification.sign").count() == 1


def test_a_discharged_episode_takes_no_certification(cast):
    licence(cast, cast.prescriber_a, "MD")
    cert = draft(cast)
    cast.episode_a.status = "discharged"
    cast.episode_a.discharged_on = today()
    cast.episode_a.save(update_fields=["status", "discharged_on"])
    with pytest.raises(ApplicationError):
        certification_sign(actor=cast.prescriber_a, certification=cert)
    cert.refresh_from_db()
    assert cert.status == CertificationStatus.DRAFT


# --- selectors --------------------------------------------------------------


def signed(cast, covers_from, covers_through, episode=None):
    episode = episode or cast.episode_a
    return Certification.objects.create(
        organization=cast.org,
        episode=episode,
        patient=episode.patient,
        kind="initial",
        status="signed",
        weekly_hours=9,
        statement=STATEMENT,
        covers_from=covers_from,
        covers_through=covers_through,
        signed_by=cast.prescriber_a,
        signed_at=timezone.now(),
    )


def test_the_current_certification_on_a_date(cast):
    t = today()
    cert = signed(cast, t - 10 * DAY, t + 49 * DAY)
    assert current_certification(cast.episode_a, t) == cert
    assert current_certification(cast.episode_a, t + 49 * DAY) == cert
    assert current_certification(cast.episode_a, t + 50 * DAY) is None
    assert current_certification(cast.episode_a, t - 11 * DAY) is None


def test_recertification_is_due_the_day_after_the_last_day_covered(cast):
    t = today()
    signed(cast, t - 52 * DAY, t + 7 * DAY)
    due = recertification_due(cast.episode_a, t)
    assert due.on == t + 8 * DAY
    assert not due.warn  # 8 days ahead: not yet
    due = recertification_due(cast.episode_a, t + DAY)
    assert due.days_left == 7 and due.warn and not due.overdue  # warned 7 days before


def test_a_lapsed_certification_is_overdue_since_the_day_after_it_ended(cast):
    t = today()
    signed(cast, t - 70 * DAY, t - 11 * DAY)
    due = recertification_due(cast.episode_a, t)
    assert due.on == t - 10 * DAY and due.overdue and due.initial


def test_without_any_certification_it_is_due_from_the_admission(cast):
    due = recertification_due(cast.episode_a, today())
    assert due.on == cast.episode_a.admitted_on and due.overdue


def test_the_due_list_holds_medicare_patients_due_within_14_days(cast):
    from tests.factories import EpisodeFactory

    t = today()
    medicare_for(cast)
    signed(cast, t - 50 * DAY, t + 9 * DAY)  # due in 10 days
    later = EpisodeFactory(program=cast.program_a, track=cast.track_a)
    medicare_for(cast, later.patient)
    signed(cast, t - 20 * DAY, t + 39 * DAY, episode=later)  # due in 40 days
    lapsed = EpisodeFactory(program=cast.program_a, track=cast.track_a)
    medicare_for(cast, lapsed.patient)
    signed(cast, t - 80 * DAY, t - 21 * DAY, episode=lapsed)  # overdue for 20 days
    never = EpisodeFactory(program=cast.program_a, track=cast.track_a)
    medicare_for(cast, never.patient)
    EpisodeFactory(program=cast.program_a, track=cast.track_a)  # not Medicare
    rows = list(certifications_due(actor=cast.clinician_a, today=t))
    assert [e.pk for e in rows] == [lapsed.pk, never.pk, cast.episode_a.pk]
    dues = {e.pk: due_of(e, t) for e in rows}
    assert dues[cast.episode_a.pk].on == t + 10 * DAY
    assert dues[lapsed.pk].on == t - 20 * DAY and dues[lapsed.pk].overdue
    assert dues[never.pk].on == never.admitted_on
    assert list(certifications_due(actor=cast.clinician_b, today=t)) == []
    assert list(certifications_due(actor=cast.auditor, today=t)) == []


# --- pages ------------------------------------------------------------------


def test_the_episode_page_says_when_recertification_is_due(cast):
    t = today()
    signed(cast, t - 55 * DAY, t + 4 * DAY)
    r = cast.client("clinician_a").get(f"/billing/episodes/{cast.episode_a.uuid}/certifications/")
    assert r.status_code == 200
    body = r.content.decode()
    assert f"recertification due on {t + 5 * DAY:%Y-%m-%d}" in body
    assert STATEMENT in body


def test_billing_sees_the_spans_but_not_the_statement(cast):
    t = today()
    signed(cast, t, t + 59 * DAY)
    r = cast.client("readonly_a").get(f"/billing/episodes/{cast.episode_a.uuid}/certifications/")
    assert r.status_code == 200
    body = r.content.decode()
    assert f"{t:%Y-%m-%d} to {t + 59 * DAY:%Y-%m-%d}" in body
    assert STATEMENT not in body


def test_the_chart_links_to_the_certifications(cast):
    r = cast.client("clinician_a").get(f"/patients/{cast.patient_a.uuid}/")
    assert f"/billing/episodes/{cast.episode_a.uuid}/certifications/" in r.content.decode()


def test_the_draft_form_refuses_8_hours_with_the_reason(cast):
    r = cast.client("clinician_a").post(
        f"/billing/episodes/{cast.episode_a.uuid}/certifications/new/",
        {"weekly_hours": "8", "statement": STATEMENT, "covers_from": f"{today():%Y-%m-%d}"},
    )
    assert r.status_code == 400
    assert "at least 9 hours" in r.content.decode()
    assert not Certification.objects.exists()


def test_the_sign_page_shows_the_attestation_and_signs(cast):
    licence(cast, cast.prescriber_a, "MD")
    cert = draft(cast)
    client = cast.client("prescriber_a")
    r = client.get(f"/billing/certifications/{cert.uuid}/sign/")
    assert r.status_code == 200
    assert "I certify that this patient needs intensive outpatient services" in r.content.decode()
    r = client.post(f"/billing/certifications/{cert.uuid}/sign/")
    assert r.status_code == 302
    cert.refresh_from_db()
    assert cert.status == CertificationStatus.SIGNED


def test_the_sign_page_refuses_without_a_licence_with_a_sentence(cast):
    licence(cast, cast.director_a, "LCSW")
    cert = draft(cast)
    r = cast.client("director_a").post(f"/billing/certifications/{cert.uuid}/sign/")
    assert r.status_code == 400
    assert "physician or qualified practitioner" in r.content.decode()
    cert.refresh_from_db()
    assert cert.status == CertificationStatus.DRAFT


def test_the_due_page_lists_a_medicare_patient(cast):
    medicare_for(cast)
    r = cast.client("readonly_a").get("/billing/certifications/")
    assert r.status_code == 200
    assert cast.patient_a.display_name in r.content.decode()
    assert events("certification.due").count() == 1


# --- type of bill and payment tier (DOMAIN.md, Revenue cycle facts) ----------


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        # "Types of bill: 12X/13X hospital outpatient, 85X critical access hospital,
        # 76X CMHC, 71X RHC, 77X FQHC"
        (ProviderKind.HOSPITAL_OUTPATIENT, "131"),
        (ProviderKind.HOSPITAL_PART_B, "121"),
        (ProviderKind.CRITICAL_ACCESS, "851"),
        (ProviderKind.CMHC, "761"),
        (ProviderKind.RHC, "711"),
        (ProviderKind.FQHC, "771"),
        (ProviderKind.FREESTANDING, ""),
    ],
)
def test_type_of_bill_by_provider_kind(kind, expected):
    assert medicare.bill_type(kind) == expected


def test_type_of_bill_carries_the_claim_frequency():
    assert medicare.bill_type(ProviderKind.HOSPITAL_OUTPATIENT, "7") == "137"
    with pytest.raises(ValueError):
        medicare.bill_type(ProviderKind.HOSPITAL_OUTPATIENT, "17")


@pytest.mark.parametrize(
    ("services", "tier"),
    # "payment is per day in two tiers: days with 3 services and days with 4 or more"
    [(0, ""), (1, ""), (2, ""), (3, "3"), (4, "4"), (5, "4"), (9, "4")],
)
def test_payment_tier(services, tier):
    assert medicare.payment_tier(services) == tier


def test_medicare_iop_facts():
    assert medicare.CONDITION_CODE == "92"  # "Claims carry condition code 92"
    assert medicare.PHP_CONDITION_CODE == "41"
    assert Decimal("9") == medicare.MIN_WEEKLY_HOURS  # "at least 9 hours of services a week"
    assert medicare.DEFAULT_RECERTIFICATION_DAYS == 60  # "about every 60 days"
    assert {"MD", "DO"} <= medicare.CERTIFYING_LICENCES
    assert "LCSW" not in medicare.CERTIFYING_LICENCES


# --- races (PostgreSQL) -----------------------------------------------------


def _postgresql_only():
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("concurrent signers need PostgreSQL (CI runs the suite there)")


@pytest.mark.django_db(transaction=True)
def test_two_signers_race_and_exactly_one_wins(cast):
    from tests.security.test_races import race, winners

    _postgresql_only()
    licence(cast, cast.prescriber_a, "MD")
    licence(cast, cast.director_a, "DO")
    cert = draft(cast)
    signers = [cast.prescriber_a, cast.director_a]

    def sign(i):
        return certification_sign(
            actor=signers[i % 2], certification=Certification.objects.get(pk=cert.pk)
        )

    results = race(sign, 8)
    won = winners(results)
    assert len(won) == 1, results
    assert all(isinstance(r, Conflict) for r in results if r not in won), results
    stored = Certification.objects.get(pk=cert.pk)
    assert stored.status == CertificationStatus.SIGNED
    assert stored.signed_by_id == won[0].signed_by_id
    assert events("certification.sign").filter(outcome="success").count() == 1


@pytest.mark.django_db(transaction=True)
def test_overlapping_drafts_signed_at_once_leave_one_signed(cast):
    from tests.security.test_races import race, winners

    _postgresql_only()
    licence(cast, cast.prescriber_a, "MD")
    licence(cast, cast.director_a, "DO")
    drafts = [draft(cast, covers_from=today() + i * DAY) for i in range(6)]
    signers = [cast.prescriber_a, cast.director_a]

    def sign(i):
        return certification_sign(
            actor=signers[i % 2], certification=Certification.objects.get(pk=drafts[i].pk)
        )

    results = race(sign, 6)
    assert len(winners(results)) == 1, results
    assert Certification.objects.filter(status=CertificationStatus.SIGNED).count() == 1
    assert events("certification.sign").filter(outcome="success").count() == 1


def test_a_certification_far_in_the_future_is_refused_not_a_crash(cast):
    import datetime as _dt

    from openiop.billing.models import Certification
    from openiop.billing.services.certifications import certification_draft
    from openiop.core.errors import ApplicationError

    with pytest.raises(ApplicationError) as exc:
        certification_draft(
            actor=cast.clinician_a,
            episode=cast.episode_a,
            weekly_hours="9",
            statement="Synthetic statement.",
            covers_from=_dt.date(9999, 12, 30),
        )
    assert "covers_from" in exc.value.fields
    assert not Certification.objects.exists()
