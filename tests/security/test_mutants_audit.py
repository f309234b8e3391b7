"""The audit trail is hash-chained and append-only: every recorded field and
the link to the previous event are under the hash, so no row can be changed,
removed or relinked unseen; the ORM refuses to change or delete an event.

Written against the mutants of `.ci/mutation` (group `audit`)."""

import datetime as dt
import uuid

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection, transaction

from openiop.audit.models import AuditEvent, AuditHead
from openiop.audit.services import (
    GENESIS,
    VerifyResult,
    _locked_head,
    audit_head,
    audit_record,
    audit_verify,
)
from openiop.core import context


def event(**over):
    data = dict(
        occurred_at=dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC),
        actor_id=3,
        actor_name="Clin A",
        organization_id=4,
        request_id="req",
        client_ip="10.0.0.1",
        via="web",
        action="read",
        event="patient.view",
        outcome="success",
        patient_id=5,
        object_type="patient",
        object_id="abc",
        purpose="treatment",
        changed_fields=["a"],
        detail={"k": 1},
        prev_hash=GENESIS,
    )
    data.update(over)
    return AuditEvent(**data)


CHANGES = {
    "occurred_at": dt.datetime(2026, 1, 2, 3, 4, 6, tzinfo=dt.UTC),
    "actor_id": 9,
    "actor_name": "Someone",
    "organization_id": 9,
    "request_id": "other",
    "client_ip": "10.0.0.2",
    "via": "api",
    "action": "update",
    "event": "patient.change",
    "outcome": "denied",
    "patient_id": 9,
    "object_type": "episode",
    "object_id": "xyz",
    "purpose": "payment",
    "changed_fields": ["b"],
    "detail": {"k": 2},
    "prev_hash": "1" * 64,
}


@pytest.mark.parametrize("field", sorted(CHANGES))
def test_every_recorded_field_and_the_link_are_under_the_hash(field):
    assert event(**{field: CHANGES[field]}).compute_hash() != event().compute_hash()


def test_the_hash_is_sha256_of_the_link_and_the_canonical_content():
    import hashlib

    e = event()
    assert e.compute_hash() == hashlib.sha256((GENESIS + e.canonical()).encode()).hexdigest()
    assert e.canonical().startswith('["2026-01-02T03:04:05+00:00",3,"Clin A",4,')


@pytest.mark.django_db
def test_events_link_to_the_one_before_and_verify(cast):
    a = audit_record(actor=cast.clinician_a, action="read", event="x.1", patient=cast.patient_a)
    b = audit_record(actor=cast.clinician_a, action="read", event="x.2", patient=cast.patient_a)
    assert b.prev_hash == a.hash
    assert b.hash == b.compute_hash()
    result = audit_verify()
    assert result.ok and result.checked == AuditEvent.objects.count()


@pytest.mark.django_db
def test_the_orm_refuses_to_change_or_delete_an_event(cast):
    e = audit_record(actor=cast.clinician_a, action="read", event="x.1")
    with pytest.raises(TypeError, match="append-only"):
        e.save()
    with pytest.raises(TypeError, match="append-only"):
        e.delete()
    with pytest.raises(TypeError, match="append-only"):
        AuditEvent.objects.filter(pk=e.pk).update(event="y")
    with pytest.raises(TypeError, match="append-only"):
        AuditEvent.objects.filter(pk=e.pk).delete()
    assert AuditEvent.objects.get(pk=e.pk).event == "x.1"


def test_the_canonical_form_is_fixed():
    """The exact bytes under the hash: compact JSON, keys sorted (a JSON column
    may give the keys of `detail` back in another order), values that JSON has
    no type for written as text."""
    e = event(detail={"b": 1, "a": uuid.UUID(int=1), "c": dt.date(2026, 1, 2)})
    assert e.canonical() == (
        '["2026-01-02T03:04:05+00:00",3,"Clin A",4,"req","10.0.0.1","web","read",'
        '"patient.view","success",5,"patient","abc","treatment",["a"],'
        '{"a":"00000000-0000-0000-0000-000000000001","b":1,"c":"2026-01-02"}]'
    )
    reordered = event(detail={"c": dt.date(2026, 1, 2), "a": uuid.UUID(int=1), "b": 1})
    assert reordered.compute_hash() == e.compute_hash()


APPEND_ONLY = r"^Audit events are append-only\.$"


