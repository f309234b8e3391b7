from django.urls import path

from openiop.measures.views import alerts, config, patient, public

app_name = "measures"
urlpatterns = [
    path("", alerts.due, name="due"),
    path("alerts/", alerts.alert_list, name="alerts"),
    path("alerts/<uuid:alert_uuid>/", alerts.alert_detail, name="alert"),
    path("patients/<uuid:patient_uuid>/", patient.patient_measures, name="patient"),
    path("patients/<uuid:patient_uuid>/summary/", patient.chart_summary, name="summary"),
    path("patients/<uuid:patient_uuid>/responses/new/", patient.response_new, name="response_new"),
    path("patients/<uuid:patient_uuid>/links/new/", patient.link_new, name="link_new"),
    path(
        "patients/<uuid:patient_uuid>/drug-tests/new/", patient.drug_test_new, name="drug_test_new"
    ),
    path("patients/<uuid:patient_uuid>/recovery/", patient.recovery_edit, name="recovery"),
    path("responses/<uuid:response_uuid>/", patient.response_detail, name="response"),
    path("responses/<uuid:response_uuid>/error/", patient.response_error, name="response_error"),
    path("instruments/", config.instrument_list, name="instruments"),
    path("instruments/new/", config.instrument_new, name="instrument_new"),
    path("instruments/<uuid:instrument_uuid>/", config.instrument_detail, name="instrument"),
    path("programs/<uuid:program_uuid>/schedule/", config.schedule_edit, name="schedule"),
    path("me/check-in/", public.my_checkin, name="my_checkin"),
]
