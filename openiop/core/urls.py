from django.urls import path
from django.views.generic import RedirectView

from openiop.core import views
from openiop.core.decorators import public

app_name = "core"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("healthz", views.healthz, name="healthz"),
    path(
        "favicon.ico",
        public(RedirectView.as_view(url="/static/openiop/favicon.svg")),
        name="favicon",
    ),
]
