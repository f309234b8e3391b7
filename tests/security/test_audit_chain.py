"""The audit chain is evidence only if nothing can be taken out of it unseen.
Found by the hostile probe: TRUNCATE passed the append-only trigger on
PostgreSQL and `audit verify` called an empty chain intact. The hash covers
every field and the link to the row before; the head, kept apart from the
chain (and in the backup manifest), shows rows removed at the tail."""

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

from openiop.audit.models import AuditEvent, AuditHead
from openiop.audit.services import audit_head, audit_record, audit_verify


def _chain(cast, n=4):
    return [
        audit_record(
            actor=cast.clinician_a,
            action="read",
            event=f"x.{i}",
            patient=cast.patient_a,
            obj=cast.patient_a,
        )
        for i in range(n)
    ]


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


def test_an_empty_chain_is_not_called_intact(db):
    result = audit_verify()
    assert not result.ok and "empty" in result.reason


def test_rows_removed_at_the_tail_are_seen_through_the_head(cast):
    events = _chain(cast)
    assert audit_verify().ok
    _sql(("DELETE FROM audit_auditevent WHERE id >= %s", [events[2].id]))
    result = audit_verify()
    assert not result.ok and "removed" in result.reason


def test_an_emptied_table_is_seen_through_the_head(cast):
    _chain(cast)
    _sql(("DELETE FROM audit_auditevent", []))
    result = audit_verify()
    assert not result.ok and "4 events" in result.reason


def test_a_removed_head_is_reported_even_when_made_again(cast):
    _chain(cast, 2)
    _sql(("DELETE FROM audit_audithead", []))
    assert not audit_verify().ok
    audit_record(actor=cast.clinician_a, action="read", event="x.after")
    result = audit_verify()
    assert not result.ok and "made again" in result.reason
    assert AuditHead.objects.get().recreated_at is not None


def test_a_row_removed_and_its_successor_relinked_is_caught_by_the_hash(cast):
    """The hash covers prev_hash: rewriting the next row's link to skip a removed
    row breaks that row's own hash."""
    a, b, c, _d = _chain(cast)
    _sql(
        ("DELETE FROM audit_auditevent WHERE id = %s", [b.id]),
        ("UPDATE audit_auditevent SET prev_hash = %s WHERE id = %s", [a.hash, c.id]),
    )
    result = audit_verify()
    assert not result.ok and result.broken_id == c.id and "content" in result.reason


@pytest.mark.parametrize(
    ("column", "value"),
    [("patient_id", 999999), ("actor_id", 999999), ("organization_id", 999999)],
)
def test_every_field_is_under_the_hash(cast, column, value):
    _a, b, _c, _d = _chain(cast)
    _sql((f"UPDATE audit_auditevent SET {column} = %s WHERE id = %s", [value, b.id]))  # noqa: S608
    result = audit_verify()
    assert not result.ok and result.broken_id == b.id


def test_the_head_only_moves_forward_one_event_at_a_time(cast):
    if connection.vendor != "postgresql":
        pytest.skip("the head's trigger is PostgreSQL's")
    _chain(cast, 3)
    for statement in (
        "UPDATE audit_audithead SET count = count - 1",
        "UPDATE audit_audithead SET count = count + 5",
        "UPDATE audit_audithead SET count = count + 1, last_id = last_id + 10",
        "DELETE FROM audit_audithead",
    ):
        with (
            pytest.raises(Exception, match="only moves forward"),
            transaction.atomic(),
            connection.cursor() as cur,
        ):
            cur.execute(statement)
    assert AuditHead.objects.get().count == 3


def test_truncate_is_refused_on_postgresql(cast):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no TRUNCATE")
    _chain(cast, 1)
    for table in ("audit_auditevent", "audit_auditsubject", "audit_audithead"):
        with (
            pytest.raises(Exception, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cur,
        ):
            cur.execute("SET LOCAL openiop.audit_maintenance = 'off'")
            cur.execute(f"TRUNCATE {table} CASCADE")  # noqa: S608
    assert AuditEvent.objects.count() == 1


def test_a_head_kept_with_the_backup_shows_removals_the_database_head_hides(cast, tmp_path, capsys):
    """Someone who can rewrite the database head too is caught by the copy kept
    outside: `openiop audit head` into the backup manifest, `verify --expect`."""
    events = _chain(cast, 3)
    call_command("audit", "head")
    manifest = tmp_path / "audit-head.json"
    manifest.write_text(capsys.readouterr().out)
    assert json.loads(manifest.read_text()) == audit_head()
    _sql(
        ("DELETE FROM audit_auditevent WHERE id = %s", [events[2].id]),
        (
            "UPDATE audit_audithead SET count = 2, last_id = %s, last_hash = %s",
            [events[1].id, events[1].hash],
        ),
    )
    assert audit_verify().ok  # the database alone cannot tell
    with pytest.raises(CommandError) as err:
        call_command("audit", "verify", "--expect", str(manifest))
    assert err.value.returncode == 1 and "missing" in str(err.value)


def test_a_bad_manifest_is_exit_2_with_one_sentence(cast, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("not json")
    with pytest.raises(CommandError) as err:
        call_command("audit", "verify", "--expect", str(bad))
    assert err.value.returncode == 2
