"""Reads of the clinical record. Every one starts from `visible_to`, and the
busy ones run a fixed number of queries whatever the size of the plan."""

import datetime as dt

from django.db.models import Count, OuterRef, Prefetch, Q, Subquery
from django.utils import timezone

from openiop.care.models import Episode, EpisodeStatus
from openiop.care.plans.discharge_models import DischargeSummary
from openiop.care.plans.models import Assessment, Diagnosis, DiagnosisStatus
from openiop.care.plans.plan_models import (
    ObjectiveProgress,
    PlanGoal,
    PlanIntervention,
    PlanObjective,
    PlanProblem,
    PlanReview,
    PlanStatus,
    PlanVersion,
    RelapsePreventionPlan,
    TreatmentPlan,
    VersionStatus,
)

DUE_SOON_DAYS = 7


def visible_plans(actor):
    return TreatmentPlan.objects.visible_to(actor, "view").select_related(
        "episode__program__site", "episode__patient", "episode__primary_clinician", "current"
    )


def version_content(version: PlanVersion, *, with_progress: bool = False) -> list[PlanProblem]:
    """The version's problems with goals, objectives, interventions and people,
    in six queries whatever their number. With `with_progress` each objective
    carries `latest_status` and `latest_note` from the last review."""
    objectives = PlanObjective.objects.all()
    if with_progress:
        last = ObjectiveProgress.objects.filter(objective_key=OuterRef("key")).order_by("-id")
        objectives = objectives.annotate(
            latest_status=Subquery(last.values("status")[:1]),
            latest_note=Subquery(last.values("note")[:1]),
        )
    interventions = PlanIntervention.objects.select_related("responsible").prefetch_related(
        "support_persons"
    )
    return list(
        version.problems.prefetch_related(
            "diagnoses",
            Prefetch(
                "goals",
                queryset=PlanGoal.objects.prefetch_related(
                    Prefetch(
                        "objectives",
                        queryset=objectives.prefetch_related(
                            Prefetch("interventions", queryset=interventions)
                        ),
                    )
                ),
            ),
        )
    )


def chart_content(version: PlanVersion) -> list[PlanProblem]:
    """What the chart shows of a version: goals, objectives with their latest
    progress, and the interventions' frequencies for the hours (4 queries)."""
    last = ObjectiveProgress.objects.filter(objective_key=OuterRef("key")).order_by("-id")
    objectives = (
        PlanObjective.objects.only("goal_id", "statement", "status", "position")
        .annotate(latest_status=Subquery(last.values("status")[:1]))
        .prefetch_related(
            Prefetch(
                "interventions",
                queryset=PlanIntervention.objects.only(
                    "objective_id", "modality", "sessions", "period", "minutes", "position"
                ),
            )
        )
    )
    goals = PlanGoal.objects.only("problem_id", "statement", "position").prefetch_related(
        Prefetch("objectives", queryset=objectives)
    )
    return list(
        version.problems.only("version_id", "position").prefetch_related(
            Prefetch("goals", queryset=goals)
        )
    )


def interventions_of(problems) -> list:
    return [
        iv
        for p in problems
        for g in p.goals.all()
        for o in g.objectives.all()
        for iv in o.interventions.all()
    ]


