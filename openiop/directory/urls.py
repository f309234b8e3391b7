from django.urls import path

from openiop.directory import staff_views, views

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
    path("directory/", staff_views.manage, name="manage"),
    path("directory/testimonials/", staff_views.testimonials, name="testimonials"),
    path(
        "directory/testimonials/<uuid:testimonial_uuid>/",
        staff_views.testimonial_moderate,
        name="testimonial_moderate",
    ),
    path("directory/me/", staff_views.my_listing, name="my_listing"),
    path("directory/<uuid:program_uuid>/", staff_views.profile_edit, name="profile_edit"),
    path("directory/<uuid:program_uuid>/wait-time/", staff_views.wait_time, name="wait_time"),
]
