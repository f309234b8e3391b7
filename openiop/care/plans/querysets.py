"""`visible_to` for the clinical record: rows of an episode are seen where the
episode is (the organization, or the episode's program)."""

from django.db.models import Q

from openiop.access.querysets import ScopedQuerySet


class EpisodeRowQuerySet(ScopedQuerySet):
    """Rows carrying `organization` and `episode`."""

    def scope_q(self, g) -> Q:
        return Q(organization_id__in=g.organization_ids) | Q(episode__program_id__in=g.program_ids)


class AssessmentQuerySet(EpisodeRowQuerySet):
    resource = "assessment"


class PlanQuerySet(EpisodeRowQuerySet):
    resource = "plan"


class DiagnosisQuerySet(ScopedQuerySet):
    """Diagnoses belong to the patient (and the episode they were made in)."""

    resource = "plan"

    def scope_q(self, g) -> Q:
        return Q(organization_id__in=g.organization_ids) | Q(episode__program_id__in=g.program_ids)


class TemplateQuerySet(ScopedQuerySet):
    resource = "plantemplate"

    def scope_q(self, g) -> Q:
        from openiop.organizations.models import Program

        orgs = set(g.organization_ids) | set(
            Program.objects.filter(id__in=g.program_ids).values_list("organization_id", flat=True)
        )
        return Q(organization_id__in=orgs)
