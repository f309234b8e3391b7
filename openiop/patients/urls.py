from django.urls import path

from openiop.patients import views

app_name = "patients"
urlpatterns = [
    path("", views.search, name="search"),
    path("new/", views.register, name="register"),
    path("<uuid:patient_uuid>/", views.chart, name="chart"),
    path("<uuid:patient_uuid>/edit/", views.edit, name="edit"),
    path(
        "<uuid:patient_uuid>/support-persons/new/",
        views.support_person_add,
        name="support_person_add",
    ),
    path("<uuid:patient_uuid>/coverage/new/", views.coverage_add, name="coverage_add"),
    path(
        "<uuid:patient_uuid>/coverage/<uuid:coverage_uuid>/edit/",
        views.coverage_edit,
        name="coverage_edit",
    ),
]