@pytest.mark.django_db
def test_the_orm_refusal_says_the_trail_is_append_only(cast):
    e = audit_record(actor=cast.clinician_a, action="read", event="x.1")
    for attempt in (
        e.save,
        e.delete,
        lambda: AuditEvent.objects.filter(pk=e.pk).update(event="y"),
        lambda: AuditEvent.objects.filter(pk=e.pk).delete(),
    ):
        with pytest.raises(TypeError, match=APPEND_ONLY):
            attempt()


# --- audit_record: what an event holds -------------------------------------------


@pytest.mark.django_db
def test_an_event_records_who_from_where_what_and_whose(cast):
    """Actor and their name, the request and the client address (normalised),
    the channel and purpose, the object by type and uuid, the patient and the
    organization the event belongs to (the patient's), the changed field names
    sorted, and every patient a list showed."""
    with context.bind(
        request_id="r" * 40, client_ip="2001:DB8:0:0:0:0:0:1", via="api", purpose="payment"
    ):
        e = audit_record(
            actor=cast.clinician_a,
            action="update",
            event="episode.change",
            obj=cast.episode_a,
            patient=cast.patient_a,
            patient_ids=[cast.patient_b.pk, cast.patient_a.pk, cast.patient_b.pk],
            changed_fields=["track", "status"],
            detail={"k": "v"},
        )
    e = AuditEvent.objects.get(pk=e.pk)
    assert (e.actor, e.actor_name) == (cast.clinician_a, cast.clinician_a.get_display_name())
    assert (e.request_id, e.client_ip, e.via, e.purpose) == (
        "r" * 32,
        "2001:db8::1",
        "api",
        "payment",
    )
    assert (e.action, e.event, e.outcome) == ("update", "episode.change", "success")
    assert (e.object_type, e.object_id) == ("episode", str(cast.episode_a.uuid))
    assert (e.patient, e.organization_id) == (cast.patient_a, cast.org.pk)
    assert e.changed_fields == ["status", "track"]
    ids = sorted([cast.patient_a.pk, cast.patient_b.pk])
    assert e.detail == {"k": "v", "patient_ids": ids}
    assert sorted(e.subjects.values_list("patient_id", flat=True)) == ids
    assert e.hash == e.compute_hash()


@pytest.mark.django_db
def test_an_anonymous_event_names_nobody_and_a_given_name_or_organization_wins(cast):
    e = audit_record(actor=None, action="login", event="login.failed", outcome="failure")
    assert (e.actor, e.actor_name, e.object_type, e.object_id) == (None, "anonymous", "", "")
    assert (e.patient, e.client_ip, e.detail, e.outcome) == (None, None, {}, "failure")
    e = audit_record(
        actor=cast.clinician_a,
        action="execute",
        event="job.run",
        actor_name="N" * 200,
        organization_id=cast.org.pk + 1000,
        patient=cast.patient_a,
    )
    assert (e.actor_name, e.organization_id) == ("N" * 150, cast.org.pk + 1000)


@pytest.mark.django_db
def test_an_object_without_a_uuid_is_named_by_its_key(cast):
    e = audit_record(actor=cast.admin, action="update", event="x.keyed", obj=AuditHead(pk=7))
    assert (e.object_type, e.object_id) == ("audithead", "7")
    e = audit_record(actor=cast.admin, action="update", event="x.unsaved", obj=AuditHead(pk=None))
    assert (e.object_type, e.object_id) == ("audithead", "")


# --- the head -------------------------------------------------------------------


def _sql(*statements):
    """Tamper as someone with the database would: triggers off, then the statements."""
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_append_only")
            cur.execute("ALTER TABLE audit_audithead DISABLE TRIGGER audit_head_kept")
        else:
            cur.execute("DROP TRIGGER IF EXISTS audit_event_append_only")
        for statement, params in statements:
            cur.execute(statement, params)


def _head():
    return AuditHead.objects.values_list("count", "last_id", "last_hash").get(pk=1)


@pytest.mark.django_db
def test_the_head_moves_by_exactly_one_event_per_append(cast):
    before = AuditEvent.objects.count()
    for i in range(3):
        e = audit_record(actor=cast.clinician_a, action="read", event=f"x.{i}")
        assert _head() == (before + i + 1, e.pk, e.hash)
        assert audit_head() == {"events": before + i + 1, "last_id": e.pk, "last_hash": e.hash}


def test_without_a_head_the_recorded_head_is_the_empty_chain(db):
    _sql(("DELETE FROM audit_audithead", []))
    assert audit_head() == {"events": 0, "last_id": 0, "last_hash": GENESIS}


