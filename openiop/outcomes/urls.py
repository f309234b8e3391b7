from django.urls import path

from openiop.outcomes import views

app_name = "outcomes"
urlpatterns = [
    path("", views.outcomes, name="programs"),
    path("programs/<uuid:program_uuid>/publish/", views.publish, name="publish"),
    path("published/<uuid:outcome_uuid>/withdraw/", views.withdraw, name="withdraw"),
]
