from django.urls import path

from openiop.care.plans.views import assessment, discharge, library, plan, review, safety

app_name = "plans"
urlpatterns = [
    path(
        "episodes/<uuid:episode_uuid>/assessment/new/",
        assessment.assessment_new,
        name="assessment_new",
    ),
    path("assessments/<uuid:assessment_uuid>/", assessment.assessment_detail, name="assessment"),
    path(
        "assessments/<uuid:assessment_uuid>/edit/",
        assessment.assessment_edit,
        name="assessment_edit",
    ),
    path("episodes/<uuid:episode_uuid>/diagnoses/", assessment.diagnoses, name="diagnoses"),
    path(
        "diagnoses/<uuid:diagnosis_uuid>/status/",
        assessment.diagnosis_status,
        name="diagnosis_status",
    ),
    path("icd10cm/", assessment.icd_search, name="icd_search"),
    path("episodes/<uuid:episode_uuid>/plan/new/", plan.plan_start, name="plan_start"),
    path("plans/<uuid:plan_uuid>/", plan.plan_detail, name="plan"),
    path("plans/<uuid:plan_uuid>/<str:kind>/new/", plan.item_new, name="item_new"),
    path("plans/<uuid:plan_uuid>/<str:kind>/<uuid:item_uuid>/", plan.item_edit, name="item_edit"),
    path("plans/<uuid:plan_uuid>/sign/", plan.plan_sign_view, name="plan_sign"),
    path("plans/<uuid:plan_uuid>/revise/", plan.plan_revise, name="plan_revise"),
    path("plans/<uuid:plan_uuid>/compare/", plan.plan_compare, name="plan_compare"),
    path("plans/<uuid:plan_uuid>/print/", plan.plan_print, name="plan_print"),
    path(
        "plans/<uuid:plan_uuid>/save-as-template/",
        plan.plan_save_as_template,
        name="plan_save_as_template",
    ),
    path("plans/<uuid:plan_uuid>/review/", review.plan_review, name="plan_review"),
    path("reviews-due/", review.reviews_due, name="reviews_due"),
    path(
        "episodes/<uuid:episode_uuid>/relapse-prevention/",
        review.relapse_plan,
        name="relapse_plan",
    ),
    path(
        "episodes/<uuid:episode_uuid>/safety-plan/",
        safety.safety_plan,
        name="safety_plan",
    ),
    path(
        "episodes/<uuid:episode_uuid>/safety-plan/sign/",
        safety.safety_plan_sign_view,
        name="safety_plan_sign",
    ),
    path(
        "episodes/<uuid:episode_uuid>/safety-plan/print/",
        safety.safety_plan_print,
        name="safety_plan_print",
    ),
    path(
        "episodes/<uuid:episode_uuid>/relapse-prevention/print/",
        review.relapse_plan_print,
        name="relapse_plan_print",
    ),
    path(
        "episodes/<uuid:episode_uuid>/discharge-summary/new/",
        discharge.discharge,
        name="discharge_new",
    ),
    path("discharges/<uuid:summary_uuid>/", discharge.discharge_summary, name="discharge_summary"),
    path(
        "discharges/<uuid:summary_uuid>/patient-copy/",
        discharge.discharge_patient_copy,
        name="discharge_patient_copy",
    ),
    path("plan-library/", library.templates, name="templates"),
    path("plan-library/<uuid:template_uuid>/", library.template_detail, name="template"),
    path(
        "plan-library/<uuid:template_uuid>/toggle/",
        library.template_toggle,
        name="template_toggle",
    ),
    path("decision-rules/", library.decision_rules, name="decision_rules"),
]
