from django.urls import path

from openiop.operations import views

app_name = "operations"
urlpatterns = [
    path("readyz", views.readyz, name="readyz"),
    path("metrics", views.metrics, name="metrics"),
]
