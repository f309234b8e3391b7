"""`visible_to(actor, action)`: every read of a scoped model goes through these.

List pages, search, exports and the API call `Model.objects.visible_to(actor,
"view")`, so a forgotten filter cannot leak another program's patients.

The scope rules are written here once. A scoped model declares which kind of
row it is, and never derives scope itself:

- organization rows (`OrganizationRowQuerySet`): configuration of the
  organization, seen by whoever holds the permission in it or in one of its
  programs;
- program rows (`ProgramRowQuerySet`, `program_field`): seen with an
  organization-wide role or a role in that program (an episode's rows name
  their program through the episode);
- patient rows (`PatientRowQuerySet`, `patient_field`): seen where the
  patient is, i.e. with an organization-wide role or a role in a program where
  the patient has (or had) an episode. `for_patient` decides it once for one
  patient, by the same rule (`scope.covers_patient`).
"""

from django.apps import apps
from django.db import models
from django.db.models import Exists, OuterRef, Q

from openiop.access.scope import covers_patient, grant


def _episodes():
    return apps.get_model("care", "Episode").objects


def organizations_reached(g) -> set[int]:
    """Organizations where the grant holds: whole ones, and those of its programs."""
    orgs = set(g.organization_ids)
    if g.program_ids:
        orgs |= set(
            apps.get_model("organizations", "Program")
            .objects.filter(id__in=g.program_ids)
            .values_list("organization_id", flat=True)
        )
    return orgs


def patient_q(g, patient_ref: str = "patient_id", organization_field="organization_id") -> Q:
    """Rows about a patient: the organization where the grant is organization-wide,
    or a patient with an episode in one of the granted programs."""
    q = Q(**{f"{organization_field}__in": g.organization_ids})
    if g.program_ids:
        q |= Q(
            Exists(_episodes().filter(patient=OuterRef(patient_ref), program_id__in=g.program_ids))
        )
    return q


class ScopedQuerySet(models.QuerySet):
    resource: str = ""

    def scope_q(self, g) -> Q:  # pragma: no cover - each kind defines it
        raise NotImplementedError

    def visible_to(self, actor, action: str = "view"):
        g = grant(actor, f"{self.resource}.{action}")
        if not g:
            return self.none()
        return self.filter(self.scope_q(g))


class OrganizationRowQuerySet(ScopedQuerySet):
    organization_field = "organization_id"

    def scope_q(self, g) -> Q:
        return Q(**{f"{self.organization_field}__in": organizations_reached(g)})


class ProgramRowQuerySet(ScopedQuerySet):
    program_field = "program_id"
    organization_field = "organization_id"

    def scope_q(self, g) -> Q:
        return Q(**{f"{self.organization_field}__in": g.organization_ids}) | Q(
            **{f"{self.program_field}__in": g.program_ids}
        )


class PatientRowQuerySet(ScopedQuerySet):
    patient_field = "patient"

    def scope_q(self, g) -> Q:
        return patient_q(g, f"{self.patient_field}_id")

    def for_patient(self, actor, patient, action: str = "view"):
        """`visible_to(actor, action).filter(patient=patient)`, with the scope
        decided once for the patient rather than row by row (the same rule)."""
        if covers_patient(actor, f"{self.resource}.{action}", patient):
            return self.filter(**{self.patient_field: patient})
        return self.none()


class PatientQuerySet(ScopedQuerySet):
    resource = "patient"

    def scope_q(self, g) -> Q:
        return patient_q(g, "pk")


class EpisodeQuerySet(ProgramRowQuerySet):
    resource = "episode"


class ProgramQuerySet(ProgramRowQuerySet):
    resource = "program"
    program_field = "id"


class TrackQuerySet(ProgramRowQuerySet):
    resource = "program"
    organization_field = "program__organization_id"


class SiteQuerySet(ScopedQuerySet):
    resource = "site"

    def scope_q(self, g) -> Q:
        programs = apps.get_model("organizations", "Program").objects
        has_program = Exists(programs.filter(site=OuterRef("pk"), id__in=g.program_ids))
        return Q(organization_id__in=g.organization_ids) | Q(has_program)


class StaffQuerySet(ScopedQuerySet):
    """Users who hold a role where the actor may see staff."""

    resource = "staff"

    def scope_q(self, g) -> Q:
        memberships = apps.get_model("accounts", "Membership").objects
        member = Exists(
            memberships.filter(user=OuterRef("pk")).filter(
                Q(organization_id__in=g.organization_ids) | Q(program_id__in=g.program_ids)
            )
        )
        return Q(member)


class AuditQuerySet(ScopedQuerySet):
    resource = "audit"

    def scope_q(self, g) -> Q:
        return Q(organization_id__in=g.organization_ids)
