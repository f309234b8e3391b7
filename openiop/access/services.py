"""Permission checks that services and views share."""

from openiop.access.scope import can
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


def deny(actor, permission: str, *, action=Action.READ):
    """Audit and raise a denial found by a scoped lookup (the object is out of reach)."""
    audit_denied(actor=actor, event=permission, action=action)
    raise PermissionDenied("You do not have permission to do that.")
