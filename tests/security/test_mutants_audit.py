"""The audit trail is hash-chained and append-only: every recorded field and
the link to the previous event are under the hash, so no row can be changed,
removed or relinked unseen; the ORM refuses to change or delete an event.

Written against the mutants of `.ci/mutation` (group `audit`)."""

import datetime as dt

import pytest

from openiop.audit.models import AuditEvent
from openiop.audit.services import GENESIS, audit_record, audit_verify


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
