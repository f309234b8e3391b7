"""The patient's one-time link, kept short for a text message: /m/<token>/."""

from django.urls import path

from openiop.measures.views import public

app_name = "measures_public"
urlpatterns = [path("m/<str:token>/", public.link, name="link")]
