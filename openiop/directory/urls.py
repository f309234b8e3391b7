from django.urls import path

from openiop.directory import views

app_name = "directory"
urlpatterns = [
    # public: the program finder
    path("find/", views.finder, name="finder"),
    path("find/match/", views.match, name="match"),
    path("find/shortlist/<str:token>/", views.shortlist, name="shortlist"),
    path("find/shortlist/<str:token>/delete/", views.shortlist_delete, name="shortlist_delete"),
    path("find/compare/", views.compare, name="compare"),
    path("find/about/", views.about, name="about"),
    path("find/<uuid:facility_uuid>/", views.facility, name="facility"),
    path("find/<uuid:facility_uuid>/testimonial/", views.testimonial_new, name="testimonial_new"),
    # staff: what a program publishes
    path("directory/", views.manage, name="manage"),
    path("directory/testimonials/", views.testimonials, name="testimonials"),
    path(
        "directory/testimonials/<uuid:testimonial_uuid>/",
        views.testimonial_moderate,
        name="testimonial_moderate",
    ),
    path("directory/me/", views.my_listing, name="my_listing"),
    path("directory/<uuid:program_uuid>/", views.profile_edit, name="profile_edit"),
    path("directory/<uuid:program_uuid>/wait-time/", views.wait_time, name="wait_time"),
]
