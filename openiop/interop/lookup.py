"""Find whose record a resource id belongs to (for `GET /{type}/{id}`)."""

import uuid

from openiop.care.models import Episode
from openiop.care.plans.models import Diagnosis
from openiop.care.plans.plan_models import PlanGoal, TreatmentPlan
from openiop.consent.models import Part2Consent
from openiop.interop import extensions
from openiop.patients.models import Patient, SupportPerson

BY_UUID = {
    "Patient": (Patient, "pk"),
    "RelatedPerson": (SupportPerson, "patient_id"),
    "EpisodeOfCare": (Episode, "patient_id"),
    "Condition": (Diagnosis, "patient_id"),
    "CarePlan": (TreatmentPlan, "patient_id"),
    "Consent": (Part2Consent, "patient_id"),
}


def as_uuid(value: str):
    try:
        return uuid.UUID(value)
    except (ValueError, TypeError, AttributeError):
        return None


def patient_id_of(resource_type: str, resource_id: str, organization_ids) -> int | None:
    """The patient whose record holds this resource, within these organizations."""
    uid = as_uuid(resource_id)
    if uid is None:
        return None
    if resource_type == "Goal":
        return (
            PlanGoal.objects.filter(
                key=uid, problem__version__plan__organization_id__in=organization_ids
            )
            .values_list("problem__version__plan__patient_id", flat=True)
            .first()
        )
    if resource_type in BY_UUID:
        model, field = BY_UUID[resource_type]
        org_field = (
            "patient__organization_id__in" if model is SupportPerson else ("organization_id__in")
        )
        return (
            model.objects.filter(uuid=uid, **{org_field: organization_ids})
            .values_list(field, flat=True)
            .first()
        )
    finder = extensions.finder_for(resource_type)
    if finder is not None:
        return finder(resource_type, uid, organization_ids)
    return None
