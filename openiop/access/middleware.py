"""Out-of-scope reads leave a trail. A lookup outside the actor's scope answers
404 (so existence is not confirmed); when the URL named a patient's record
that exists and that the actor's roles do not reach, the attempt is audited as
a denial with the patient, for the privacy officer. One place for every page
and API route, since each names the record it wants in its URL."""

import uuid

from django.apps import apps

from openiop.access.scope import covers_patient
from openiop.audit.services import audit_denied

# URL keyword -> (model, the field holding the patient's id)
PATIENT_RECORDS = {
    "patient_uuid": ("patients.Patient", "pk"),
    "episode_uuid": ("care.Episode", "patient_id"),
    "assessment_uuid": ("care.Assessment", "patient_id"),
    "diagnosis_uuid": ("care.Diagnosis", "patient_id"),
    "plan_uuid": ("care.TreatmentPlan", "patient_id"),
    "summary_uuid": ("care.DischargeSummary", "patient_id"),
    "consent_uuid": ("consent.Part2Consent", "patient_id"),
    "response_uuid": ("measures.Response", "patient_id"),
    "alert_uuid": ("measures.SafetyAlert", "patient_id"),
}


# query parameters that name a patient's record (`?episode=<uuid>` filters)
QUERY_NAMES = {"episode": "episode_uuid", "patient": "patient_uuid"}


def _patient_named(kwargs: dict):
    for name, value in kwargs.items():
        if name not in PATIENT_RECORDS:
            continue
        label, field = PATIENT_RECORDS[name]
        try:
            key = uuid.UUID(str(value))
        except ValueError:
            continue  # not an id (an MRN typed into a search, say)
        patient_id = (
            apps.get_model(label)
            ._base_manager.filter(uuid=key)
            .values_list(field, flat=True)
            .first()
        )
        if patient_id is not None:
            return apps.get_model("patients", "Patient").objects.filter(pk=patient_id).first()
    return None


class OutOfScopeAuditMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return response
        named = {}
        if response.status_code == 404:
            named.update(getattr(request, "_openiop_view_kwargs", None) or {})
        # a filter naming a record out of reach answers an empty list or a 400:
        # the attempt is audited all the same
        named.update({QUERY_NAMES[k]: v for k, v in request.GET.items() if k in QUERY_NAMES and v})
        patient = _patient_named(named) if named else None
        if patient is not None and not covers_patient(user, "patient.view", patient):
            match = getattr(request, "resolver_match", None)
            audit_denied(
                actor=user,
                event=f"{getattr(match, 'url_name', None) or 'page'}.out_of_scope"[:60],
                patient=patient,
                detail={"path": request.path[:200]},
            )
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        request._openiop_view_kwargs = view_kwargs
        return None
