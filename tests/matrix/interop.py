"""Routes of FHIR exchange: the /fhir/R4/ read API (session or token) and the
export and import pages."""

from tests.matrix.common import EVERYONE, MANAGERS, PATIENT_READERS, api, page

TYPE = r"(?P<resource_type>[A-Z][A-Za-z]{1,40})"
ID = r"(?P<resource_id>[A-Za-z0-9\-\.]{1,64})"


def _job(c):
    if not hasattr(c, "_job"):
        from openiop.interop.models import ExportJob

        c._job = ExportJob.objects.create(organization=c.org, created_by=c.director_a)
    return c._job


# Bulk Data export: the export permission (program directors and
# administrators); without Prefer: respond-async a kick-off is a 400
EXPORTERS = {"director_a", "admin"}
OTHERS = {"clinician_a", "readonly_a", "clinician_b", "prescriber_a", "intake", "auditor"}


MATRIX = {
    ("interop/exports/", "exports"): (
        "get",
        lambda c: "/interop/exports/",
        None,
        page(MANAGERS),
    ),
    ("interop/exports/start/", "export_start"): (
        "post",
        lambda c: "/interop/exports/start/",
        None,
        page(MANAGERS, ok=302),
    ),
    ("interop/exports/<uuid:job_uuid>/", "export"): (
        # a job is its requester's alone
        "get",
        lambda c: f"/interop/exports/{_job(c).uuid}/",
        None,
        page({"director_a"}, hidden={"admin"}),
    ),
    (
        r"interop/^exports/(?P<job_uuid>[0-9a-f-]{36})/(?P<name>[A-Z][A-Za-z]{1,40}\.ndjson)$",
        "export_download",
    ): (
        # the job has not run: its requester is told there is no such file
        "get",
        lambda c: f"/interop/exports/{_job(c).uuid}/Patient.ndjson",
        None,
        page((), hidden={"director_a", "admin"}),
    ),
    ("interop/import/", "import"): (
        "get",
        lambda c: "/interop/import/",
        None,
        page({"director_a", "intake"}),
    ),
    ("fhir/R4/metadata", "metadata"): (
        "get",
        lambda c: "/fhir/R4/metadata",
        None,
        page(EVERYONE, anon=200),
    ),
    (f"fhir/R4/^Patient/{ID}/\\$everything$", "everything"): (
        "get",
        lambda c: f"/fhir/R4/Patient/{c.patient_a.uuid}/$everything",
        None,
        api(PATIENT_READERS, hidden={"clinician_b"}),
    ),
    (f"fhir/R4/^{TYPE}/{ID}$", "read"): (
        "get",
        lambda c: f"/fhir/R4/Patient/{c.patient_a.uuid}",
        None,
        api(PATIENT_READERS, hidden={"clinician_b"}),
    ),
    ("fhir/R4/^(?P<path>.*)$", "unknown"): (
        "get",
        lambda c: "/fhir/R4/patient/lowercase",
        None,
        page(EVERYONE, ok=404, anon=404),
    ),
    (f"fhir/R4/^{TYPE}$", "search"): (
        "get",
        lambda c: "/fhir/R4/Patient",
        None,
        api(PATIENT_READERS | {"clinician_b"}),
    ),
    ("fhir/R4/$export", "export"): (
        "get",
        lambda c: "/fhir/R4/$export",
        None,
        api(EXPORTERS, ok=400),
    ),
    ("fhir/R4/Patient/$export", "patient-export"): (
        "get",
        lambda c: "/fhir/R4/Patient/$export",
        None,
        api(EXPORTERS, ok=400),
    ),
    (f"fhir/R4/^Group/{ID}/\\$export$", "group-export"): (
        "get",
        lambda c: f"/fhir/R4/Group/{c.program_a.uuid}/$export",
        None,
        api(EXPORTERS, ok=400),
    ),
    ("fhir/R4/bulk-status/<uuid:job_uuid>", "export-status"): (
        # queued: 202; a job is its requester's alone
        "get",
        lambda c: f"/fhir/R4/bulk-status/{_job(c).uuid}",
        None,
        api({"director_a"}, ok=202, hidden=OTHERS | {"admin", "patient_user"}),
    ),
    (
        r"fhir/R4/^bulk-files/(?P<job_uuid>[0-9a-f-]{36})/(?P<name>[A-Z][A-Za-z]{1,40}\.ndjson)$",
        "export-file",
    ): (
        # the job has not run: its requester is told there is no such file
        "get",
        lambda c: f"/fhir/R4/bulk-files/{_job(c).uuid}/Patient.ndjson",
        None,
        api((), hidden=OTHERS | EXPORTERS | {"patient_user"}),
    ),
    (f"fhir/R4/^{TYPE}/_search$", "search-post"): (
        "post",
        lambda c: "/fhir/R4/Patient/_search",
        None,
        api(PATIENT_READERS | {"clinician_b"}),
    ),
}
