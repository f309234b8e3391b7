"""Bulk export: one NDJSON file per resource type for an organization, streamed.

Patients are read in chunks of CHUNK by primary key (keyset paging), each
chunk's records loaded in a fixed number of queries and written out at once,
so memory does not grow with the organization. Staff are paged the same way.

A Bulk Data request narrows it (ADR 0016): `types` (only these resource
types), `since` (only resources changed since: their `meta.lastUpdated`; one
without it is kept), `program` (only the patients with an episode in that
program, and of the directory only that program, its site and its staff).
"""

import datetime as dt
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from openiop.access.scope import remember_programs
from openiop.accounts.models import Membership, StaffCredential, User
from openiop.audit.models import Action, AuditEvent, AuditSubject
from openiop.audit.services import audit_record
from openiop.care.models import Episode
from openiop.interop.access import staff_scope
from openiop.interop.fhir.bundle import dumps
from openiop.interop.fhir.practitioner import practitioner_resource
from openiop.interop.fhir.record import (
    DIRECTORY_TYPES,
    TYPES,
    directory_resources,
    patient_resources,
)
from openiop.interop.selectors import FULL, Scope, load_records
from openiop.organizations.models import Program, Site, Track
from openiop.patients.models import Patient

CHUNK = 500
AUDIT_CHUNK = 2000


