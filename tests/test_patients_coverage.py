"""Coverage edited and ended: the same refusals as a new coverage (an end
before the start, another organization's payer, an inactive payer), nothing
written on a refusal, the change audited, and billing asked to judge the
patient's days again (a day held for coverage is released once the coverage
reaches it)."""

import datetime as dt

import pytest

from openiop.audit.models import AuditEvent
from openiop.billing.day_models import BillingDay, DayStatus
from openiop.billing.models import Payer
from openiop.billing.services.days import days_evaluate
from openiop.core.errors import ApplicationError, PermissionDenied
from openiop.patients.models import Coverage
from openiop.patients.services import coverage_add, coverage_change
from tests.billing_helpers import ready_week
from tests.factories import OrganizationFactory


@pytest.fixture
def cov(cast):
    return Coverage.objects.create(
        patient=cast.patient_a,
        payer_type="medicaid",
        payer_name="Demo Medicaid",
        member_id="X1",
        starts_on=dt.date(2026, 1, 1),
    )


def fields(c: Coverage) -> tuple:
    c = Coverage.objects.get(pk=c.pk)
    return (
        c.payer_id,
        c.payer_type,
        c.payer_name,
        c.member_id,
        c.group_number,
        c.is_primary,
        c.starts_on,
        c.ends_on,
    )


def test_the_edit_page_changes_and_ends_a_coverage(cast, cov):
    payer = Payer.objects.create(organization=cast.org, name="Synthetic Plan", kind="commercial")
    client = cast.client("intake")
    chart = client.get(f"/patients/{cast.patient_a.uuid}/").content.decode()
    url = f"/patients/{cast.patient_a.uuid}/coverage/{cov.uuid}/edit/"
    assert url in chart
    page = client.get(url)
    assert page.status_code == 200 and "X1" in page.content.decode()
    response = client.post(
        url,
        {
            "payer": str(payer.uuid),
            "payer_type": "medicaid",
            "payer_name": "Demo Medicaid",
            "member_id": "Y2",
            "group_number": "G7",
            "is_primary": "on",
            "starts_on": "2026-01-01",
            "ends_on": "2026-06-30",
        },
    )
    assert response.status_code == 302
    assert fields(cov) == (
        payer.pk,
        "commercial",
        "Synthetic Plan",
        "Y2",
        "G7",
        True,
        dt.date(2026, 1, 1),
        dt.date(2026, 6, 30),
    )
    event = AuditEvent.objects.get(event="coverage.update")
    assert event.patient_id == cast.patient_a.pk
    assert set(event.changed_fields) == {
        "payer",
        "payer_type",
        "payer_name",
        "member_id",
        "group_number",
        "ends_on",
    }
    assert "Y2" not in str(event.detail)  # the fields' names, never their values


def test_an_end_before_the_start_is_refused_and_changes_nothing(cast, cov):
    before = fields(cov)
    with pytest.raises(ApplicationError) as err:
        coverage_change(actor=cast.intake, coverage=cov, ends_on=dt.date(2025, 12, 31))
    assert "ends_on" in err.value.fields
    response = cast.client("intake").post(
        f"/patients/{cast.patient_a.uuid}/coverage/{cov.uuid}/edit/",
        {
            "payer_type": "medicaid",
            "payer_name": "Demo Medicaid",
            "member_id": "Z9",
            "starts_on": "2026-01-01",
            "ends_on": "2025-12-31",
        },
    )
    assert response.status_code == 200
    assert "Coverage cannot end before it starts." in response.content.decode()
    assert fields(cov) == before
    assert not AuditEvent.objects.filter(event="coverage.update").exists()


def test_another_organizations_or_an_inactive_payer_is_refused(cast, cov):
    theirs = Payer.objects.create(organization=OrganizationFactory(), name="X", kind="commercial")
    asleep = Payer.objects.create(
        organization=cast.org, name="Dormant Plan", kind="commercial", is_active=False
    )
    before = fields(cov)
    for payer in (theirs, asleep):
        with pytest.raises(ApplicationError) as err:
            coverage_change(actor=cast.intake, coverage=cov, payer=payer, member_id="Z9")
        assert "payer" in err.value.fields
    assert fields(cov) == before
    assert not AuditEvent.objects.filter(event="coverage.update").exists()


