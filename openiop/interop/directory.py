"""FHIR reads of what is not patient data: the organization, its sites,
programs and tracks, its staff; and the audit trail (auditors only)."""

from django.db.models import Exists, OuterRef, Q

from openiop.accounts.models import Membership, StaffCredential, User
from openiop.audit.models import AuditEvent, AuditSubject
from openiop.audit.services import audit_read
from openiop.interop.fhir.audit_event import audit_event_resource
from openiop.interop.fhir.common import RFC3986
from openiop.interop.fhir.group import group_resource
from openiop.interop.fhir.healthcare_service import (
    program_service_resource,
    track_service_resource,
)
from openiop.interop.fhir.location import location_resource
from openiop.interop.fhir.organization import organization_resource
from openiop.interop.fhir.practitioner import practitioner_resource
from openiop.interop.lookup import as_uuid
from openiop.interop.search.patients import date_q
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


def visible_programs(reader):
    """Programs a staff member sees, as Groups (Bulk Data's unit of export)."""
    return Program.objects.visible_to(reader.user, "view").filter(
        organization_id__in=reader.organization_ids()
    )


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
    if resource_type == "Group":
        program = visible_programs(reader).select_related("organization").filter(uuid=uid).first()
        return group_resource(program, program.organization) if program else None
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


def _page(qs, search):
    total = qs.count()
    if search.count_only:
        return [], total
    first = (search.page - 1) * search.count
    return list(qs[first : first + search.count]), total


def _criteria(qs, search, name_fields: tuple[str, ...]):
    """_id (a list) and name (starts a word, :exact, :contains) as filters."""
    for c in search.criteria:
        if c.param.name == "_id":
            uids = [as_uuid(code) for system, code in c.values if system in (None, "")]
            qs = qs.filter(uuid__in=[u for u in uids if u])
            continue
        if c.param.name == "identifier":  # the public id, as urn:uuid under RFC 3986
            uids = [
                as_uuid(code.removeprefix("urn:uuid:"))
                for system, code in c.values
                if system in (None, RFC3986) and code.startswith("urn:uuid:")
            ]
            qs = qs.filter(uuid__in=[u for u in uids if u])
            continue
        q = Q()
        for value in c.values:
            for field in name_fields:
                if c.modifier == "exact":
                    q |= Q(**{field: value})
                elif c.modifier == "contains":
                    q |= Q(**{f"{field}__icontains": value})
                else:
                    q |= Q(**{f"{field}__istartswith": value})
                    q |= Q(**{f"{field}__icontains": " " + value})
        qs = qs.filter(q)
    return qs


def search(reader, search) -> tuple[list[dict], int]:
    """Organization, Location, HealthcareService (programs), Practitioner and
    AuditEvent: (resources of the page, total)."""
    resource_type = search.resource_type
    if resource_type == "AuditEvent":
        return _audit_search(reader, search)
    if resource_type == "Organization":
        qs = Organization.objects.filter(pk__in=reader.organization_ids()).order_by("name", "id")
        rows, total = _page(_criteria(qs, search, ("name",)), search)
        return [organization_resource(o) for o in rows], total
    if resource_type == "Location":
        qs = _sites(reader).select_related("organization").order_by("name", "id")
        rows, total = _page(_criteria(qs, search, ("name",)), search)
        return [location_resource(s, s.organization) for s in rows], total
    if resource_type == "HealthcareService":
        qs = _programs(reader).select_related("organization", "site").order_by("name", "id")
        rows, total = _page(_criteria(qs, search, ("name",)), search)
        return _services(rows, Track.objects.filter(program__in=rows)), total
    if resource_type == "Group":
        qs = visible_programs(reader).select_related("organization").order_by("name", "id")
        rows, total = _page(_criteria(qs, search, ("name",)), search)
        return [group_resource(p, p.organization) for p in rows], total
    if resource_type == "Practitioner":
        qs = _staff(reader).order_by("display_name", "id")
        rows, total = _page(_criteria(qs, search, ("display_name",)), search)
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


def _audit_search(reader, search):
    qs = audit_events(reader).order_by("-id")
    for c in search.criteria_named("patient"):
        uids = [as_uuid(v) for v in c.values]
        pids = list(
            Patient.objects.filter(uuid__in=[u for u in uids if u]).values_list("pk", flat=True)
        )
        shown = Exists(AuditSubject.objects.filter(event=OuterRef("pk"), patient_id__in=pids))
        qs = qs.filter(Q(patient_id__in=pids) | Q(shown))
    for c in search.criteria_named("date"):
        q = Q()
        for when in c.values:
            q |= date_q("occurred_at", when.prefix, when.start, when.end)
        qs = qs.filter(q)
    rows, total = _page(qs, search)
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
