"""The read-replica router (core/replica.py): only marked reads go to the
replica, never a write, never a read inside a transaction on the primary.
`.ci/replica` checks the same against two real PostgreSQL databases."""

import pytest
from django.db import transaction

from openiop.core.replica import ReplicaRouter, reads_from_replica, replica_reads
from openiop.directory.models import Facility

router = ReplicaRouter()
pytestmark = pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")


@pytest.fixture
def with_replica(settings, monkeypatch):
    from openiop.core import replica

    settings.DATABASES = {**settings.DATABASES, "replica": settings.DATABASES["default"]}
    monkeypatch.setattr(replica, "replica_available", lambda: True)


def test_only_marked_reads_go_to_the_replica(with_replica):
    assert router.db_for_read(Facility) == "default"
    with replica_reads():
        assert router.db_for_read(Facility) == "replica"
        assert router.db_for_write(Facility) == "default"
    assert router.db_for_read(Facility) == "default"


def test_a_marked_view_reads_the_replica_only_while_it_runs(with_replica):
    seen = []

    @reads_from_replica
    def view():
        seen.append(router.db_for_read(Facility))

    view()
    assert seen == ["replica"] and router.db_for_read(Facility) == "default"


def test_reads_inside_a_transaction_on_the_primary_stay_there(with_replica, db):
    with replica_reads(), transaction.atomic():
        assert router.db_for_read(Facility) == "default"  # it may read what it wrote


def test_without_a_replica_the_marks_change_nothing(settings):
    settings.DATABASES = {"default": settings.DATABASES["default"]}
    with replica_reads():
        assert router.db_for_read(Facility) == "default"


def test_the_replica_is_never_migrated():
    assert router.allow_migrate("default", "directory")
    assert not router.allow_migrate("replica", "directory")


def test_an_unreachable_replica_is_skipped_and_reported(settings, db, client, monkeypatch):
    from django.db import OperationalError, connections

    from openiop.core import replica

    class Unreachable:
        settings_dict = {"NAME": "a-replica-elsewhere", "HOST": "replica.internal"}

        def close_if_health_check_failed(self):
            pass

        def ensure_connection(self):
            raise OperationalError("connection refused")

    settings.DATABASES = {**settings.DATABASES, "replica": settings.DATABASES["default"]}
    monkeypatch.setattr(replica, "_down_until", 0.0)
    monkeypatch.setattr(
        replica, "connections", {"replica": Unreachable(), "default": connections["default"]}
    )
    with replica_reads():
        assert router.db_for_read(Facility) == "default"  # the finder keeps answering
    body = client.get("/readyz").json()
    assert body["ready"] is True  # pages work: the replica is not essential
    assert body["checks"]["replica"] == {
        "ok": False,
        "detail": "unreachable: its reads go to the primary",
    }
