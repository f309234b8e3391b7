"""`openiop bench audit`: how far the one audit chain serializes.

Every read of patient data appends an event to one hash chain, under a lock
of the chain head held until the transaction commits. This benchmark starts
1, 2, 4, 8 and 16 processes (processes, not threads, so Python's lock does
not stand in for the database's) that each append read events for the
organization's patients as fast as they can for a few seconds, and reports
events per second and the time of one append (p50, p95) at each level, next
to the same transaction without the head lock (`unchained`: the insert alone, in a
savepoint rolled back, then a commit that flushes the log): the difference
is what the chain costs. Needs PostgreSQL: SQLite serializes every writer anyway.

The events it writes are real, chained events (`bench.audit_read`), so the
chain still verifies afterwards; run it on a benchmark database.
"""

import multiprocessing
import time

from django.db import connection, connections, transaction

from openiop.audit.models import Action, AuditEvent
from openiop.audit.services import audit_read
from openiop.demo.bench import percentile

LEVELS = (1, 2, 4, 8, 16)


def _unchained_append(actor, patient) -> None:
    """The same event row in one transaction of its own, without the head lock
    and without a link: inserted in a savepoint that is rolled back (so the
    chain is untouched), then committed with a transaction id, so the commit
    flushes the log as the chained append's does."""
    with transaction.atomic():
        with transaction.atomic():
            AuditEvent.objects.bulk_create(
                [
                    AuditEvent(
                        occurred_at=patient.updated_at,
                        actor=actor,
                        actor_name=actor.get_display_name(),
                        organization_id=patient.organization_id,
                        action=Action.READ,
                        event="bench.unchained",
                        patient=patient,
                        prev_hash="-",
                        hash="-",
                    )
                ]
            )
            transaction.set_rollback(True)
        with connection.cursor() as cursor:
            cursor.execute("SELECT txid_current()")


def _worker(args) -> list[float]:
    mode, actor_id, patient_ids, seconds, start_at = args
    from openiop.accounts.models import User
    from openiop.patients.models import Patient

    actor = User.objects.get(pk=actor_id)
    patients = list(Patient.objects.filter(pk__in=patient_ids))
    while time.time() < start_at:
        time.sleep(0.005)
    stop = time.perf_counter() + seconds
    times: list[float] = []
    i = 0
    while time.perf_counter() < stop:
        patient = patients[i % len(patients)]
        i += 1
        began = time.perf_counter()
        if mode == "chained":
            audit_read(actor=actor, event="bench.audit_read", patient=patient)
        else:
            _unchained_append(actor, patient)
        times.append(time.perf_counter() - began)
    connections.close_all()
    return times


def bench_audit(*, seconds: float = 5.0, levels=LEVELS, log=print) -> dict:
    from openiop.accounts.models import User
    from openiop.patients.models import Patient

    if connection.vendor != "postgresql":
        raise ValueError("The audit chain benchmark needs PostgreSQL.")
    patient_ids = list(Patient.objects.order_by("pk").values_list("pk", flat=True)[:200])
    actor = User.objects.filter(is_active=True, memberships__isnull=False).order_by("pk").first()
    if not patient_ids or actor is None:
        raise ValueError("The database has no patients or no staff: run `openiop demo` first.")
    before = AuditEvent.objects.count()
    connections.close_all()
    context = multiprocessing.get_context("fork")
    rows = []
    for mode in ("chained", "unchained"):
        for n in levels:
            start_at = time.time() + 0.5
            with context.Pool(n) as pool:
                results = pool.map(_worker, [(mode, actor.pk, patient_ids, seconds, start_at)] * n)
            times = sorted(t for r in results for t in r)
            row = {
                "mode": mode,
                "processes": n,
                "events": len(times),
                "events_per_s": round(len(times) / seconds, 1),
                "p50_ms": round(percentile(times, 0.50) * 1000, 2),
                "p95_ms": round(percentile(times, 0.95) * 1000, 2),
            }
            log(str(row))
            rows.append(row)
    from openiop.audit.services import audit_verify

    verified = audit_verify()
    return {
        "database": connection.vendor,
        "seconds_per_level": seconds,
        "events_written": AuditEvent.objects.count() - before,
        "chain_verifies": verified.ok,
        "levels": rows,
    }
