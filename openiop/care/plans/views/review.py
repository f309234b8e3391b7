"""Reviews due, the review form, and the relapse prevention plan."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render

from openiop.access.scope import can
from openiop.accounts.models import User
from openiop.audit.services import audit_read
from openiop.care.plans import forms as f
from openiop.care.plans.plan_models import RelapsePreventionPlan
from openiop.care.plans.selectors import reviews_due as reviews_due_q
from openiop.care.plans.selectors import reviews_due_counts, version_content
from openiop.care.plans.services.relapse import FIELDS as RELAPSE_FIELDS
from openiop.care.plans.services.relapse import relapse_plan_save
from openiop.care.plans.services.review import plan_review_record
from openiop.care.plans.views.common import delivery_of, episode_or_404, plan_or_404
from openiop.core.decorators import requires
from openiop.core.errors import ApplicationError
from openiop.core.forms import apply_errors
from openiop.core.pagination import PAGE_SIZE

TABS = [
    ("overdue", "Overdue"),
    ("week", "Due within 7 days"),
    ("unsigned", "No signed plan yet"),
]


@requires("plan.review")
def reviews_due(request):
    clinician, staff = request.user, None
    if can(request.user, "staff.view"):
        staff = (
            User.objects.visible_to(request.user, "view")
            .filter(is_active=True)
            .only("uuid", "username", "display_name", "first_name", "last_name")
            .order_by("display_name")
        )
        wanted = request.GET.get("clinician")
        if wanted:
            clinician = staff.filter(uuid=wanted).first() or request.user
    lists = reviews_due_q(actor=request.user, clinician=clinician)
    tab = request.GET.get("show") if request.GET.get("show") in dict(TABS) else "overdue"
    counts = reviews_due_counts(lists)
    paginator = Paginator(lists[tab], PAGE_SIZE)
    paginator.__dict__["count"] = counts[tab]  # known already: no second COUNT query
    page = paginator.get_page(request.GET.get("page"))
    if tab == "unsigned":
        patient_ids = [e.patient_id for e in page.object_list]
    else:
        patient_ids = [p.patient_id for p in page.object_list]
    audit_read(actor=request.user, event="plan.reviews_due", patient_ids=patient_ids)
    return render(
        request,
        "plans/reviews_due.html",
        {
            "clinician": clinician,
            "staff": staff,
            "tabs": [(k, label, counts[k]) for k, label in TABS],
            "tab": tab,
            "page": page,
            "today": lists["today"],
        },
    )


@requires("plan.review")
def plan_review(request, plan_uuid):
    plan = plan_or_404(request, plan_uuid)
    if plan.current_id is None or plan.status != "open":
        messages.error(request, "Only an open plan with a signed version can be reviewed.")
        return redirect("plans:plan", plan_uuid=plan.uuid)
    content = version_content(plan.current, with_progress=True)
    objectives = [o for p in content for g in p.goals.all() for o in g.objectives.all()]
    form = f.ReviewForm(
        request.POST or None, objectives=objectives, initial={"revision": plan.revision}
    )
    if request.method == "POST" and form.is_valid():
        c = form.cleaned_data
        try:
            plan_review_record(
                actor=request.user,
                plan=plan,
                revision=c["revision"],
                reviewed_on=c["reviewed_on"],
                outcome=c["outcome"],
                summary=c["summary"],
                progress=form.progress(),
                patient_participated=c["patient_participated"],
                revise_reason=c["revise_reason"],
            )
        except ApplicationError as exc:
            apply_errors(form, exc)
        else:
            done = {
                "continue": "Review recorded; the plan continues.",
                "revise": "Review recorded; a new draft version is ready to edit and sign.",
                "end": "Review recorded; the plan has ended.",
            }
            messages.success(request, done[c["outcome"]])
            return redirect("plans:plan", plan_uuid=plan.uuid)
    else:
        audit_read(
            actor=request.user, event="plan.review_form", obj=plan, patient=plan.episode.patient
        )
    return render(
        request,
        "plans/review_form.html",
        {
            "plan": plan,
            "patient": plan.episode.patient,
            "form": form,
            "content": content,
            "trend": _trend(plan),
            "delivery": delivery_of(plan, plan.current, before=1, after=0),
        },
    )


def _trend(plan):
    """Measure trends for the review, when the measures app is installed.

    The measures app provides `measures/_trend_chart.html`; its data comes from
    `openiop.measures.selectors.trend_for_review` if it offers one.
    """
    from django.apps import apps

    if not apps.is_installed("openiop.measures"):
        return None
    try:
        from openiop.measures import selectors as measure_selectors
    except ImportError:
        return None
    builder = getattr(measure_selectors, "trend_for_review", None)
    if builder is None:
        return None
    return builder(actor=plan.changed_by or plan.created_by, patient=plan.episode.patient)


def _relapse_or_none(request, episode):
    return (
        RelapsePreventionPlan.objects.visible_to(request.user, "view")
        .filter(episode=episode)
        .first()
    )


@requires("plan.view")
def relapse_plan(request, episode_uuid):
    episode = episode_or_404(request, episode_uuid)
    rpp = _relapse_or_none(request, episode)
    can_change = can(request.user, "plan.change") and episode.is_open
    initial = {k: getattr(rpp, k) for k in RELAPSE_FIELDS} if rpp else {}
    if rpp:
        initial["revision"] = rpp.revision
    else:
        people = [
            f"{s.name}, {s.get_relationship_display().lower()}, {s.phone}"
            for s in episode.patient.support_persons.filter(involvement_consent=True)
            if s.phone
        ]
        initial["people_to_call"] = "\n".join(
            people + ["988 Suicide & Crisis Lifeline, call or text 988"]
        )
    form = f.RelapseForm(request.POST or None, initial=initial)
    if request.method == "POST" and can_change and form.is_valid():
        data = dict(form.cleaned_data)
        revision = data.pop("revision")
        try:
            relapse_plan_save(actor=request.user, episode=episode, revision=revision, **data)
        except ApplicationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "Relapse prevention plan saved.")
            return redirect("plans:relapse_plan", episode_uuid=episode.uuid)
    elif request.method == "GET":
        # the page shows who the patient is (and their support persons) with or
        # without a saved plan: every view of it is a read
        audit_read(
            actor=request.user,
            event="relapse_plan.read",
            obj=rpp or episode,
            patient=episode.patient,
        )
    return render(
        request,
        "plans/relapse_form.html",
        {
            "form": form,
            "episode": episode,
            "patient": episode.patient,
            "rpp": rpp,
            "can_change": can_change,
        },
    )


@requires("plan.view")
def relapse_plan_print(request, episode_uuid):
    episode = episode_or_404(request, episode_uuid)
    rpp = _relapse_or_none(request, episode)
    if rpp is None:
        raise Http404("There is no relapse prevention plan yet.")
    audit_read(actor=request.user, event="relapse_plan.print", obj=rpp, patient=episode.patient)
    sections = [
        ("My triggers", rpp.triggers),
        ("Warning signs", rpp.warning_signs),
        ("What I will do instead", rpp.coping_strategies),
        ("People I can call", rpp.people_to_call),
        ("Safe places", rpp.safe_places),
        ("Why my recovery matters", rpp.reasons),
    ]
    return render(
        request,
        "plans/relapse_print.html",
        {
            "rpp": rpp,
            "episode": episode,
            "patient": episode.patient,
            "sections": [
                (t, [line for line in body.splitlines() if line.strip()])
                for t, body in sections
                if body
            ],
        },
    )
