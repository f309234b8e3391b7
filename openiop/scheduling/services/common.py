"""Helpers the scheduling services share."""

from openiop.core.errors import ApplicationError
from openiop.scheduling.solver.model import InstanceError


def solver_error(exc: InstanceError, default_field: str = "week") -> ApplicationError:
    """The solver's one-sentence refusal, as a field error."""
    field = exc.field or default_field
    return ApplicationError(exc.message, fields={field: [exc.message]})


def patient_label(patient) -> str:
    """What solver explanations and feeds may show of a patient: the MRN, never a name."""
    return patient.mrn


def require_in_organization(actor, permission: str, organization_id: int, action) -> None:
    """The permission in the organization, or in one of its programs (for the
    organization's shared configuration, such as session types)."""
    from openiop.access.scope import grant
    from openiop.access.services import require
    from openiop.organizations.models import Program

    g = grant(actor, permission)
    program_id = (
        Program.objects.filter(organization_id=organization_id, id__in=g.program_ids)
        .values_list("id", flat=True)
        .first()
    )
    require(
        actor, permission, organization_id=organization_id, program_id=program_id, action=action
    )
