from django.urls import path

from openiop.consent import views

app_name = "consent"
urlpatterns = [
    path("patients/<uuid:patient_uuid>/", views.patient_consents, name="patient"),
    path("patients/<uuid:patient_uuid>/new/", views.consent_new, name="new"),
    path("patients/<uuid:patient_uuid>/release/", views.release, name="release"),
    path("patients/<uuid:patient_uuid>/disclosures/", views.accounting, name="accounting"),
    path(
        "patients/<uuid:patient_uuid>/disclosures/print/",
        views.accounting_print,
        name="accounting_print",
    ),
    path("<uuid:consent_uuid>/", views.consent_detail, name="detail"),
    path("<uuid:consent_uuid>/revoke/", views.consent_revoke, name="revoke"),
    path("recipients/", views.recipients, name="recipients"),
    path("recipients/<uuid:recipient_uuid>/", views.recipient_detail, name="recipient"),
    path("recipients/<uuid:recipient_uuid>/token/", views.recipient_token, name="recipient_token"),
    path(
        "recipients/<uuid:recipient_uuid>/deactivate/",
        views.recipient_deactivate,
        name="recipient_deactivate",
    ),
    path(
        "recipients/<uuid:recipient_uuid>/token/revoke/",
        views.recipient_revoke_tokens,
        name="recipient_revoke_tokens",
    ),
]