@pytest.mark.django_db
def test_a_removed_head_is_made_again_from_the_last_event_and_marked(cast):
    """The next append finds the head gone: it starts a new one at the newest
    event (its id, hash and the number of events), links to it, and the new
    head says when it was made again."""
    a = audit_record(actor=cast.clinician_a, action="read", event="x.1")
    b = audit_record(actor=cast.clinician_a, action="read", event="x.2")
    assert a.pk < b.pk
    n = AuditEvent.objects.count()
    _sql(("DELETE FROM audit_audithead", []))
    c = audit_record(actor=cast.clinician_a, action="read", event="x.3")
    assert c.prev_hash == b.hash
    assert _head() == (n + 1, c.pk, c.hash)
    assert AuditHead.objects.get().recreated_at is not None


def test_a_head_removed_before_any_event_starts_from_the_beginning(db):
    _sql(("DELETE FROM audit_audithead", []))
    e = audit_record(actor=None, action="read", event="x.1")
    assert e.prev_hash == GENESIS
    assert _head() == (1, e.pk, e.hash)


# --- audit_verify: each kind of break, where and why -------------------------------


@pytest.fixture
def chain(cast):
    return [
        audit_record(actor=cast.clinician_a, action="read", event=f"x.{i}", patient=cast.patient_a)
        for i in range(4)
    ]


def test_an_intact_chain_verifies_with_every_event_counted(chain):
    assert audit_verify() == VerifyResult(True, AuditEvent.objects.count())
    assert audit_verify(chunk_size=1) == VerifyResult(True, AuditEvent.objects.count())


def test_a_broken_link_is_reported_at_the_event_after_it(chain):
    n = AuditEvent.objects.count()
    _sql(("DELETE FROM audit_auditevent WHERE id = %s", [chain[1].pk]))
    assert audit_verify() == VerifyResult(
        False,
        n - 3,
        chain[2].pk,
        "its link to the previous event is broken (an event before it was removed or changed)",
    )


def test_changed_content_is_reported_at_that_event(chain):
    n = AuditEvent.objects.count()
    _sql(("UPDATE audit_auditevent SET event = 'x.forged' WHERE id = %s", [chain[2].pk]))
    assert audit_verify() == VerifyResult(
        False, n - 2, chain[2].pk, "its content no longer matches its hash"
    )


def test_events_removed_at_the_tail_are_reported_with_the_counts(chain):
    n = AuditEvent.objects.count()
    _sql(("DELETE FROM audit_auditevent WHERE id >= %s", [chain[2].pk]))
    assert audit_verify() == VerifyResult(
        False,
        n - 2,
        None,
        f"the chain ends at event {chain[1].pk} after {n - 2} events, but its head says "
        f"{n} events ending at event {chain[3].pk}: events were removed",
    )


@pytest.mark.parametrize(
    "change",
    [
        "count = count + 1",
        "last_id = last_id + 1",
        "last_hash = '" + "f" * 64 + "'",
    ],
)
def test_a_head_differing_in_any_one_part_is_reported(chain, change):
    _sql((f"UPDATE audit_audithead SET {change}", []))  # noqa: S608
    result = audit_verify()
    assert (result.ok, result.broken_id) == (False, None)
    assert result.reason.endswith(": events were removed")


def test_a_missing_head_is_reported(chain):
    _sql(("DELETE FROM audit_audithead", []))
    assert audit_verify() == VerifyResult(
        False, AuditEvent.objects.count(), None, "the chain head is missing"
    )


def test_a_head_made_again_is_reported_with_when(chain, cast):
    _sql(("DELETE FROM audit_audithead", []))
    audit_record(actor=cast.clinician_a, action="read", event="x.after")
    head = AuditHead.objects.get()
    assert audit_verify() == VerifyResult(
        False,
        AuditEvent.objects.count(),
        None,
        f"the chain head was removed and made again at {head.recreated_at:%Y-%m-%d %H:%M}",
    )


def test_an_empty_trail_is_reported_as_such(db):
    assert audit_verify() == VerifyResult(
        False, 0, None, "the audit trail is empty: nothing shows it was not emptied"
    )


def test_a_recorded_head_matching_the_chain_verifies(chain):
    assert audit_verify(expect=audit_head()) == VerifyResult(True, AuditEvent.objects.count())
    assert audit_verify(expect={"last_id": 0}).ok
    assert audit_verify(expect={}).ok


