"""`visible_to` for the clinical record: rows of an episode are seen where the
episode is (the organization, or the episode's program)."""

from openiop.access.querysets import OrganizationRowQuerySet, ProgramRowQuerySet


class EpisodeRowQuerySet(ProgramRowQuerySet):
    """Rows carrying `organization` and `episode`: program rows of the episode's program."""

    program_field = "episode__program_id"


class AssessmentQuerySet(EpisodeRowQuerySet):
    resource = "assessment"


class PlanQuerySet(EpisodeRowQuerySet):
    resource = "plan"


class DiagnosisQuerySet(EpisodeRowQuerySet):
    """Diagnoses belong to the patient and the episode they were made in."""

    resource = "diagnosis"


class TemplateQuerySet(OrganizationRowQuerySet):
    resource = "plantemplate"
