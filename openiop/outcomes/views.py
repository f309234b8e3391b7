from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse

from openiop.access.scope import grant
from openiop.audit.services import audit_read
from openiop.core.decorators import requires
from openiop.core.errors import ApplicationError
from openiop.core.pagination import paginate
from openiop.core.replica import reads_from_replica
from openiop.outcomes import selectors, services
from openiop.outcomes.forms import PeriodForm, period_query
from openiop.outcomes.models import PublishedOutcome


def _publishable(actor, program) -> bool:
    return grant(actor, "outcomes.publish").covers(
        organization_id=program.organization_id, program_id=program.pk
    )


@requires("outcomes.view")
@reads_from_replica
def outcomes(request):
    form = PeriodForm(request.GET or None)
    period = form.period()
    if not request.GET:
        form = PeriodForm(initial={"start": period.start, "end": period.end})
    programs = selectors.outcome_programs(request.user).order_by("name")
    page = paginate(request, programs, per_page=10)
    results = selectors.program_outcomes(
        actor=request.user, period=period, programs=list(page.object_list)
    )
    published = {}
    for row in (
        PublishedOutcome.objects.visible_to(request.user, "view")
        .current()
        .filter(program__in=[r.program for r in results])
    ):
        published.setdefault(row.program_id, []).append(row)
    cards = [
        {
            "program": r.program,
            "metrics": r.metrics,
            "published": published.get(r.program.pk, []),
            "can_publish": _publishable(request.user, r.program),
            "publishable": [m for m in r.metrics if m.shown],
        }
        for r in results
    ]
    audit_read(actor=request.user, event="outcomes.view", detail={"programs": len(cards)})
    return render(
        request,
        "outcomes/programs.html",
        {
            "form": form,
            "period": period,
            "page": page,
            "cards": cards,
            "min_count": selectors.min_count(),
            "period_query": period_query(period),
        },
    )


def _program(request, program_uuid):
    program = selectors.outcome_programs(request.user).filter(uuid=program_uuid).first()
    if program is None or not _publishable(request.user, program):
        raise Http404("No such program whose outcomes you may publish.")
    return program


@requires("outcomes.publish")
def publish(request, program_uuid):
    """The fixed set over the last twelve months, shown as it would be
    published; the director publishes it or not."""
    program = _program(request, program_uuid)
    period = selectors.published_period(program)
    error = ""
    if request.method == "POST":
        try:
            rows = services.outcomes_publish(actor=request.user, program=program)
        except ApplicationError as exc:
            error = exc.message
        else:
            messages.success(
                request, f"{len(rows)} figure(s) of {program.name} published to the directory."
            )
            return redirect(reverse("outcomes:programs") + "?" + period_query(period))
    found = selectors.program_outcomes(actor=request.user, period=period, programs=[program])
    by_code = {m.code: m for m in found[0].metrics} if found else {}
    metrics = [by_code[c] for c in selectors.PUBLISHED_SET if c in by_code]
    return render(
        request,
        "outcomes/publish.html",
        {"program": program, "metrics": metrics, "period": period, "error": error},
    )


@requires("outcomes.publish")
def withdraw(request, outcome_uuid):
    row = (
        PublishedOutcome.objects.visible_to(request.user, "publish")
        .current()
        .select_related("program")
        .filter(uuid=outcome_uuid)
        .first()
    )
    if row is None:
        raise Http404("No such published figure.")
    if request.method == "POST":
        try:
            services.outcomes_withdraw(actor=request.user, published=row)
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"{row.label} withdrawn from the directory.")
        return redirect("outcomes:programs")
    return render(request, "outcomes/withdraw.html", {"row": row})
