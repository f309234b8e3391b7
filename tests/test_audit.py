"""The audit trail: append-only, hash-chained, covers reads, logins and denials."""

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from openiop.audit.models import AuditEvent, AuditSubject
from openiop.audit.selectors import audit_search
from openiop.audit.services import GENESIS, audit_record, audit_verify
from openiop.patients.services import patient_update


def _disable_trigger():
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_append_only")
        else:
            cur.execute("DROP TRIGGER audit_event_append_only")


def test_events_form_a_hash_chain(cast):
    first = audit_record(actor=cast.clinician_a, action="read", event="x.one")
    second = audit_record(actor=cast.clinician_a, action="read", event="x.two")
    assert second.prev_hash == first.hash
    assert AuditEvent.objects.order_by("id").first().prev_hash == GENESIS
    assert audit_verify().ok


def test_verify_reports_the_first_row_changed_directly_in_the_database(cast):
    audit_record(actor=cast.clinician_a, action="read", event="x.one")
    target = audit_record(actor=cast.clinician_a, action="read", event="x.two")
    audit_record(actor=cast.clinician_a, action="read", event="x.three")
    _disable_trigger()
    with connection.cursor() as cur:
        cur.execute("UPDATE audit_auditevent SET event = 'x.forged' WHERE id = %s", [target.id])
    result = audit_verify()
    assert not result.ok
    assert result.broken_id == target.id
    assert "content" in result.reason


def test_verify_reports_a_removed_row(cast):
    audit_record(actor=cast.clinician_a, action="read", event="x.one")
    gone = audit_record(actor=cast.clinician_a, action="read", event="x.two")
    after = audit_record(actor=cast.clinician_a, action="read", event="x.three")
    if connection.vendor == "postgresql":
        _disable_trigger()
    with connection.cursor() as cur:
        cur.execute("DELETE FROM audit_auditevent WHERE id = %s", [gone.id])
    result = audit_verify()
    assert not result.ok
    assert result.broken_id == after.id
    assert "link" in result.reason


