"""Routes of FHIR exchange: the /fhir/R4/ read API (session or token) and the
export and import pages."""

from tests.matrix.common import EVERYONE, PATIENT_READERS, api, page

TYPE = r"(?P<resource_type>[A-Z][A-Za-z]{1,40})"
ID = r"(?P<resource_id>[A-Za-z0-9\-\.]{1,64})"

MATRIX = {
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
    (f"fhir/R4/^{TYPE}$", "search"): (
        "get",
        lambda c: "/fhir/R4/Patient",
        None,
        api(PATIENT_READERS | {"clinician_b"}),
    ),
}
