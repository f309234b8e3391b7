from django.contrib import admin
from django.urls import include, path

from openiop.api import api

urlpatterns = [
    path("", include("openiop.core.urls")),
    path("", include("openiop.operations.urls")),
    path("accounts/", include("openiop.accounts.urls")),
    path("patients/", include("openiop.patients.urls")),
    path("care/", include("openiop.care.urls")),
    path("care/", include("openiop.care.plans.urls")),
    path("organization/", include("openiop.organizations.urls")),
    path("audit/", include("openiop.audit.urls")),
    path("consent/", include("openiop.consent.urls")),
    path("fhir/R4/", include("openiop.interop.fhir_urls")),
    path("interop/", include("openiop.interop.urls")),
    path("measures/", include("openiop.measures.urls")),
    path("outcomes/", include("openiop.outcomes.urls")),
    path("scheduling/", include("openiop.scheduling.urls")),
    path("billing/", include("openiop.billing.urls")),
    path("", include("openiop.scheduling.public_urls")),
    path("", include("openiop.measures.public_urls")),
    path("", include("openiop.directory.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
]
