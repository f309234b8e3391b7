"""Routes of Medicare certifications: the organization's list of certifications
due, an episode's certifications, the draft form, editing a draft, the sign page.

certification.view is the clinical readers' (billing included, without the
statement); drafting is the care team's (director, clinician, prescriber);
signing is the director's and the prescriber's (the licence is checked when
signing, not to see the page). A draft of episode A is made on first use."""

import datetime as dt

from tests.matrix.common import page

READERS = {"clinician_a", "readonly_a", "director_a", "prescriber_a", "intake"}
DRAFTERS = {"clinician_a", "director_a", "prescriber_a"}
SIGNERS = {"director_a", "prescriber_a"}


def draft(c):
    if hasattr(c, "_certification"):
        return c._certification
    from django.utils import timezone

    from openiop.billing.models import Certification

    today = timezone.localdate()
    c._certification = Certification.objects.create(
        organization=c.org,
        episode=c.episode_a,
        patient=c.patient_a,
        kind="initial",
        weekly_hours=9,
        statement="Synthetic statement.",
        covers_from=today,
        covers_through=today + dt.timedelta(days=59),
    )
    return c._certification


MATRIX = {
    ("billing/certifications/", "certifications_due"): (
        "get",
        lambda c: "/billing/certifications/",
        None,
        page(READERS | {"clinician_b"}),
    ),
    ("billing/episodes/<uuid:episode_uuid>/certifications/", "episode_certifications"): (
        "get",
        lambda c: f"/billing/episodes/{c.episode_a.uuid}/certifications/",
        None,
        page(READERS, hidden={"clinician_b"}),
    ),
    ("billing/episodes/<uuid:episode_uuid>/certifications/new/", "certification_new"): (
        "get",
        lambda c: f"/billing/episodes/{c.episode_a.uuid}/certifications/new/",
        None,
        page(DRAFTERS, hidden={"clinician_b"}),
    ),
    ("billing/certifications/<uuid:certification_uuid>/edit/", "certification_edit"): (
        "get",
        lambda c: f"/billing/certifications/{draft(c).uuid}/edit/",
        None,
        page(DRAFTERS, hidden={"clinician_b"}),
    ),
    ("billing/certifications/<uuid:certification_uuid>/sign/", "certification_sign"): (
        "get",
        lambda c: f"/billing/certifications/{draft(c).uuid}/sign/",
        None,
        page(SIGNERS),
    ),
}