def test_a_payer_deactivated_since_stays_linked_when_other_fields_change(cast, cov):
    payer = Payer.objects.create(organization=cast.org, name="Synthetic Plan", kind="commercial")
    coverage_change(actor=cast.intake, coverage=cov, payer=payer)
    Payer.objects.filter(pk=payer.pk).update(is_active=False)
    cov.refresh_from_db()
    coverage_change(actor=cast.intake, coverage=cov, member_id="Z9")
    assert fields(cov)[:4] == (payer.pk, "commercial", "Synthetic Plan", "Z9")
    # the edit page still shows the link (no silent unlinking on save)
    page = cast.client("intake").get(f"/patients/{cast.patient_a.uuid}/coverage/{cov.uuid}/edit/")
    assert f'value="{payer.uuid}" selected' in page.content.decode()


def test_one_coverage_stays_primary(cast, cov):
    other = coverage_add(
        actor=cast.intake, patient=cast.patient_a, payer_type="commercial", payer_name="Mutual"
    )
    assert not Coverage.objects.get(pk=cov.pk).is_primary
    cov.refresh_from_db()
    coverage_change(actor=cast.intake, coverage=cov, is_primary=True)
    assert list(cast.patient_a.coverages.filter(is_primary=True)) == [cov]
    assert not Coverage.objects.get(pk=other.pk).is_primary


def test_nothing_changed_writes_nothing(cast, cov):
    coverage_change(actor=cast.intake, coverage=cov, member_id="X1")
    assert not AuditEvent.objects.filter(event="coverage.update").exists()


def test_another_programs_clinician_cannot_edit(cast, cov):
    before = fields(cov)
    with pytest.raises(PermissionDenied):
        coverage_change(actor=cast.clinician_b, coverage=cov, member_id="Z9")
    url = f"/patients/{cast.patient_a.uuid}/coverage/{cov.uuid}/edit/"
    assert cast.client("clinician_b").post(url, {"member_id": "Z9"}).status_code == 404
    assert fields(cov) == before


def test_a_coverage_of_another_patient_is_not_found_under_this_one(cast, cov):
    url = f"/patients/{cast.patient_b.uuid}/coverage/{cov.uuid}/edit/"
    assert cast.client("director_a").get(url).status_code == 404


# --- billing judges the days again ---------------------------------------------------


@pytest.fixture
def held(cast):
    """ready_week with the coverage ended before the week: every day held for
    coverage alone."""
    w = ready_week(cast)
    w.coverage.ends_on = w.monday - dt.timedelta(days=1)
    w.coverage.save()
    days_evaluate(organization=cast.org, start=w.monday, end=w.monday + dt.timedelta(days=6))
    days = BillingDay.objects.filter(episode=w.episode, date__in=w.days)
    assert [(d.status, d.held_for) for d in days] == [(DayStatus.HELD, ",coverage,")] * 3
    return w


def test_ending_the_coverage_later_releases_the_held_days(
    cast, held, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        coverage_change(actor=cast.intake, coverage=held.coverage, ends_on=held.days[-1])
    assert len(callbacks) == 1
    days = BillingDay.objects.filter(episode=held.episode, date__in=held.days)
    assert {d.status for d in days} == {DayStatus.READY}


def test_a_refused_change_asks_for_no_recheck(cast, held, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(ApplicationError):
        coverage_change(
            actor=cast.intake,
            coverage=held.coverage,
            ends_on=held.coverage.starts_on - dt.timedelta(1),
        )
    assert callbacks == []


def test_adding_coverage_releases_the_held_days(cast, held, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        coverage_add(
            actor=cast.intake,
            patient=cast.patient_a,
            payer=held.payer,
            member_id="SYN-0002",
            starts_on=held.monday,
        )
    assert len(callbacks) == 1
    days = BillingDay.objects.filter(episode=held.episode, date__in=held.days)
    assert {d.status for d in days} == {DayStatus.READY}
