"""Permission checks that services and views share."""

from openiop.access.scope import can, covers_patient
from openiop.audit.models import Action
from openiop.audit.services import audit_denied
from openiop.core.errors import PermissionDenied


def require(
    actor, permission: str, *, organization_id=None, program_id=None, action=Action.READ
) -> None:
    """Raise PermissionDenied (and audit the denial) unless the actor holds it there."""
    if not can(actor, permission, organization_id=organization_id, program_id=program_id):
        audit_denied(actor=actor, event=permission, action=action)
        raise PermissionDenied("You do not have permission to do that.")


def require_on_patient(actor, patient, permission: str, action=Action.CREATE) -> None:
    """The actor holds `permission` where the patient is (organization-wide, or in
    a program where the patient has or had an episode). Denials are audited."""
    if not covers_patient(actor, permission, patient):
        deny(actor, permission, action=action, patient=patient)


def deny(actor, permission: str, *, action=Action.READ, patient=None):
    """Audit and raise a denial found by a scoped lookup (the object is out of reach)."""
    audit_denied(actor=actor, event=permission, action=action, patient=patient)
    raise PermissionDenied("You do not have permission to do that.")
