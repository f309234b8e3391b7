"""What an actor may reach: computed once per actor from their memberships."""

from dataclasses import dataclass, field

from openiop.access.permissions import PERMISSIONS


@dataclass(frozen=True)
class Grant:
    """Where a permission holds: whole organizations and single programs."""

    organization_ids: frozenset[int] = frozenset()
    program_ids: frozenset[int] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.organization_ids or self.program_ids)

    def covers(self, *, organization_id: int | None, program_id: int | None = None) -> bool:
        if organization_id in self.organization_ids:
            return True
        return program_id is not None and program_id in self.program_ids


@dataclass
class Scope:
    memberships: list = field(default_factory=list)
    _grants: dict[str, Grant] = field(default_factory=dict)

    def grant(self, permission: str) -> Grant:
        if permission not in PERMISSIONS:
            raise KeyError(f"Unknown permission {permission!r}: add it to the registry.")
        if permission not in self._grants:
            roles = PERMISSIONS[permission]
            orgs, programs = set(), set()
            for m in self.memberships:
                if m.role in roles:
                    if m.program_id is None:
                        orgs.add(m.organization_id)
                    else:
                        programs.add(m.program_id)
            self._grants[permission] = Grant(frozenset(orgs), frozenset(programs))
        return self._grants[permission]

    @property
    def organization_ids(self) -> set[int]:
        return {m.organization_id for m in self.memberships}


EMPTY = Scope()


def scope_for(actor) -> Scope:
    """The actor's scope, cached on the user object for the request."""
    if actor is None or not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return EMPTY
    cached = getattr(actor, "_openiop_scope", None)
    if cached is None:
        from openiop.accounts.models import Membership

        memberships = list(
            Membership.objects.filter(user=actor, is_active=True).only(
                "organization_id", "program_id", "role"
            )
        )
        cached = Scope(memberships=memberships)
        actor._openiop_scope = cached
    return cached


def grant(actor, permission: str) -> Grant:
    return scope_for(actor).grant(permission)


def can(actor, permission: str, *, organization_id=None, program_id=None) -> bool:
    """Whether the actor holds the permission anywhere, or for the given place."""
    g = grant(actor, permission)
    if organization_id is None and program_id is None:
        return bool(g)
    return g.covers(organization_id=organization_id, program_id=program_id)
