"""/fhir/R4/: the FHIR read API (its own URLconf, outside /api/v1/)."""

from django.urls import path, re_path

from openiop.interop import rest

app_name = "fhir"
TYPE = r"(?P<resource_type>[A-Z][A-Za-z]{1,40})"
ID = r"(?P<resource_id>[A-Za-z0-9\-\.]{1,64})"
urlpatterns = [
    path("metadata", rest.metadata, name="metadata"),
    re_path(rf"^Patient/{ID}/\$everything$", rest.everything, name="everything"),
    re_path(rf"^{TYPE}/{ID}$", rest.read, name="read"),
    re_path(rf"^{TYPE}$", rest.search, name="search"),
    re_path(r"^(?P<path>.*)$", rest.unknown, name="unknown"),
]
