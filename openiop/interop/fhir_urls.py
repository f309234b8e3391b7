"""/fhir/R4/: the FHIR read API (its own URLconf, outside /api/v1/)."""

from django.urls import path, re_path

from openiop.interop import bulk_rest, rest
from openiop.interop.search import views as search

app_name = "fhir"
TYPE = r"(?P<resource_type>[A-Z][A-Za-z]{1,40})"
ID = r"(?P<resource_id>[A-Za-z0-9\-\.]{1,64})"
urlpatterns = [
    path("metadata", rest.metadata, name="metadata"),
    # Bulk Data export (bulk_rest.py), before the generic {TYPE} routes
    path("$export", bulk_rest.export_system, name="export"),
    path("Patient/$export", bulk_rest.export_patients, name="patient-export"),
    re_path(rf"^Group/{ID}/\$export$", bulk_rest.export_group, name="group-export"),
    path("bulk-status/<uuid:job_uuid>", bulk_rest.export_status, name="export-status"),
    re_path(
        r"^bulk-files/(?P<job_uuid>[0-9a-f-]{36})/(?P<name>[A-Z][A-Za-z]{1,40}\.ndjson)$",
        bulk_rest.export_download,
        name="export-file",
    ),
    re_path(rf"^Patient/{ID}/\$everything$", search.everything, name="everything"),
    re_path(rf"^{TYPE}/_search$", search.search_post, name="search-post"),
    re_path(rf"^{TYPE}/{ID}$", rest.read, name="read"),
    re_path(rf"^{TYPE}$", search.search, name="search"),
    re_path(r"^(?P<path>.*)$", rest.unknown, name="unknown"),
]
