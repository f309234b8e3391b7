"""FHIR reads of what is not patient data: the organization, its sites,
programs and tracks, its staff; and the audit trail (auditors only)."""

import datetime as dt

from django.db.models import Exists, OuterRef

from openiop.accounts.models import Membership, StaffCredential, User
from openiop.audit.models import AuditEvent, AuditSubject
from openiop.audit.services import audit_read
from openiop.core.errors import ApplicationError
from openiop.interop.fhir.audit_event import audit_event_resource
from openiop.interop.fhir.healthcare_service import (
    program_service_resource,
    track_service_resource,
)
from openiop.interop.fhir.location import location_resource
from openiop.interop.fhir.organization import organization_resource
from openiop.interop.fhir.practitioner import practitioner_resource
from openiop.interop.lookup import as_uuid
from openiop.organizations.models import Organization, Program, Site, Track
from openiop.patients.models import Patient


def _sites(reader):
    if reader.external:
        return Site.objects.filter(organization_id=reader.recipient.organization_id)
    return Site.objects.visible_to(reader.user, "view")


def _programs(reader):
    if reader.external:
        return Program.objects.filter(organization_id=reader.recipient.organization_id)
    return Program.objects.visible_to(reader.user, "view")


def _staff(reader):
    member = Exists(
        Membership.objects.filter(
            user=OuterRef("pk"), organization_id__in=reader.organization_ids(), is_active=True
        )
    )
    return User.objects.filter(member)


def _practitioners(reader, users) -> list[dict]:
    creds: dict[int, list] = {}
    for c in StaffCredential.objects.filter(
        user__in=users, organization_id__in=reader.organization_ids()
    ).order_by("expires_on", "id"):
        creds.setdefault(c.user_id, []).append(c)
    return [practitioner_resource(u, creds.get(u.pk, [])) for u in users]


def _services(programs, tracks) -> list[dict]:
    by_program: dict[int, list] = {}
    for t in tracks:
        by_program.setdefault(t.program_id, []).append(t)
    out = []
    for p in programs:
        out.append(program_service_resource(p, p.organization, by_program.get(p.pk, [])))
    return out


def read(reader, resource_type: str, resource_id: str) -> dict | None:
    uid = as_uuid(resource_id)
    if uid is None:
        return None
    if resource_type == "Organization":
        org = Organization.objects.filter(uuid=uid, pk__in=reader.organization_ids()).first()
        return organization_resource(org) if org else None
    if resource_type == "Location":
        site = _sites(reader).select_related("organization").filter(uuid=uid).first()
        return location_resource(site, site.organization) if site else None
    if resource_type == "HealthcareService":
        programs = _programs(reader).select_related("organization", "site")
        program = programs.filter(uuid=uid).first()
        if program is not None:
            return _services([program], Track.objects.filter(program=program))[0]
        track = (
            Track.objects.filter(uuid=uid, program__in=programs)
            .select_related("program__organization", "program__site")
            .first()
        )
        if track is None:
            return None
        return track_service_resource(track, track.program, track.program.organization)
    if resource_type == "Practitioner":
        user = _staff(reader).filter(uuid=uid).first()
        return _practitioners(reader, [user])[0] if user else None
    return None


def _page(qs, count, page):
    total = qs.count()
    return list(qs[(page - 1) * count : page * count]), total


