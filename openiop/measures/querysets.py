"""`visible_to` for measurement rows: a row about a patient is visible where the
patient is (an organization-wide role, or an episode in one of the actor's
programs), for the permission of its resource ("measure.view", "alert.view"...)."""

from django.db.models import Q

from openiop.access.querysets import (
    PatientRowQuerySet,
    ProgramRowQuerySet,
    ScopedQuerySet,
    organizations_reached,
)


class ResponseQuerySet(PatientRowQuerySet):
    resource = "measure"


class PatientLinkQuerySet(PatientRowQuerySet):
    resource = "measure"


class RecoveryStartQuerySet(PatientRowQuerySet):
    resource = "drug_test"


class AlertQuerySet(PatientRowQuerySet):
    """Alerts about the patients the actor reaches, and the organization's
    safety queue (alerts nobody of a program team could take: a patient not
    admitted yet, a program without staff) for the clinical staff of every
    program of the organization while they are open: the queue is everyone's
    until answered."""

    resource = "alert"

    def scope_q(self, g) -> Q:
        # while it is open only: once answered it is the patient's record again,
        # seen where the patient is (minimum necessary)
        queue = Q(on_queue=True, status="open", organization_id__in=organizations_reached(g))
        return super().scope_q(g) | queue


class DrugTestQuerySet(PatientRowQuerySet):
    resource = "drug_test"


class CheckInQuerySet(PatientRowQuerySet):
    resource = "checkin"


class InstrumentQuerySet(ScopedQuerySet):
    """Shipped instruments (no organization) for everyone who may see
    instruments; an organization's own to its staff."""

    resource = "instrument"

    def scope_q(self, g) -> Q:
        return Q(organization__isnull=True) | Q(organization_id__in=organizations_reached(g))


class ScheduleQuerySet(ProgramRowQuerySet):
    resource = "measure_schedule"
