"""/fhir/R4/: the FHIR read API (its own URLconf, outside /api/v1/)."""

from django.urls import path, re_path

from openiop.interop import rest
from openiop.interop.search import views as search

app_name = "fhir"
TYPE = r"(?P<resource_type>[A-Z][A-Za-z]{1,40})"
ID = r"(?P<resource_id>[A-Za-z0-9\-\.]{1,64})"
urlpatterns = [
    path("metadata", rest.metadata, name="metadata"),
    re_path(rf"^Patient/{ID}/\$everything$", search.everything, name="everything"),
    re_path(rf"^{TYPE}/_search$", search.search_post, name="search-post"),
    re_path(rf"^{TYPE}/{ID}$", rest.read, name="read"),
    re_path(rf"^{TYPE}$", search.search, name="search"),
    re_path(r"^(?P<path>.*)$", rest.unknown, name="unknown"),
]
