from django.urls import path

from openiop.care import views

app_name = "care"
urlpatterns = [
    path("caseload/", views.caseload, name="caseload"),
    path("census/", views.census, name="census"),
    path("patients/<uuid:patient_uuid>/admit/", views.admit, name="admit"),
    path("episodes/<uuid:episode_uuid>/edit/", views.episode_edit, name="episode_edit"),
    path("episodes/<uuid:episode_uuid>/discharge/", views.discharge, name="discharge"),
]
