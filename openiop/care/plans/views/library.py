"""The plan library: built-in templates and the organization's own."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from openiop.access.scope import can, scope_for
from openiop.care.plans import asam
from openiop.care.plans.hours import PERIOD_WORDS, weekly_hours_of
from openiop.care.plans.models import PlanTemplate
from openiop.care.plans.services.assessment import rules_for
from openiop.care.plans.services.templates import template_set_active, templates_ensure
from openiop.core.decorators import requires
from openiop.core.errors import ApplicationError
from openiop.core.pagination import paginate
from openiop.organizations.models import Organization, Program


@requires("plantemplate.view")
def templates(request):
    for org in Organization.objects.filter(pk__in=scope_for(request.user).organization_ids):
        templates_ensure(org)
    qs = PlanTemplate.objects.visible_to(request.user, "view").order_by(
        "-is_active", "-built_in", "name"
    )
    page = paginate(request, qs)
    return render(
        request,
        "plans/templates.html",
        {"page": page, "can_manage": can(request.user, "plantemplate.manage")},
    )


def _template_or_404(request, template_uuid) -> PlanTemplate:
    t = PlanTemplate.objects.visible_to(request.user, "view").filter(uuid=template_uuid).first()
    if t is None:
        raise Http404("No such template.")
    return t


@requires("plantemplate.view")
def template_detail(request, template_uuid):
    t = _template_or_404(request, template_uuid)
    total = 0
    for p in t.content.get("problems", []):
        for g in p.get("goals", []):
            for o in g.get("objectives", []):
                for i in o.get("interventions", []):
                    i["period_words"] = PERIOD_WORDS.get(i["period"], i["period"])
                    total += weekly_hours_of(i["sessions"], i["period"], i["minutes"])
    return render(
        request,
        "plans/template_detail.html",
        {
            "t": t,
            "hours": round(total, 1),
            "can_manage": can(
                request.user, "plantemplate.manage", organization_id=t.organization_id
            ),
            "dimension_names": asam.DIMENSION_NAMES,
        },
    )


@require_POST
@requires("plantemplate.manage")
def template_toggle(request, template_uuid):
    t = _template_or_404(request, template_uuid)
    try:
        template_set_active(actor=request.user, template=t, active=not t.is_active)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, f"“{t.name}” is {'offered' if t.is_active else 'no longer offered'}."
        )
    return redirect("plans:template", template_uuid=t.uuid)


@requires("program.view")
def decision_rules(request):
    """The level-of-care rules each program uses, labelled as decision support."""
    programs = Program.objects.visible_to(request.user, "view").order_by("name")
    rows = []
    for program in programs:
        rules, source = rules_for(program)
        rows.append(
            {
                "program": program,
                "source": source,
                "rules": [
                    {
                        "n": i,
                        "level": asam.LEVELS[r["level"]],
                        "reason": r.get("reason", ""),
                        "conditions": [asam.describe_condition(c) for c in r["any"]],
                    }
                    for i, r in enumerate(rules, 1)
                ],
            }
        )
    return render(
        request, "plans/decision_rules.html", {"rows": rows, "dimensions": asam.DIMENSIONS}
    )
