"""Routes of authorizations and utilization review: the organization's list,
the concurrent review worklist, an episode's authorizations, the request,
decision, change and renewal forms, and the concurrent review packet.

authorization.view is the clinical readers' (billing included); requesting and
recording decisions is the director's, intake's and billing's; the packet holds
scores and progress notes, so it is the care team's (not billing's). Sending
the packet to the payer is a 42 CFR Part 2 disclosure: the care team's roles
that may disclose (not the prescriber's, not billing's). A request of episode
A is made on first use."""

import datetime as dt

from tests.matrix.common import page

READERS = {"clinician_a", "readonly_a", "director_a", "prescriber_a", "intake"}
MANAGERS = {"readonly_a", "director_a", "intake"}
REVIEWERS = {"clinician_a", "director_a", "prescriber_a", "intake"}
SENDERS = {"clinician_a", "director_a", "intake"}


def requested(c):
    if hasattr(c, "_authorization"):
        return c._authorization
    from django.utils import timezone

    from openiop.billing.models import Authorization, Payer

    today = timezone.localdate()
    payer = Payer.objects.create(organization=c.org, name="Matrix Health", kind="commercial")
    c._authorization = Authorization.objects.create(
        organization=c.org,
        episode=c.episode_a,
        patient=c.patient_a,
        payer=payer,
        level_of_care="2.1",
        requested_units=10,
        starts_on=today,
        ends_on=today + dt.timedelta(days=29),
    )
    return c._authorization


MATRIX = {
    ("billing/authorizations/", "authorizations"): (
        "get",
        lambda c: "/billing/authorizations/",
        None,
        page(READERS | {"clinician_b"}),
    ),
    ("billing/authorizations/reviews/", "authorization_reviews"): (
        "get",
        lambda c: "/billing/authorizations/reviews/",
        None,
        page(READERS | {"clinician_b"}),
    ),
    ("billing/episodes/<uuid:episode_uuid>/authorizations/", "episode_authorizations"): (
        "get",
        lambda c: f"/billing/episodes/{c.episode_a.uuid}/authorizations/",
        None,
        page(READERS, hidden={"clinician_b"}),
    ),
    ("billing/episodes/<uuid:episode_uuid>/authorizations/new/", "authorization_new"): (
        "get",
        lambda c: f"/billing/episodes/{c.episode_a.uuid}/authorizations/new/",
        None,
        page(MANAGERS),
    ),
    ("billing/authorizations/<uuid:authorization_uuid>/decide/", "authorization_decide"): (
        "get",
        lambda c: f"/billing/authorizations/{requested(c).uuid}/decide/",
        None,
        page(MANAGERS),
    ),
    ("billing/authorizations/<uuid:authorization_uuid>/edit/", "authorization_edit"): (
        "get",
        lambda c: f"/billing/authorizations/{requested(c).uuid}/edit/",
        None,
        page(MANAGERS),
    ),
    ("billing/authorizations/<uuid:authorization_uuid>/renew/", "authorization_renew"): (
        "get",
        lambda c: f"/billing/authorizations/{requested(c).uuid}/renew/",
        None,
        page(MANAGERS),
    ),
    ("billing/authorizations/<uuid:authorization_uuid>/packet/", "authorization_packet"): (
        "get",
        lambda c: f"/billing/authorizations/{requested(c).uuid}/packet/",
        None,
        page(REVIEWERS, hidden={"clinician_b"}),
    ),
    (
        "billing/authorizations/<uuid:authorization_uuid>/packet/send/",
        "authorization_packet_send",
    ): (
        "get",
        lambda c: f"/billing/authorizations/{requested(c).uuid}/packet/send/",
        None,
        page(SENDERS, hidden={"clinician_b"}),
    ),
}
