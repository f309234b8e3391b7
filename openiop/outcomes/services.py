"""Publishing the fixed set of figures to the public directory, and withdrawing them."""

from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from openiop.access.services import require
from openiop.audit.models import Action
from openiop.audit.services import audit_record
from openiop.core.errors import ApplicationError, Conflict
from openiop.outcomes import selectors
from openiop.outcomes.models import PublishedOutcome


def outcomes_publish(*, actor, program) -> list[PublishedOutcome]:
    """Publish the program's fixed set of figures (`selectors.PUBLISHED_SET`)
    over the trailing twelve months to the program site's today: the director
    decides to publish or not, not which numbers or which period. Figures not
    shown (too few people, no data) are published as nothing; everything
    published before for the program is superseded, so no stale figure stays."""
    require(
        actor,
        "outcomes.publish",
        organization_id=program.organization_id,
        program_id=program.pk,
        action=Action.DISCLOSE,
    )
    period = selectors.published_period(program)
    found = selectors.program_outcomes(actor=actor, period=period, programs=[program])
    if not found:
        raise ApplicationError("You may not see this program's outcomes.")
    by_code = {m.code: m for m in found[0].metrics}
    shown = [by_code[c] for c in selectors.PUBLISHED_SET if by_code[c].shown]
    if not shown:
        raise ApplicationError(
            "Nothing can be published yet: every figure of the last twelve months is below the "
            "minimum count or has no data."
        )
    now = timezone.now()
    with transaction.atomic():
        PublishedOutcome.objects.filter(program=program).current().update(
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
                for m in shown
            ]
        )
        audit_record(
            actor=actor,
            action=Action.DISCLOSE,
            event="outcomes.publish",
            obj=program,
            detail={
                "metrics": [m.code for m in shown],
                "not_shown": [c for c in selectors.PUBLISHED_SET if not by_code[c].shown],
                "period": [str(period.start), str(period.end)],
            },
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
