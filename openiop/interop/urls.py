from django.urls import path, re_path

from openiop.interop import views

app_name = "interop"
urlpatterns = [
    path("exports/", views.exports, name="exports"),
    path("exports/start/", views.export_start, name="export_start"),
    path("exports/<uuid:job_uuid>/", views.export_detail, name="export"),
    re_path(
        r"^exports/(?P<job_uuid>[0-9a-f-]{36})/(?P<name>[A-Z][A-Za-z]{1,40}\.ndjson)$",
        views.export_download,
        name="export_download",
    ),
]

from openiop.interop import import_views  # noqa: E402

urlpatterns.append(path("import/", import_views.import_bundle, name="import"))
