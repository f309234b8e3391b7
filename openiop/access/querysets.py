"""`visible_to(actor, action)`: every read of a scoped model goes through these.

List pages, search, exports and the API call `Model.objects.visible_to(actor,
"view")`, so a forgotten filter cannot leak another program's patients.
"""

from django.db import models
from django.db.models import Exists, OuterRef, Q

from openiop.access.scope import grant


class ScopedQuerySet(models.QuerySet):
    resource: str = ""

    def scope_q(self, g) -> Q:  # pragma: no cover - each subclass defines it
        raise NotImplementedError

    def visible_to(self, actor, action: str = "view"):
        g = grant(actor, f"{self.resource}.{action}")
        if not g:
            return self.none()
        return self.filter(self.scope_q(g))


class PatientQuerySet(ScopedQuerySet):
    resource = "patient"

    def scope_q(self, g) -> Q:
        from openiop.care.models import Episode

        in_program = Exists(
            Episode.objects.filter(patient=OuterRef("pk"), program_id__in=g.program_ids)
        )
        return Q(organization_id__in=g.organization_ids) | Q(in_program)


class EpisodeQuerySet(ScopedQuerySet):
    resource = "episode"

    def scope_q(self, g) -> Q:
        return Q(organization_id__in=g.organization_ids) | Q(program_id__in=g.program_ids)


class ProgramQuerySet(ScopedQuerySet):
    resource = "program"

    def scope_q(self, g) -> Q:
        return Q(organization_id__in=g.organization_ids) | Q(id__in=g.program_ids)


class TrackQuerySet(ScopedQuerySet):
    resource = "program"

    def scope_q(self, g) -> Q:
        return Q(program__organization_id__in=g.organization_ids) | Q(program_id__in=g.program_ids)


class SiteQuerySet(ScopedQuerySet):
    resource = "site"

    def scope_q(self, g) -> Q:
        from openiop.organizations.models import Program

        has_program = Exists(Program.objects.filter(site=OuterRef("pk"), id__in=g.program_ids))
        return Q(organization_id__in=g.organization_ids) | Q(has_program)


class StaffQuerySet(ScopedQuerySet):
    """Users who hold a role where the actor may see staff."""

    resource = "staff"

    def scope_q(self, g) -> Q:
        from openiop.accounts.models import Membership

        member = Exists(
            Membership.objects.filter(user=OuterRef("pk")).filter(
                Q(organization_id__in=g.organization_ids) | Q(program_id__in=g.program_ids)
            )
        )
        return Q(member)


class AuditQuerySet(ScopedQuerySet):
    resource = "audit"

    def scope_q(self, g) -> Q:
        return Q(organization_id__in=g.organization_ids)
