from django.urls import path

from openiop.organizations import views

app_name = "organizations"
urlpatterns = [
    path("programs/", views.programs, name="programs"),
    path("programs/<uuid:program_uuid>/edit/", views.program_edit, name="program_edit"),
    path("programs/<uuid:program_uuid>/tracks/new/", views.track_new, name="track_new"),
    path("tracks/<uuid:track_uuid>/edit/", views.track_edit, name="track_edit"),
    path("staff/", views.staff, name="staff"),
    path("safety/", views.safety, name="safety"),
    path(
        "staff/<uuid:user_uuid>/enrolment-code/",
        views.staff_enrolment_code,
        name="staff_enrolment_code",
    ),
]