def test_the_database_refuses_to_update_an_audit_row(cast):
    event = audit_record(actor=cast.clinician_a, action="read", event="x.one")
    with (
        pytest.raises(Exception, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cur,
    ):
        cur.execute("UPDATE audit_auditevent SET event = 'x' WHERE id = %s", [event.id])


def test_the_orm_refuses_to_change_or_delete_audit_rows(cast):
    event = audit_record(actor=cast.clinician_a, action="read", event="x.one")
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        event.delete()
    with pytest.raises(TypeError):
        AuditEvent.objects.all().update(event="x")
    with pytest.raises(TypeError):
        AuditEvent.objects.all().delete()


def test_audit_verify_command_exits_1_on_a_broken_chain(cast, capsys):
    audit_record(actor=cast.clinician_a, action="read", event="x.one")
    call_command("audit", "verify")
    assert "intact" in capsys.readouterr().out
    event = audit_record(actor=cast.clinician_a, action="read", event="x.two")
    _disable_trigger()
    with connection.cursor() as cur:
        cur.execute("UPDATE audit_auditevent SET outcome = 'failure' WHERE id = %s", [event.id])
    from django.core.management.base import CommandError

    with pytest.raises(CommandError) as err:
        call_command("audit", "verify")
    assert err.value.returncode == 1
    assert f"event {event.id}" in str(err.value)


def test_reading_a_chart_is_audited_with_the_patient_and_request(cast):
    response = cast.client("clinician_a").get(
        f"/patients/{cast.patient_a.uuid}/", REMOTE_ADDR="10.1.2.3"
    )
    assert response.status_code == 200
    event = AuditEvent.objects.filter(event="patient.chart").get()
    assert event.action == "read"
    assert event.patient_id == cast.patient_a.pk
    assert event.actor_id == cast.clinician_a.pk
    assert event.request_id == response["X-Request-ID"]
    assert event.client_ip == "10.1.2.3"
    assert event.organization_id == cast.org.pk


def test_a_list_showing_patients_records_each_patient_shown(cast):
    cast.client("director_a").get("/patients/")
    event = AuditEvent.objects.filter(event="patient.search").get()
    shown = set(AuditSubject.objects.filter(event=event).values_list("patient_id", flat=True))
    assert shown == {cast.patient_a.pk}
    assert event.detail["patient_ids"] == [cast.patient_a.pk]


def test_an_update_records_changed_field_names_but_never_values(cast):
    patient_update(
        actor=cast.clinician_a, patient=cast.patient_a, phone="555-0199", pronouns="they/them"
    )
    event = AuditEvent.objects.filter(event="patient.update").get()
    assert event.changed_fields == ["phone", "pronouns"]
    row = str(event.canonical())
    assert "555-0199" not in row and "they/them" not in row


def test_logins_succeeded_and_failed_are_audited(cast, client, password):
    client.post("/accounts/login/", {"username": "clin.a", "password": "wrong"})
    client.post("/accounts/login/", {"username": "clin.a", "password": password})
    failed = AuditEvent.objects.get(event="login.failed")
    assert failed.outcome == "failure" and failed.actor_name == "clin.a"
    ok = AuditEvent.objects.get(event="login.password")
    assert ok.outcome == "success" and ok.actor_id == cast.clinician_a.pk


def test_permission_denials_are_audited(cast):
    cast.client("readonly_a").get("/organization/staff/")
    denied = AuditEvent.objects.get(outcome="denied")
    assert denied.event == "staff.view" and denied.actor_id == cast.readonly_a.pk


def test_auditors_search_by_patient_user_and_dates(cast):
    cast.client("clinician_a").get(f"/patients/{cast.patient_a.uuid}/")
    cast.client("director_a").get("/patients/")
    cast.client("clinician_b").get(f"/patients/{cast.patient_b.uuid}/")
    by_patient = audit_search(actor=cast.auditor, patient_id=cast.patient_a.pk)
    assert {e.event for e in by_patient} == {"patient.chart", "patient.search"}
    by_user = audit_search(actor=cast.auditor, user_id=cast.clinician_b.pk)
    assert [e.event for e in by_user] == ["patient.chart"]
    from django.utils import timezone

    today = timezone.localdate()  # the dates an auditor types are the site's
    assert audit_search(actor=cast.auditor, date_from=today, date_to=today).count() >= 3
    assert not audit_search(actor=cast.auditor, date_to=today.replace(year=2000)).exists()
    page = cast.client("auditor").get("/audit/", {"patient": cast.patient_a.mrn})
    assert page.status_code == 200
    assert b"patient.chart" in page.content


def test_nobody_but_auditors_and_administrators_sees_the_log(cast):
    audit_record(actor=cast.clinician_a, action="read", event="x.one", organization_id=cast.org.pk)
    assert not audit_search(actor=cast.clinician_a).exists()
    assert audit_search(actor=cast.auditor).exists()


def test_auditors_find_a_patient_by_name_and_the_lookup_is_audited(cast):
    """An auditor looking into a complaint knows a name, not an MRN (the log
    searched by MRN only, and patient search is refused to auditors)."""
    from tests.factories import OrganizationFactory, PatientFactory

    cast.client("clinician_a").get(f"/patients/{cast.patient_a.uuid}/")
    auditor = cast.client("auditor")
    name = cast.patient_a.legal_family_name
    page = auditor.get("/audit/", {"patient": name.upper()})
    assert page.status_code == 200
    assert b"patient.chart" in page.content  # the one match's events
    lookup = AuditEvent.objects.filter(event="audit.patient_lookup", actor=cast.auditor).last()
    assert lookup.detail["patient_ids"] == [cast.patient_a.pk]
    assert lookup.detail["purpose"] == "audit"

    # two patients share a family name: the auditor chooses, no events yet
    twin = PatientFactory(
        organization=cast.org, legal_family_name=name, search_name=f"x {name}".lower()
    )
    page = auditor.get("/audit/", {"patient": name})
    text = page.content.decode()
    assert "Several patients match" in text and "patient.chart" not in text
    assert cast.patient_a.mrn in text and twin.mrn in text
    # a date of birth, an MRN
    assert auditor.get("/audit/", {"patient": cast.patient_a.mrn}).content.count(b"patient.chart")

    # another organization's patient is not found, and nothing of it is shown
    stranger = PatientFactory(organization=OrganizationFactory(), legal_family_name="Elsewhere")
    page = auditor.get("/audit/", {"patient": "Elsewhere"})
    assert b"No patient matches." in page.content and stranger.mrn.encode() not in page.content
    assert auditor.get("/audit/", {"patient": stranger.mrn}).content.count(b"No patient matches.")
    # the clinician still cannot read the log at all
    assert cast.client("clinician_a").get("/audit/", {"patient": name}).status_code == 403
