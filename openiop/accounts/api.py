from uuid import UUID

from ninja import Router, Schema
from pydantic import Field

from openiop.core.api import AUTHENTICATED, ErrorOut, permission

router = Router(tags=["me"])


class MeRoleOut(Schema):
    role: str
    organization: UUID
    program: UUID | None = Field(description="None: every program of the organization.")


class MeOut(Schema):
    uuid: UUID
    username: str
    display_name: str
    roles: list[MeRoleOut]


@router.get("/me", response={200: MeOut, 401: ErrorOut})
@permission(AUTHENTICATED)
def me(request):
    """Who the token or session acts as, and their roles."""
    user = request.auth
    roles = [
        {
            "role": m.role,
            "organization": str(m.organization.uuid),
            "program": str(m.program.uuid) if m.program_id else None,
        }
        for m in user.memberships.filter(is_active=True).select_related("organization", "program")
    ]
    return {
        "uuid": user.uuid,
        "username": user.username,
        "display_name": user.get_display_name(),
        "roles": roles,
    }