@dataclass
class BulkResult:
    counts: dict[str, int] = field(default_factory=dict)
    patients: int = 0
    files: list[str] = field(default_factory=list)

    @property
    def resources(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class Filters:
    """What a Bulk Data request asked for (nothing: everything)."""

    types: frozenset | None = None
    since: dt.datetime | None = None
    program: object = None

    def wants(self, rtype: str) -> bool:
        return self.types is None or rtype in self.types

    def changed(self, resource: dict) -> bool:
        """Changed since `since`: lastUpdated is written to the second, so the
        comparison is to the second too (a resource of that second is kept)."""
        if self.since is None:
            return True
        updated = (resource.get("meta") or {}).get("lastUpdated")
        if not updated:
            return True  # no lastUpdated kept for it: included whatever the date
        return dt.datetime.fromisoformat(updated) >= self.since.replace(microsecond=0)


class _Writer:
    """One open file per resource type, created on first use."""

    def __init__(self, out_dir: Path, filters: Filters | None = None):
        self.out_dir = out_dir
        self.filters = filters or Filters()
        self.files: dict = {}
        self.counts: dict[str, int] = {}

    def write(self, resource: dict) -> bool:
        rtype = resource["resourceType"]
        if not self.filters.wants(rtype) or not self.filters.changed(resource):
            return False
        f = self.files.get(rtype)
        if f is None:
            f = open(self.out_dir / f"{rtype}.ndjson", "w", encoding="utf-8")  # noqa: SIM115
            self.files[rtype] = f
        f.write(dumps(resource))
        f.write("\n")
        self.counts[rtype] = self.counts.get(rtype, 0) + 1
        return True

    def close(self) -> list[str]:
        for f in self.files.values():
            f.close()
        return sorted(f"{t}.ndjson" for t in self.files)


def patients_of(organization, actor=None, program=None):
    qs = Patient.objects.filter(organization=organization)
    if program is not None:
        qs = qs.filter(Exists(Episode.objects.filter(patient=OuterRef("pk"), program=program)))
    if actor is not None:
        qs = qs & Patient.objects.visible_to(actor, "view")
    return qs


def _records(batch, actor, cache) -> list:
    """The batch's records, each within what the actor may read of that patient
    (decided per patient, as a FHIR read decides it; one load per distinct scope)."""
    if actor is None:
        return load_records(batch, scope=FULL, cache=cache)
    remember_programs(batch)
    groups: dict[Scope, list] = {}
    for p in batch:
        groups.setdefault(staff_scope(actor, p), []).append(p)
    records = {}
    for scope, patients in groups.items():
        for record in load_records(patients, scope=scope, cache=cache):
            records[record.patient.pk] = record
    return [records[p.pk] for p in batch]


def _staff_users(organization, program=None):
    memberships = Membership.objects.filter(user=OuterRef("pk"), organization=organization)
    if program is not None:  # the program's staff, and the organization-wide roles
        memberships = memberships.filter(Q(program=program) | Q(program__isnull=True))
    return User.objects.filter(Exists(memberships)).order_by("pk")


def bulk_export(
    *,
    organization,
    out_dir: Path,
    actor=None,
    include_audit: bool = False,
    progress: Callable[[int, int, int], None] | None = None,
    chunk: int = CHUNK,
    types=None,
    since: dt.datetime | None = None,
    program=None,
) -> BulkResult:
    """Write `out_dir/<ResourceType>.ndjson` for the organization (for `actor`,
    only what they may see; without one, everything: the command line). Runs in
    the organization's zone wherever it runs (the worker, the command line), so
    "today" (a consent's state, an age) is the clinic's. `types`, `since` and
    `program` narrow it (a Bulk Data request: see the module's docstring)."""
    from openiop.core.clock import activated, organization_zone

    filters = Filters(types=frozenset(types) if types else None, since=since, program=program)
    with activated(organization_zone(organization.pk)):
        return _bulk_export(
            organization=organization,
            out_dir=out_dir,
            actor=actor,
            include_audit=include_audit and filters.wants("AuditEvent"),
            progress=progress,
            chunk=chunk,
            filters=filters,
        )


def _bulk_export(
    *, organization, out_dir, actor, include_audit, progress, chunk, filters: Filters
) -> BulkResult:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for stale in out_dir.glob("*.ndjson"):
        os.remove(stale)
    patient_types = [t for t in TYPES if filters.wants(t)]
    patients = patients_of(organization, actor, filters.program)
    if not patient_types:
        patients = patients.none()
    total = patients.count()
    today = timezone.localdate()
    writer = _Writer(out_dir, filters)
    done = 0
    cache: dict = {}
    # One event for the export; the patients it holds are added to it chunk by
    # chunk (AuditSubject), so memory does not grow with the organization.
    event = audit_record(
        actor=actor,
        action=Action.EXECUTE,
        event="fhir.bulk_export",
        organization_id=organization.pk,
        detail=_detail(total, include_audit, filters),
        actor_name=None if actor else "openiop export-fhir",
    )
    try:
        if any(filters.wants(t) for t in DIRECTORY_TYPES):
            _write_directory(writer, organization, actor, filters.program)
        last = 0
        while True:
            batch = list(patients.filter(pk__gt=last).order_by("pk")[:chunk])
            if not batch:
                break
            for p in batch:
                p.organization = organization  # one object, not one per patient
            last = batch[-1].pk
            exported = []  # the patients something was written of
            for record in _records(batch, actor, cache):
                by_type = patient_resources(record, today=today)
                written = False
                for rtype in patient_types:
                    for resource in by_type.get(rtype, ()):
                        written = writer.write(resource) or written
                if written:
                    exported.append(record.patient.pk)
            AuditSubject.objects.bulk_create(
                [AuditSubject(event=event, patient_id=pk) for pk in exported]
            )
            done += len(batch)
            if progress:
                progress(done, total, sum(writer.counts.values()))
        if include_audit:
            _write_audit(writer, organization, literal=actor is None, since=filters.since)
    finally:
        files = writer.close()
    return BulkResult(counts=dict(writer.counts), patients=done, files=files)


def _detail(total: int, include_audit: bool, filters: Filters) -> dict:
    detail = {"patients": total, "audit": include_audit}
    if filters.types is not None:
        detail["types"] = sorted(filters.types)
    if filters.since is not None:
        detail["since"] = filters.since.isoformat()
    if filters.program is not None:
        detail["program"] = str(filters.program.uuid)
    return detail


def _write_directory(writer: _Writer, organization, actor, program=None) -> None:
    sites = Site.objects.filter(organization=organization).order_by("pk")
    programs = Program.objects.filter(organization=organization).select_related("site")
    if program is not None:
        sites = sites.filter(pk=program.site_id)
        programs = programs.filter(pk=program.pk)
    if actor is not None:
        sites = sites & Site.objects.visible_to(actor, "view")
        programs = programs & Program.objects.visible_to(actor, "view")
    programs = list(programs.order_by("pk"))
    tracks = Track.objects.filter(program__in=programs).order_by("pk")
    directory = directory_resources(organization, sites=sites, programs=programs, tracks=tracks)
    for rtype in DIRECTORY_TYPES:
        for resource in directory[rtype]:
            writer.write(resource)
    if not writer.filters.wants("Practitioner"):
        return
    users = _staff_users(organization, program)
    last = 0
    while True:
        batch = list(users.filter(pk__gt=last)[:CHUNK])
        if not batch:
            break
        last = batch[-1].pk
        creds: dict[int, list] = {}
        for c in StaffCredential.objects.filter(user__in=batch, organization=organization).order_by(
            "expires_on", "pk"
        ):
            creds.setdefault(c.user_id, []).append(c)
        for u in batch:
            writer.write(practitioner_resource(u, creds.get(u.pk, [])))


def _write_audit(writer: _Writer, organization, *, literal: bool, since=None) -> None:
    from openiop.interop.directory import _audit_rows

    events = AuditEvent.objects.filter(organization_id=organization.pk).select_related("actor")
    if since is not None:
        events = events.filter(occurred_at__gte=since.replace(microsecond=0))
    last = 0
    while True:
        batch = list(events.filter(pk__gt=last).order_by("pk")[:AUDIT_CHUNK])
        if not batch:
            break
        last = batch[-1].pk
        for resource in _audit_rows(batch, literal=literal):
            writer.write(resource)
