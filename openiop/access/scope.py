"""What an actor may reach: computed once per actor from their memberships.

`covers_patient` is the one per-patient decision: a permission reaches a
patient through an organization-wide role, or through a role in a program
where the patient has (or had) an episode. Querysets (`querysets.patient_q`)
apply the same rule in SQL.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.apps import apps

from openiop.access.permissions import PERMISSIONS


@dataclass(frozen=True)
class Grant:
    """Where a permission holds: whole organizations and single programs."""

    organization_ids: frozenset[int] = frozenset()
    program_ids: frozenset[int] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.organization_ids or self.program_ids)

    def covers(self, *, organization_id: int | None, program_id: int | None = None) -> bool:
        """An organization-level check (no program) passes only an organization-wide role."""
        if organization_id in self.organization_ids:
            return True
        return program_id is not None and program_id in self.program_ids

    def covers_patient(self, *, organization_id: int, program_ids: Iterable[int]) -> bool:
        if organization_id in self.organization_ids:
            return True
        return not self.program_ids.isdisjoint(program_ids)


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
        memberships = list(
            apps.get_model("accounts", "Membership")
            .objects.filter(user=actor, is_active=True)
            .only("organization_id", "program_id", "role")
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


PROGRAMS_ATTR = "_openiop_program_ids"


def patient_program_ids(patient) -> frozenset[int]:
    """Programs where the patient has (or had) an episode; remembered on the
    patient object (`remember_programs` fills it for many patients at once)."""
    cached = patient.__dict__.get(PROGRAMS_ATTR)
    if cached is None:
        cached = frozenset(
            apps.get_model("care", "Episode")
            .objects.filter(patient_id=patient.pk)
            .values_list("program_id", flat=True)
        )
        patient.__dict__[PROGRAMS_ATTR] = cached
    return cached


def remember_programs(patients) -> None:
    """Fill `patient_program_ids` for many patients in one query."""
    patients = [p for p in patients if PROGRAMS_ATTR not in p.__dict__]
    if not patients:
        return
    found: dict[int, set] = {p.pk: set() for p in patients}
    rows = (
        apps.get_model("care", "Episode")
        .objects.filter(patient_id__in=list(found))
        .values_list("patient_id", "program_id")
    )
    for patient_id, program_id in rows:
        found[patient_id].add(program_id)
    for p in patients:
        p.__dict__[PROGRAMS_ATTR] = frozenset(found[p.pk])


def covers_patient(actor, permission: str, patient) -> bool:
    """Whether the actor holds `permission` where the patient is."""
    g = grant(actor, permission)
    if not g:
        return False
    if patient.organization_id in g.organization_ids:
        return True
    return bool(g.program_ids) and g.covers_patient(
        organization_id=patient.organization_id, program_ids=patient_program_ids(patient)
    )
