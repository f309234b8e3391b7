"""Backups that restore: encrypted, with a manifest, checked against it after
restoring; every way it can go wrong is one clear sentence and writes nothing
(a wrong key, a changed or cut file, a backup from a newer version, a database
that is not empty)."""

import io
import json
import struct
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from openiop.operations import backup as b


@pytest.fixture
def key(monkeypatch):
    value = b.new_key()
    monkeypatch.setenv("BACKUP_KEY", value)
    return value


def make(tmp_path, **kwargs) -> tuple[Path, dict]:
    out = io.StringIO()
    path = tmp_path / "backup.oib"
    call_command("backup", str(path), stdout=out)
    return path, json.loads(out.getvalue())


def test_the_file_round_trips_and_any_change_is_refused(tmp_path):
    key = b.key_from(b.new_key())
    plain = tmp_path / "plain"
    plain.write_bytes(b"x" * (b.CHUNK * 2 + 123))  # three parts
    sealed = tmp_path / "sealed"
    b.encrypt_file(plain, sealed, {"format": 1, "counts": {"t": 1}}, key)
    back = tmp_path / "back"
    assert b.decrypt_file(sealed, back, key)["counts"] == {"t": 1}
    assert back.read_bytes() == plain.read_bytes()
    data = sealed.read_bytes()

    def refused(content: bytes, words: str, with_key=key):
        broken = tmp_path / "broken"
        broken.write_bytes(content)
        with pytest.raises(b.BackupError) as err:
            b.decrypt_file(broken, tmp_path / "out", with_key)
        assert words in str(err.value)

    refused(data, "wrong BACKUP_KEY", with_key=b.key_from(b.new_key()))
    refused(data[:-100], "cut short")
    last_part = data.rfind(struct.pack(">I", 123 + 16))
    refused(data[:last_part], "damaged or cut short")  # whole last part missing
    flipped = bytearray(data)
    flipped[-5] ^= 1
    refused(bytes(flipped), "damaged or cut short")
    # the manifest is authenticated with the data
    changed = data.replace(b'"t": 1', b'"t": 2')
    refused(changed, "wrong BACKUP_KEY, or the file was changed")
    refused(b"not a backup at all", "not an OpenIOP backup")


def test_backup_then_verify_in_a_scratch_database(cast, key, tmp_path, transactional_db):
    from openiop.audit.models import Action
    from openiop.audit.services import audit_record

    for n in range(3):  # a chain to check after the restore
        audit_record(
            actor=cast.director_a,
            action=Action.READ,
            event="backup.test",
            organization_id=cast.org.pk,
            detail={"n": n},
        )
    path, made = make(tmp_path)
    assert made["rows"] > 0 and made["audit_events"] > 0
    header = b.read_header(path)
    assert header["counts"]["patients_patient"] >= 2
    assert cast.patient_a.legal_name not in path.read_bytes().decode("latin-1")
    out = io.StringIO()
    call_command("restore", str(path), "--verify", stdout=out)
    report = json.loads(out.getvalue())
    assert report["problems"] == [] and report["verified_in_scratch"] is True


def test_restore_refuses_a_database_that_is_not_empty(cast, key, tmp_path, transactional_db):
    path, _ = make(tmp_path)
    with pytest.raises(CommandError) as err:
        call_command("restore", str(path))
    assert "not empty" in str(err.value) and err.value.returncode == 2


def test_a_backup_from_a_newer_version_is_refused(key, tmp_path, db):
    plain = tmp_path / "plain"
    plain.write_bytes(b"data")
    newer = {"format": 1, "version": "9.0", "migrations": ["care.9999_from_the_future"]}
    b.encrypt_file(plain, tmp_path / "newer.oib", newer, b.key_from(key))
    with pytest.raises(CommandError) as err:
        call_command("restore", str(tmp_path / "newer.oib"), "--verify")
    assert "newer version of OpenIOP" in str(err.value) and err.value.returncode == 2


@pytest.mark.parametrize(
    ("value", "words"),
    [(None, "Set BACKUP_KEY"), ("short", "not a key made by openiop backup --new-key")],
)
def test_a_missing_or_bad_key_is_one_sentence(monkeypatch, tmp_path, db, value, words):
    if value is None:
        monkeypatch.delenv("BACKUP_KEY", raising=False)
    else:
        monkeypatch.setenv("BACKUP_KEY", value)
    with pytest.raises(CommandError) as err:
        call_command("backup", str(tmp_path / "x.oib"))
    assert words in str(err.value) and err.value.returncode == 2
    assert not (tmp_path / "x.oib").exists()


def test_restore_of_a_missing_file_is_one_sentence(key, tmp_path, db):
    with pytest.raises(CommandError) as err:
        call_command("restore", str(tmp_path / "nothing.oib"))
    assert "No backup file" in str(err.value) and err.value.returncode == 2


def test_a_backup_taken_while_people_work_verifies(
    cast, key, tmp_path, transactional_db, monkeypatch
):
    """The manifest and the dump describe one moment: an event committed by
    someone else between the counting and the dump is in neither."""
    import threading

    from django.db import connection

    from openiop.audit.models import Action
    from openiop.audit.services import audit_record

    if connection.vendor != "postgresql":
        pytest.skip("a writer beside the backup needs PostgreSQL (SQLite writers wait)")
    real_dump = b.dump_to

    def someone_reads_a_chart():
        audit_record(actor=cast.director_a, action=Action.READ, event="chart.view")
        connection.close()

    def dump_while_busy(*args, **kwargs):
        worker = threading.Thread(target=someone_reads_a_chart)
        worker.start()
        worker.join()
        return real_dump(*args, **kwargs)

    audit_record(actor=cast.director_a, action=Action.READ, event="chart.view")
    monkeypatch.setattr(b, "dump_to", dump_while_busy)  # called inside the snapshot
    path, made = make(tmp_path)
    assert made["audit_events"] == 1
    out = io.StringIO()
    call_command("restore", str(path), "--verify", stdout=out)
    assert json.loads(out.getvalue())["problems"] == []
