"""API: each program's outcomes with definitions and denominators, and the
figures published to the directory."""

import datetime as dt
from uuid import UUID

from ninja import Router

from openiop.audit.services import audit_read
from openiop.core.api import ErrorOut, permission
from openiop.core.errors import ApplicationError
from openiop.outcomes import selectors
from openiop.outcomes.models import PublishedOutcome
from openiop.outcomes.schemas import ProgramOutcomesOut, PublishedOut

router = Router(tags=["outcomes"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


def _period(start, end) -> selectors.Period:
    default = selectors.default_period()
    period = selectors.Period(start or default.start, end or default.end)
    if period.start > period.end:
        raise ApplicationError.for_field("start", "The period must start before it ends.")
    if (period.end - period.start).days > selectors.MAX_DAYS:
        raise ApplicationError.for_field("start", "Choose a period of at most three years.")
    return period


@router.get("", response={200: list[ProgramOutcomesOut], **ERRORS})
@permission("outcomes.view")
def list_outcomes(
    request, program: UUID | None = None, start: dt.date | None = None, end: dt.date | None = None
):
    """Outcomes of the programs you may see (default: the last 26 weeks).
    A figure below the minimum count has status "suppressed" and no value."""
    period = _period(start, end)
    programs = selectors.outcome_programs(request.auth)
    if program:
        programs = programs.filter(uuid=program)
        if not programs.exists():
            raise ApplicationError.for_field("program", "No program with that id that you may see.")
    results = selectors.program_outcomes(actor=request.auth, period=period, programs=list(programs))
    audit_read(actor=request.auth, event="outcomes.view", detail={"programs": len(results)})
    return [
        {
            "program": r.program.uuid,
            "program_name": r.program.name,
            "period_start": period.start,
            "period_end": period.end,
            "min_count": selectors.min_count(),
            "metrics": [m.as_dict() for m in r.metrics],
        }
        for r in results
    ]


@router.get("/published", response={200: list[PublishedOut], **ERRORS})
@permission("outcomes.view")
def list_published_outcomes(request, program: UUID | None = None):
    """The figures currently published to the public directory."""
    qs = (
        PublishedOutcome.objects.visible_to(request.auth, "view")
        .current()
        .select_related("program")
    )
    if program:
        qs = qs.filter(program__uuid=program)
    return list(qs.order_by("program__name", "metric"))
