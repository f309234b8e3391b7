"""Writing and verifying the audit trail. Services call `audit_record` in the
same transaction as the change they make, so the two land or fail together."""

import ipaddress
import time
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from openiop.audit.models import Action, AuditEvent, AuditHead, AuditSubject, Outcome
from openiop.core import context
from openiop.operations.metrics import AUDIT_APPEND

GENESIS = "0" * 64


def _locked_head() -> AuditHead:
    """The chain head, locked until the transaction ends (this serialises appends)."""
    head = AuditHead.objects.select_for_update().filter(pk=1).first()
    if head is not None:
        return head
    # missing: an empty database starts one; one with events lost it, and the new
    # head says so (audit_verify reports it)
    last = AuditEvent.objects.order_by("-id").values_list("id", "hash").first()
    try:
        with transaction.atomic():
            AuditHead.objects.create(
                pk=1,
                last_id=last[0] if last else 0,
                last_hash=last[1] if last else GENESIS,
                count=AuditEvent.objects.count(),
                recreated_at=timezone.now() if last else None,
            )
    except IntegrityError:
        pass  # another request made it first
    return AuditHead.objects.select_for_update().get(pk=1)


def _normalise_ip(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return ipaddress.ip_address(value).compressed
    except ValueError:
        return None


def _organization_of(obj, patient, user) -> int | None:
    """The organization an event belongs to (so that its auditors see it)."""
    for candidate in (obj, patient):
        org_id = getattr(candidate, "organization_id", None)
        if org_id:
            return org_id
    if obj is not None and type(obj).__name__ == "Organization":
        return obj.pk
    if user is not None:
        from openiop.access.scope import scope_for

        orgs = scope_for(user).organization_ids
        if len(orgs) == 1:
            return next(iter(orgs))
    return None


def audit_record(
    *,
    actor,
    action: str,
    event: str,
    outcome: str = Outcome.SUCCESS,
    obj=None,
    patient=None,
    patient_ids: Iterable[int] = (),
    organization_id: int | None = None,
    changed_fields: Iterable[str] = (),
    detail: dict | None = None,
    actor_name: str | None = None,
    subject_user=None,
) -> AuditEvent:
    """Append one event to the chain. `detail` must never hold PHI values.

    `subject_user` names the account an anonymous event concerns (a failed
    sign-in), so the event lands in that account's organization.
    """
    return audit_record_many(
        [
            {
                "actor": actor,
                "action": action,
                "event": event,
                "outcome": outcome,
                "obj": obj,
                "patient": patient,
                "patient_ids": patient_ids,
                "organization_id": organization_id,
                "changed_fields": changed_fields,
                "detail": detail,
                "actor_name": actor_name,
                "subject_user": subject_user,
            }
        ]
    )[0]


def _event_row(
    ctx,
    *,
    actor,
    action: str,
    event: str,
    outcome: str = Outcome.SUCCESS,
    obj=None,
    patient=None,
    patient_ids: Iterable[int] = (),
    organization_id: int | None = None,
    changed_fields: Iterable[str] = (),
    detail: dict | None = None,
    actor_name: str | None = None,
    subject_user=None,
) -> tuple[AuditEvent, list[int]]:
    subject_ids = sorted(set(patient_ids))
    detail = dict(detail or {})
    if subject_ids:
        detail["patient_ids"] = subject_ids
    user = actor if getattr(actor, "is_authenticated", False) else None
    row = AuditEvent(
        occurred_at=timezone.now(),
        actor=user,
        actor_name=(actor_name or (user.get_display_name() if user else "anonymous"))[:150],
        organization_id=organization_id or _organization_of(obj, patient, user or subject_user),
        request_id=ctx.request_id[:32],
        client_ip=_normalise_ip(ctx.client_ip),
        via=ctx.via,
        action=action,
        event=event,
        outcome=outcome,
        patient=patient,
        object_type=type(obj).__name__.lower() if obj is not None else "",
        object_id=str(getattr(obj, "uuid", getattr(obj, "pk", "")) or "")
        if obj is not None
        else "",
        purpose=ctx.purpose,
        changed_fields=sorted(changed_fields),
        detail=detail,
    )
    return row, subject_ids


@contextmanager
def _timed_append():
    """The append's time for /metrics (`openiop_audit_append_seconds`), the
    head's lock wait and the commit included, when it commits here."""
    began = time.perf_counter()
    yield
    if not transaction.get_connection().in_atomic_block:
        AUDIT_APPEND.observe(time.perf_counter() - began)


def audit_record_many(events: list[dict]) -> list[AuditEvent]:
    """Append several events (the keywords of `audit_record` each), in order,
    under one lock of the chain head: a sweep over many records writes its
    events in a few queries."""
    if not events:
        return []
    ctx = context.current()
    built = [_event_row(ctx, **e) for e in events]
    rows = [row for row, _ in built]
    with _timed_append(), transaction.atomic():
        head = _locked_head()
        prev = head.last_hash
        for row in rows:
            row.prev_hash = prev
            row.hash = row.compute_hash()
            prev = row.hash
        AuditEvent.objects.bulk_create(rows)
        AuditHead.objects.filter(pk=1).update(
            last_id=rows[-1].pk, last_hash=prev, count=F("count") + len(rows)
        )
        subjects = [
            AuditSubject(event=row, patient_id=pid)
            for row, subject_ids in built
            for pid in subject_ids
        ]
        if subjects:
            AuditSubject.objects.bulk_create(subjects)
    return rows


def audit_read(*, actor, event: str, obj=None, patient=None, patient_ids=(), detail=None):
    return audit_record(
        actor=actor,
        action=Action.READ,
        event=event,
        obj=obj,
        patient=patient,
        patient_ids=patient_ids,
        detail=detail,
    )


def audit_denied(*, actor, event: str, action: str = Action.READ, detail=None, patient=None):
    return audit_record(
        actor=actor,
        action=action,
        event=event,
        outcome=Outcome.DENIED,
        detail=detail,
        patient=patient,
    )


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    broken_id: int | None = None
    reason: str = ""


def audit_head() -> dict:
    """The chain head, for the backup manifest (`openiop audit head`)."""
    head = AuditHead.objects.filter(pk=1).first()
    if head is None:
        return {"events": 0, "last_id": 0, "last_hash": GENESIS}
    return {"events": head.count, "last_id": head.last_id, "last_hash": head.last_hash}


def audit_verify(*, chunk_size: int = 5000, expect: dict | None = None) -> VerifyResult:
    """Walk the chain in order; report the first row whose link or content is
    wrong, then compare the end with the head kept apart from the chain (and
    with `expect`, a head recorded earlier, e.g. in a backup manifest)."""
    prev = GENESIS
    checked = 0
    last_id = 0
    seen_expected = expect is None or not expect.get("last_id")
    for row in AuditEvent.objects.order_by("id").iterator(chunk_size=chunk_size):
        if row.prev_hash != prev:
            return VerifyResult(
                False,
                checked,
                row.id,
                "its link to the previous event is broken "
                "(an event before it was removed or changed)",
            )
        if row.compute_hash() != row.hash:
            return VerifyResult(False, checked, row.id, "its content no longer matches its hash")
        if not seen_expected and row.id == expect["last_id"]:
            if row.hash != expect["last_hash"] or checked + 1 != expect["events"]:
                return VerifyResult(
                    False, checked, row.id, "it differs from the head recorded in the manifest"
                )
            seen_expected = True
        prev = row.hash
        last_id = row.id
        checked += 1
    return _check_end(checked, last_id, prev, seen_expected, expect)


def _check_end(checked, last_id, last_hash, seen_expected, expect) -> VerifyResult:
    head = AuditHead.objects.filter(pk=1).first()
    if not seen_expected:
        return VerifyResult(
            False,
            checked,
            None,
            f"event {expect['last_id']} of the recorded head is missing "
            f"(events were removed: {expect['events']} were recorded, {checked} remain)",
        )
    if head is None:
        return VerifyResult(False, checked, None, "the chain head is missing")
    if head.recreated_at:
        return VerifyResult(
            False,
            checked,
            None,
            f"the chain head was removed and made again at {head.recreated_at:%Y-%m-%d %H:%M}",
        )
    if head.count != checked or head.last_id != last_id or head.last_hash != last_hash:
        return VerifyResult(
            False,
            checked,
            None,
            f"the chain ends at event {last_id} after {checked} events, but its head says "
            f"{head.count} events ending at event {head.last_id}: events were removed",
        )
    if checked == 0:
        return VerifyResult(
            False, 0, None, "the audit trail is empty: nothing shows it was not emptied"
        )
    return VerifyResult(True, checked)