def test_a_recorded_head_whose_event_changed_is_reported_there(chain):
    recorded = audit_head()
    n = recorded["events"]
    for expect in (
        {**recorded, "last_hash": "f" * 64},
        {**recorded, "events": n + 1},
        {**recorded, "events": n - 1},
    ):
        assert audit_verify(expect=expect) == VerifyResult(
            False, n - 1, chain[3].pk, "it differs from the head recorded in the manifest"
        )


def test_a_recorded_head_of_an_earlier_event_verifies(chain):
    earlier = {
        "events": AuditEvent.objects.count() - 2,
        "last_id": chain[1].pk,
        "last_hash": chain[1].hash,
    }
    assert audit_verify(expect=earlier).ok


def test_a_recorded_head_whose_event_is_gone_is_reported_with_the_counts(chain):
    recorded = audit_head()
    n = recorded["events"]
    _sql(
        ("DELETE FROM audit_auditevent WHERE id = %s", [chain[3].pk]),
        (
            "UPDATE audit_audithead SET count = %s, last_id = %s, last_hash = %s",
            [n - 1, chain[2].pk, chain[2].hash],
        ),
    )
    assert audit_verify(expect=recorded) == VerifyResult(
        False,
        n - 1,
        None,
        f"event {chain[3].pk} of the recorded head is missing "
        f"(events were removed: {n} were recorded, {n - 1} remain)",
    )


@pytest.mark.django_db
def test_a_head_found_missing_is_made_again_at_the_newest_event_and_marked(cast):
    """What the lock finds when the head row is gone: a new head at the newest
    event (its id and hash, the number of events) that says it was made again."""
    audit_record(actor=cast.clinician_a, action="read", event="x.1")
    b = audit_record(actor=cast.clinician_a, action="read", event="x.2")
    n = AuditEvent.objects.count()
    _sql(("DELETE FROM audit_audithead", []))
    with transaction.atomic():
        head = _locked_head()
        assert (head.pk, head.count, head.last_id, head.last_hash) == (1, n, b.pk, b.hash)
        assert head.recreated_at is not None
        assert _locked_head() == head


def test_a_head_missing_from_an_empty_database_is_a_fresh_one(db):
    _sql(("DELETE FROM audit_audithead", []))
    with transaction.atomic():
        head = _locked_head()
        assert (head.pk, head.count, head.last_id, head.last_hash) == (1, 0, 0, GENESIS)
        assert head.recreated_at is None


@pytest.mark.django_db
@pytest.mark.parametrize("actor", [None, AnonymousUser(), object()], ids=["none", "anon", "other"])
def test_only_a_signed_in_user_is_recorded_as_the_actor(actor):
    e = audit_record(actor=actor, action="read", event="x.anonymous")
    assert (e.actor, e.actor_name) == (None, "anonymous")


@pytest.mark.django_db
def test_an_event_belongs_to_the_organization_of_its_object_then_of_its_patient(cast):
    from tests.factories import OrganizationFactory, ProgramFactory

    elsewhere = ProgramFactory(organization=OrganizationFactory())
    e = audit_record(actor=None, action="read", event="x.o", obj=elsewhere, patient=cast.patient_a)
    assert e.organization_id == elsewhere.organization_id
    e = audit_record(actor=None, action="read", event="x.p", patient=cast.patient_a)
    assert e.organization_id == cast.patient_a.organization_id


class Report:
    """Something audited that is not a database row."""


@pytest.mark.django_db
def test_an_object_with_neither_uuid_nor_key_is_named_by_its_type_alone():
    e = audit_record(actor=None, action="execute", event="report.run", obj=Report())
    assert (e.object_type, e.object_id) == ("report", "")


@pytest.mark.django_db
def test_saving_a_new_event_passes_the_options_on_to_django():
    """Only an existing row is refused by AuditEvent.save; a new one is saved by
    Django with the options given (force_update on a row never saved fails)."""
    with pytest.raises(ValueError, match="no primary key"):
        event(actor_id=None, patient_id=None).save(force_update=True)


@pytest.mark.django_db
def test_an_event_without_object_or_patient_belongs_to_the_organization_of_its_user(cast):
    """The actor's organization; for an anonymous event about an account (a
    failed sign-in), that account's organization."""
    e = audit_record(actor=cast.clinician_a, action="read", event="x.own")
    assert e.organization_id == cast.org.pk
    e = audit_record(
        actor=None,
        action="login",
        event="login.failed",
        outcome="failure",
        subject_user=cast.clinician_a,
    )
    assert (e.actor, e.organization_id) == (None, cast.org.pk)
