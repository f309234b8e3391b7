"""Out-of-scope reads leave a trail. A lookup outside the actor's scope answers
404 (so existence is not confirmed); when the URL named a patient's record
that exists and that the actor's roles do not reach, the attempt is audited as
a denial with the patient, for the privacy officer. One place for every page
and API route, since each names the record it wants in its URL."""

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


def _patient_named(kwargs: dict):
    for name, value in kwargs.items():
        if name not in PATIENT_RECORDS:
            continue
        label, field = PATIENT_RECORDS[name]
        try:
            patient_id = (
                apps.get_model(label)
                ._base_manager.filter(uuid=value)
                .values_list(field, flat=True)
                .first()
            )
        except (ValueError, TypeError, LookupError):
            continue
        if patient_id is not None:
            return apps.get_model("patients", "Patient").objects.filter(pk=patient_id).first()
    return None


class OutOfScopeAuditMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        kwargs = getattr(request, "_openiop_view_kwargs", None)
        user = getattr(request, "user", None)
        if response.status_code == 404 and kwargs and user is not None and user.is_authenticated:
            patient = _patient_named(kwargs)
            if patient is not None and not covers_patient(user, "patient.view", patient):
                audit_denied(
                    actor=user,
                    event=f"{request.resolver_match.url_name or 'page'}.out_of_scope"[:60],
                    patient=patient,
                    detail={"path": request.path[:200]},
                )
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        request._openiop_view_kwargs = view_kwargs
        return None
