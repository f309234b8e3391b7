"""Routes of program outcomes: the outcomes page, publishing and withdrawing
figures, and the API. A published figure of program A is made on first use."""

from tests.matrix.measures import each, expect

OUTCOME_READERS = {"admin", "director_a", "clinician_a", "clinician_b", "prescriber_a"}
PUBLISHERS = {"director_a"}


def published(c):
    if not hasattr(c, "_published"):
        from django.utils import timezone

        from openiop.outcomes.models import PublishedOutcome

        c._published = PublishedOutcome.objects.create(
            organization=c.org,
            program=c.program_a,
            metric="completion",
            label="Completion rate",
            value=64,
            unit="percent",
            numerator=32,
            denominator=50,
            definition="Discharges completed, out of all discharges.",
            period_start=timezone.localdate() - timezone.timedelta(days=90),
            period_end=timezone.localdate(),
            published_by=c.director_a,
            published_at=timezone.now(),
        )
    return c._published


MATRIX = {
    ("outcomes/", "programs"): (
        "get",
        lambda c: "/outcomes/",
        None,
        expect(each(OUTCOME_READERS, 200)),
    ),
    ("outcomes/programs/<uuid:program_uuid>/publish/", "publish"): (
        "get",
        lambda c: f"/outcomes/programs/{c.program_a.uuid}/publish/",
        None,
        expect(each(PUBLISHERS, 200)),
    ),
    ("outcomes/published/<uuid:outcome_uuid>/withdraw/", "withdraw"): (
        "get",
        lambda c: f"/outcomes/published/{published(c).uuid}/withdraw/",
        None,
        expect(each(PUBLISHERS, 200)),
    ),
    ("api/v1/outcomes", "list_outcomes"): (
        "get",
        lambda c: "/api/v1/outcomes",
        None,
        expect(each(OUTCOME_READERS, 200), api=True),
    ),
    ("api/v1/outcomes/published", "list_published_outcomes"): (
        "get",
        lambda c: "/api/v1/outcomes/published",
        None,
        expect(each(OUTCOME_READERS, 200), api=True),
    ),
}
