"""Publishing chosen figures to the public directory, and withdrawing them."""

from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from openiop.access.services import require
from openiop.audit.models import Action
from openiop.audit.services import audit_record
from openiop.core.errors import ApplicationError, Conflict
from openiop.outcomes import selectors
from openiop.outcomes.models import PublishedOutcome


def outcomes_publish(*, actor, program, metrics: list[str], period=None) -> list[PublishedOutcome]:
    """Publish the chosen metrics of a program, computed now for the period.
    A figure that is suppressed, not measured or empty cannot be published; a
    figure published before for the same metric is superseded."""
    require(
        actor,
        "outcomes.publish",
        organization_id=program.organization_id,
        program_id=program.pk,
        action=Action.DISCLOSE,
    )
    wanted = list(dict.fromkeys(metrics or []))
    if not wanted:
        raise ApplicationError.for_field("metrics", "Choose at least one figure to publish.")
    unknown = [m for m in wanted if m not in selectors.PUBLISHABLE]
    if unknown:
        raise ApplicationError.for_field("metrics", f"{unknown[0]!r} cannot be published.")
    period = period or selectors.default_period()
    found = selectors.program_outcomes(actor=actor, period=period, programs=[program])
    if not found:
        raise ApplicationError("You may not see this program's outcomes.")
    by_code = {m.code: m for m in found[0].metrics}
    refused = [by_code[c] for c in wanted if not by_code[c].shown]
    if refused:
        m = refused[0]
        raise ApplicationError.for_field(
            "metrics", f"{m.label} cannot be published: {m.note or 'there is no figure.'}"
        )
    now = timezone.now()
    with transaction.atomic():
        PublishedOutcome.objects.filter(program=program, metric__in=wanted).current().update(
            superseded_at=now, updated_at=now
        )
        rows = PublishedOutcome.objects.bulk_create(
            [
                PublishedOutcome(
                    organization_id=program.organization_id,
                    program=program,
                    metric=m.code,
                    label=m.label,
                    value=Decimal(str(m.value)),
                    unit=m.unit,
                    numerator=m.numerator,
                    denominator=m.denominator,
                    definition=m.definition,
                    period_start=period.start,
                    period_end=period.end,
                    published_by=actor,
                    published_at=now,
                    created_by=actor,
                )
                for m in (by_code[c] for c in wanted)
            ]
        )
        audit_record(
            actor=actor,
            action=Action.DISCLOSE,
            event="outcomes.publish",
            obj=program,
            detail={"metrics": wanted, "period": [str(period.start), str(period.end)]},
        )
    return rows


def outcomes_withdraw(*, actor, published: PublishedOutcome) -> PublishedOutcome:
    require(
        actor,
        "outcomes.publish",
        organization_id=published.organization_id,
        program_id=published.program_id,
        action=Action.UPDATE,
    )
    if published.withdrawn_at or published.superseded_at:
        raise Conflict("This figure is no longer published.")
    with transaction.atomic():
        published.withdrawn_at = timezone.now()
        published.save(update_fields=["withdrawn_at", "updated_at"])
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            event="outcomes.withdraw",
            obj=published,
            changed_fields=["withdrawn_at"],
            detail={"metric": published.metric},
        )
    return published
