"""Billing routes under /billing/: each area's pages keep their own `urlpatterns`."""

from openiop.billing.views import authorizations, certifications, charges, days, payers

app_name = "billing"

urlpatterns = [
    *days.urlpatterns,
    *payers.urlpatterns,
    *authorizations.urlpatterns,
    *certifications.urlpatterns,
    *charges.urlpatterns,
]
