"""`visible_to` for measurement rows: a row about a patient is visible where the
patient is (an organization-wide role, or an episode in one of the actor's
programs), for the permission of its resource ("measure.view", "alert.view"...)."""

from django.db.models import Exists, OuterRef, Q

from openiop.access.querysets import ScopedQuerySet
from openiop.access.scope import grant


def _in_programs(patient, program_ids) -> bool:
    """Whether the patient has (or had) an episode in one of these programs;
    remembered on the patient object for the request."""
    from openiop.care.models import Episode

    if not program_ids:
        return False
    cache = patient.__dict__.setdefault("_openiop_in_programs", {})
    key = frozenset(program_ids)
    if key not in cache:
        cache[key] = Episode.objects.filter(patient=patient, program_id__in=key).exists()
    return cache[key]


class PatientRowQuerySet(ScopedQuerySet):
    def for_patient(self, actor, patient, action: str = "view"):
        """`visible_to(actor, action).filter(patient=patient)`, with the scope
        decided once for the patient rather than row by row (the same rule)."""
        g = grant(actor, f"{self.resource}.{action}")
        if g and (
            patient.organization_id in g.organization_ids or _in_programs(patient, g.program_ids)
        ):
            return self.filter(patient=patient)
        return self.none()

    def scope_q(self, g) -> Q:
        from openiop.care.models import Episode

        q = Q(organization_id__in=g.organization_ids)
        if g.program_ids:
            q |= Q(
                Exists(
                    Episode.objects.filter(
                        patient=OuterRef("patient_id"), program_id__in=g.program_ids
                    )
                )
            )
        return q


class ResponseQuerySet(PatientRowQuerySet):
    resource = "measure"


class PatientLinkQuerySet(PatientRowQuerySet):
    resource = "measure"


class RecoveryStartQuerySet(PatientRowQuerySet):
    resource = "drug_test"


class AlertQuerySet(PatientRowQuerySet):
    resource = "alert"


class DrugTestQuerySet(PatientRowQuerySet):
    resource = "drug_test"


class CheckInQuerySet(PatientRowQuerySet):
    resource = "checkin"


class InstrumentQuerySet(ScopedQuerySet):
    """Shipped instruments (no organization) for everyone who may see
    instruments; an organization's own to its staff."""

    resource = "instrument"

    def scope_q(self, g) -> Q:
        from openiop.organizations.models import Program

        q = Q(organization__isnull=True) | Q(organization_id__in=g.organization_ids)
        if g.program_ids:
            q |= Q(
                organization_id__in=Program.objects.filter(id__in=g.program_ids).values(
                    "organization_id"
                )
            )
        return q


class ScheduleQuerySet(ScopedQuerySet):
    resource = "measure_schedule"

    def scope_q(self, g) -> Q:
        return Q(organization_id__in=g.organization_ids) | Q(program_id__in=g.program_ids)