def chart_record(*, actor, patient) -> dict:
    """What the chart shows of the clinical record: per visible episode its
    latest assessment, active diagnoses, open plan with the version in effect,
    relapse prevention plan and discharge summary. Constant queries."""
    from openiop.access.scope import can

    if not any(can(actor, p) for p in ("plan.view", "assessment.view", "diagnosis.view")):
        return {"episodes": []}
    episodes = list(
        Episode.objects.visible_to(actor, "view")
        .filter(patient=patient)
        .select_related("program")
        .order_by("-admitted_on", "-id")
    )
    ids = [e.pk for e in episodes]
    plans = {
        p.episode_id: p
        for p in TreatmentPlan.objects.visible_to(actor, "view")
        .filter(episode_id__in=ids)
        .select_related("current")
        .order_by("status", "-id")
    }
    assessments: dict[int, Assessment] = {}
    for a in Assessment.objects.visible_to(actor, "view").filter(episode_id__in=ids):
        assessments.setdefault(a.episode_id, a)
    diagnoses: dict[int, list] = {}
    for d in Diagnosis.objects.visible_to(actor, "view").filter(
        episode_id__in=ids, status=DiagnosisStatus.ACTIVE
    ):
        diagnoses.setdefault(d.episode_id, []).append(d)
    relapse = set(
        RelapsePreventionPlan.objects.visible_to(actor, "view")
        .filter(episode_id__in=ids)
        .values_list("episode_id", flat=True)
    )
    from openiop.care.plans.safety_models import SafetyPlan

    safety = dict(
        SafetyPlan.objects.visible_to(actor, "view")
        .filter(episode_id__in=ids)
        .values_list("episode_id", "revision")
    )
    summaries = {
        s.episode_id: s
        for s in DischargeSummary.objects.visible_to(actor, "view").filter(episode_id__in=ids)
    }
    open_plan = next(
        (plans[e.pk] for e in episodes if e.pk in plans and plans[e.pk].status == PlanStatus.OPEN),
        None,
    )
    content = []
    if open_plan is not None and open_plan.current_id:
        content = chart_content(open_plan.current)
    from openiop.care.plans.hours import hours_check

    for e in episodes:
        e.plan = plans.get(e.pk)
        e.assessment = assessments.get(e.pk)
        e.active_diagnoses = diagnoses.get(e.pk, [])
        cats = {d.category for d in e.active_diagnoses}
        e.co_occurring = {"substance_use", "mental_health"} <= cats
        e.has_relapse_plan = e.pk in relapse
        e.safety_plan_version = safety.get(e.pk)
        e.summary = summaries.get(e.pk)
        if e.plan is open_plan and open_plan is not None:
            e.plan_content = content
            if content:
                e.hours = hours_check(interventions_of(content), e.program)
    return {"episodes": episodes, "open_plan": open_plan, "today": timezone.localdate()}


def reviews_due(*, actor, clinician, today: dt.date | None = None) -> dict:
    """Open plans of the clinician's open episodes: overdue, due within a week,
    and open episodes with no signed plan yet. Querysets, to paginate."""
    today = today or timezone.localdate()
    mine = (
        visible_plans(actor)
        .filter(
            status=PlanStatus.OPEN,
            episode__status=EpisodeStatus.ACTIVE,
            episode__primary_clinician=clinician,
        )
        .order_by("review_due_on", "episode__patient__legal_family_name", "id")
    )
    signed = mine.filter(current__isnull=False)
    signed_open = TreatmentPlan.objects.filter(status=PlanStatus.OPEN, current__isnull=False)
    no_plan = (
        Episode.objects.visible_to(actor, "view")
        .filter(status=EpisodeStatus.ACTIVE, primary_clinician=clinician)
        .exclude(id__in=signed_open.values("episode_id"))
        .select_related("patient", "program")
        .order_by("admitted_on", "id")
    )
    soon = today + dt.timedelta(days=DUE_SOON_DAYS)
    return {
        "overdue": signed.filter(review_due_on__lt=today),
        "week": signed.filter(review_due_on__gte=today, review_due_on__lte=soon),
        "unsigned": no_plan,
        "today": today,
        "soon": soon,
        "signed": signed,
    }


def reviews_due_counts(lists: dict) -> dict[str, int]:
    """The three counts of `reviews_due`, in two queries."""
    today, soon = lists["today"], lists["soon"]
    counts = lists["signed"].aggregate(
        overdue=Count("id", filter=Q(review_due_on__lt=today)),
        week=Count("id", filter=Q(review_due_on__gte=today, review_due_on__lte=soon)),
    )
    counts["unsigned"] = lists["unsigned"].count()
    return counts


def plan_detail(*, actor, plan_uuid):
    return visible_plans(actor).filter(uuid=plan_uuid).first()


def versions_of(plan) -> list[PlanVersion]:
    return list(plan.versions.prefetch_related("signatures__recorded_by").order_by("-number"))


def reviews_of(plan) -> list[PlanReview]:
    return list(
        plan.reviews.select_related("reviewer", "version").prefetch_related(
            Prefetch("progress", queryset=ObjectiveProgress.objects.select_related("objective"))
        )
    )


def pending_version(plan) -> PlanVersion | None:
    return plan.versions.filter(status__in=[VersionStatus.DRAFT, VersionStatus.AWAITING]).first()


def dashboard_reviews(user, ctx: dict, today: dt.date) -> None:
    """Counts for the dashboard's plan-review card (no patient is named)."""
    counts = reviews_due_counts(reviews_due(actor=user, clinician=user, today=today))
    ctx["reviews_overdue"] = counts["overdue"]
    ctx["reviews_week"] = counts["week"]
    ctx["plans_unsigned"] = counts["unsigned"]
    ctx["sections"].add("reviews")