def search(reader, resource_type: str, params, count: int, page: int) -> tuple[list[dict], int]:
    uid = as_uuid(params.get("_id", "")) if params.get("_id") else None
    if params.get("_id") and uid is None:
        return [], 0
    name = (params.get("name") or "").strip()
    if resource_type == "AuditEvent":
        return _audit_search(reader, params, count, page)
    if resource_type == "Organization":
        qs = Organization.objects.filter(pk__in=reader.organization_ids()).order_by("name", "id")
        if name:
            qs = qs.filter(name__icontains=name)
        rows, total = _page(qs.filter(uuid=uid) if uid else qs, count, page)
        return [organization_resource(o) for o in rows], total
    if resource_type == "Location":
        qs = _sites(reader).select_related("organization").order_by("name", "id")
        if name:
            qs = qs.filter(name__icontains=name)
        rows, total = _page(qs.filter(uuid=uid) if uid else qs, count, page)
        return [location_resource(s, s.organization) for s in rows], total
    if resource_type == "HealthcareService":
        qs = _programs(reader).select_related("organization", "site").order_by("name", "id")
        if name:
            qs = qs.filter(name__icontains=name)
        rows, total = _page(qs.filter(uuid=uid) if uid else qs, count, page)
        return _services(rows, Track.objects.filter(program__in=rows)), total
    if resource_type == "Practitioner":
        qs = _staff(reader).order_by("display_name", "id")
        if name:
            qs = qs.filter(display_name__icontains=name)
        rows, total = _page(qs.filter(uuid=uid) if uid else qs, count, page)
        return _practitioners(reader, rows), total
    return [], 0


def _audit_rows(rows, *, literal: bool = True) -> list[dict]:
    """AuditEvent resources for these rows, with their patients' public ids (2 queries)."""
    ids = [e.pk for e in rows]
    shown: dict[int, set] = {}
    for event_id, patient_id in AuditSubject.objects.filter(event_id__in=ids).values_list(
        "event_id", "patient_id"
    ):
        shown.setdefault(event_id, set()).add(patient_id)
    wanted = {e.patient_id for e in rows if e.patient_id} | set().union(*shown.values())
    uuids = dict(Patient.objects.filter(pk__in=wanted).values_list("pk", "uuid"))
    out = []
    for e in rows:
        pids = ({e.patient_id} if e.patient_id else set()) | shown.get(e.pk, set())
        out.append(
            audit_event_resource(
                e,
                actor_uuid=e.actor.uuid if e.actor_id and e.actor else None,
                patient_uuids=sorted(str(uuids[p]) for p in pids if p in uuids),
                literal=literal,
            )
        )
    return out


def audit_events(reader):
    return AuditEvent.objects.visible_to(reader.user, "view").select_related("actor")


def _audit_search(reader, params, count, page):
    qs = audit_events(reader).order_by("-id")
    if params.get("patient"):
        uid = as_uuid(params["patient"].split("/")[-1])
        pid = Patient.objects.filter(uuid=uid).values_list("pk", flat=True).first() if uid else None
        if pid is None:
            return [], 0
        shown = Exists(AuditSubject.objects.filter(event=OuterRef("pk"), patient_id=pid))
        qs = qs.filter(patient_id=pid) | qs.filter(shown)
    for value in params.getlist("date"):
        prefix, day = (
            (value[:2], value[2:]) if value[:2] in ("ge", "le", "gt", "lt") else ("eq", value)
        )
        try:
            when = dt.date.fromisoformat(day)
        except ValueError:
            raise ApplicationError.for_field(
                "date", "date is ge2026-01-01, le2026-01-31 or a day."
            ) from None
        lookup = {"ge": "gte", "le": "lte", "gt": "gt", "lt": "lt", "eq": ""}[prefix]
        qs = qs.filter(**{f"occurred_at__date__{lookup}" if lookup else "occurred_at__date": when})
    rows, total = _page(qs, count, page)
    audit_read(actor=reader.user, event="fhir.audit_search", detail={"results": total})
    return _audit_rows(rows), total


def audit_event_read(reader, resource_id: str) -> dict | None:
    if not resource_id.startswith("audit-") or not resource_id[6:].isdigit():
        return None
    row = audit_events(reader).filter(pk=int(resource_id[6:])).first()
    if row is None:
        return None
    audit_read(actor=reader.user, event="fhir.audit_read", detail={"event": row.pk})
    return _audit_rows([row])[0]
