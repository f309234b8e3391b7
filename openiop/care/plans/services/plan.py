"""Treatment plan: start (blank or from a template), edit the draft, revise."""

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone

from openiop.accounts.models import Membership
from openiop.audit.models import Action
from openiop.audit.services import audit_record
from openiop.care.plans import asam
from openiop.care.plans.hours import weekly_hours_of
from openiop.care.plans.models import Diagnosis, DiagnosisStatus
from openiop.care.plans.plan_models import (
    Modality,
    ObjectiveStatus,
    Period,
    PlanGoal,
    PlanIntervention,
    PlanObjective,
    PlanProblem,
    PlanStatus,
    PlanVersion,
    TreatmentPlan,
    VersionStatus,
)
from openiop.care.plans.services.common import a_date, bump, require_on, require_open, text
from openiop.core.errors import ApplicationError
from openiop.scheduling.staff import lead_refusal, program_staff, who_may_lead

KINDS = ("problem", "goal", "objective", "intervention")
MODEL_OF = {
    "problem": PlanProblem,
    "goal": PlanGoal,
    "objective": PlanObjective,
    "intervention": PlanIntervention,
}
PARENT_OF = {"goal": "problem", "objective": "goal", "intervention": "objective"}


def second_plan_message(plan) -> str:
    return (
        "This episode already has an open treatment plan "
        f"(started {plan.created_at:%Y-%m-%d}); revise it instead of starting another."
    )


def plan_start(*, actor, episode, template=None) -> TreatmentPlan:
    """Open the episode's treatment plan with a first draft version."""
    require_on(actor, episode, "plan.change", Action.CREATE)
    require_open(episode)
    existing = TreatmentPlan.objects.filter(episode=episode, status=PlanStatus.OPEN).first()
    if existing:
        raise ApplicationError.for_field("episode", second_plan_message(existing))
    if template is not None and (
        template.organization_id != episode.organization_id or not template.is_active
    ):
        raise ApplicationError.for_field(
            "template", "Choose an active template of this organization."
        )
    try:
        with transaction.atomic():
            now = timezone.now()
            plan = TreatmentPlan.objects.create(
                organization_id=episode.organization_id,
                episode=episode,
                patient_id=episode.patient_id,
                created_by=actor,
                changed_by=actor,
                changed_at=now,
            )
            version = PlanVersion.objects.create(
                plan=plan, number=1, created_by=actor, template=template
            )
            if template is not None:
                _fill_from_template(version, template, episode, actor)
            audit_record(
                actor=actor,
                action=Action.CREATE,
                event="plan.create",
                obj=plan,
                patient=episode.patient,
                detail={"template": template.key if template else None},
            )
    except IntegrityError:
        existing = TreatmentPlan.objects.get(episode=episode, status=PlanStatus.OPEN)
        raise ApplicationError.for_field("episode", second_plan_message(existing)) from None
    return plan


def _fill_from_template(version, template, episode, actor) -> None:
    from openiop.care.plans.library_loader import validate_content

    content = validate_content(template.content)
    start = max(timezone.localdate(), episode.admitted_on)
    responsible_for = _responsible_for(episode, actor)
    active = list(Diagnosis.objects.filter(episode=episode, status=DiagnosisStatus.ACTIVE))
    for p_i, p in enumerate(content["problems"]):
        problem = PlanProblem.objects.create(
            version=version,
            position=p_i,
            statement=p["statement"],
            asam_dimensions=p.get("asam_dimensions", []),
            created_by=actor,
        )
        prefixes = tuple(p.get("icd_prefixes", []))
        linked = [d for d in active if prefixes and d.code.startswith(prefixes)]
        if linked:
            problem.diagnoses.set(linked)
        for g_i, g in enumerate(p.get("goals", [])):
            goal = PlanGoal.objects.create(
                problem=problem, position=g_i, statement=g["statement"], created_by=actor
            )
            for o_i, o in enumerate(g.get("objectives", [])):
                objective = PlanObjective.objects.create(
                    goal=goal,
                    position=o_i,
                    statement=o["statement"],
                    target_on=start + dt.timedelta(days=o["target_days"]),
                    created_by=actor,
                )
                PlanIntervention.objects.bulk_create(
                    PlanIntervention(
                        objective=objective,
                        position=i_i,
                        modality=i["modality"],
                        topic=i.get("topic", ""),
                        description=i.get("description", ""),
                        sessions=i["sessions"],
                        period=i["period"],
                        minutes=i["minutes"],
                        responsible=responsible_for(i["modality"]),
                        created_by=actor,
                    )
                    for i_i, i in enumerate(o.get("interventions", []))
                )
    _store_hours(version)


def _responsible_for(episode, actor):
    """modality -> who a template's intervention is given to: the primary
    clinician (else the author) when their licence allows leading it, else the
    first of the program's staff whose licence does; with nobody licensed, the
    primary clinician, and signing says what is missing."""
    first = episode.primary_clinician or actor
    staff = [first] + [u for u in program_staff(episode.program) if u.pk != first.pk]
    may = who_may_lead(staff, episode.program, _site_today(episode))
    from openiop.scheduling.staff import licences_by_modality

    ruled = set(licences_by_modality(episode.organization_id))

    def pick(modality: str):
        if modality not in ruled:
            return first
        return next((u for u in staff if modality in may[u.pk]), first)

    return pick


def _store_hours(version) -> None:
    total = sum(
        (
            weekly_hours_of(s, p, m)
            for s, p, m in PlanIntervention.objects.filter(
                objective__goal__problem__version=version
            ).values_list("sessions", "period", "minutes")
        ),
        start=weekly_hours_of(0, "week", 5),
    )
    version.weekly_hours = round(total, 2)
    PlanVersion.objects.filter(pk=version.pk).update(weekly_hours=version.weekly_hours)


def draft_of(plan) -> PlanVersion | None:
    return plan.versions.filter(status=VersionStatus.DRAFT).first()


def version_of_item(kind: str, item) -> PlanVersion:
    if kind == "problem":
        return item.version
    if kind == "goal":
        return item.problem.version
    if kind == "objective":
        return item.goal.problem.version
    return item.objective.goal.problem.version


def _site_today(episode) -> dt.date:
    from openiop.scheduling.localtime import today_in

    return today_in(episode.program.site.time_zone)


def _staff_of_program(user, program) -> bool:
    return (
        Membership.objects.filter(
            user=user, organization_id=program.organization_id, is_active=True
        )
        .filter(program__isnull=True)
        .exists()
        or Membership.objects.filter(user=user, program=program, is_active=True).exists()
    )


def _clean(kind: str, data: dict, plan, version) -> tuple[dict, dict]:
    """Validated field values, and many-to-many values, for an item of `kind`."""
    episode = plan.episode
    m2m: dict = {}
    if kind == "problem":
        dims = [str(d) for d in data.get("asam_dimensions") or []]
        if any(d not in asam.DIMENSION_CODES for d in dims):
            raise ApplicationError.for_field("asam_dimensions", "ASAM dimensions are 1 to 6.")
        diagnoses = list(data.get("diagnoses") or [])
        for d in diagnoses:
            if d.episode_id != episode.pk or d.status != DiagnosisStatus.ACTIVE:
                raise ApplicationError.for_field(
                    "diagnoses", "Link only active diagnoses of this episode."
                )
        m2m["diagnoses"] = diagnoses
        clean = {
            "statement": text(data, "statement", required="Describe the problem.", limit=2000),
            "asam_dimensions": sorted(set(dims)),
        }
    elif kind == "goal":
        clean = {
            "statement": text(
                data,
                "statement",
                required="Write the goal, in the patient's own words.",
                limit=2000,
            )
        }
    elif kind == "objective":
        target = data.get("target_on")
        if not target:
            raise ApplicationError.for_field("target_on", "Give the objective a target date.")
        a_date(target, "target_on", "Give the objective a target date.")
        if target < episode.admitted_on:
            raise ApplicationError.for_field(
                "target_on",
                f"The target date {target:%Y-%m-%d} is before the admission on "
                f"{episode.admitted_on:%Y-%m-%d}.",
            )
        if target > episode.admitted_on + dt.timedelta(days=730):
            raise ApplicationError.for_field("target_on", "Set a target within two years.")
        status = data.get("status") or ObjectiveStatus.NOT_STARTED
        if status not in ObjectiveStatus.values:
            raise ApplicationError.for_field("status", "Choose the objective's status.")
        clean = {
            "statement": text(
                data,
                "statement",
                required="Write a measurable objective: what, how much, by when.",
                limit=2000,
            ),
            "target_on": target,
            "status": status,
        }
    else:
        clean = _clean_intervention(data, plan, m2m)
    return clean, m2m


def _clean_intervention(data: dict, plan, m2m: dict) -> dict:
    episode = plan.episode
    modality = data.get("modality")
    if modality not in Modality.values:
        raise ApplicationError.for_field("modality", "Choose the intervention's modality.")
    sessions, period = data.get("sessions"), data.get("period")
    if not sessions or period not in Period.values:
        raise ApplicationError.for_field(
            "sessions",
            "Say how often: a number of sessions a week, every other week or a month.",
        )
    if isinstance(sessions, bool) or not isinstance(sessions, int) or not 1 <= sessions <= 21:
        raise ApplicationError.for_field("sessions", "Sessions must be a number from 1 to 21.")
    from openiop.care.plans.hours import DEFAULT_MINUTES

    minutes = data.get("minutes") or DEFAULT_MINUTES[modality]
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not 5 <= minutes <= 480:
        raise ApplicationError.for_field("minutes", "A session lasts 5 to 480 minutes.")
    topic = text(data, "topic", limit=120)
    if modality == Modality.PSYCHOEDUCATION and not topic:
        raise ApplicationError.for_field(
            "topic", "Name the workshop's topic, e.g. relapse prevention or life skills."
        )
    responsible = data.get("responsible")
    if responsible is None:
        raise ApplicationError.for_field("responsible", "Name the staff member responsible.")
    if not _staff_of_program(responsible, episode.program):
        raise ApplicationError.for_field(
            "responsible", f"{responsible.get_display_name()} is not on this program's staff."
        )
    refusal = lead_refusal(responsible, modality, episode.program, _site_today(episode))
    if refusal:
        raise ApplicationError.for_field("responsible", refusal)
    people = list(data.get("support_persons") or [])
    if people and modality != Modality.FAMILY:
        raise ApplicationError.for_field(
            "support_persons", "Support persons take part in family therapy only."
        )
    for person in people:
        if person.patient_id != episode.patient_id:
            raise ApplicationError.for_field(
                "support_persons", "Choose support persons of this patient."
            )
        if not person.involvement_consent:
            raise ApplicationError.for_field(
                "support_persons",
                f"{person.name} cannot be involved: the patient's consent to involve them "
                "is not recorded.",
            )
    m2m["support_persons"] = people
    return {
        "modality": modality,
        "topic": topic,
        "description": text(data, "description", limit=2000),
        "sessions": sessions,
        "period": period,
        "minutes": minutes,
        "responsible": responsible,
    }


def _editable_draft(plan, version) -> None:
    if plan.status != PlanStatus.OPEN:
        raise ApplicationError("This plan has ended; it can no longer be changed.")
    if version.plan_id != plan.pk or version.status != VersionStatus.DRAFT:
        raise ApplicationError(
            f"Version {version.number} is {version.get_status_display().lower()} and cannot "
            "change; start a new version to make changes."
        )


def plan_item_save(*, actor, plan, revision, kind: str, item=None, parent=None, **data):
    """Add (with `parent`) or change (`item`) a problem, goal, objective or intervention."""
    require_on(actor, plan.episode, "plan.change")
    require_open(plan.episode)
    if kind not in KINDS:
        raise ApplicationError.for_field("kind", "Unknown part of a plan.")
    if item is None and kind != "problem" and parent is None:
        raise ApplicationError.for_field("parent", f"Say which {PARENT_OF[kind]} this belongs to.")
    version = (
        version_of_item(kind, item)
        if item
        else (version_of_item(PARENT_OF[kind], parent) if parent else data.pop("version", None))
    )
    if version is None:
        version = draft_of(plan)
        if version is None:
            raise ApplicationError("This plan has no draft; start a new version to make changes.")
    _editable_draft(plan, version)
    clean, m2m = _clean(kind, data, plan, version)
    model = MODEL_OF[kind]
    with transaction.atomic():
        bump(TreatmentPlan, plan, revision, actor, status=PlanStatus.OPEN)
        if item is None:
            siblings = _siblings(kind, version, parent)
            item = model(created_by=actor, position=siblings.count(), **clean)
            if kind == "problem":
                item.version = version
            else:
                setattr(item, PARENT_OF[kind], parent)
            changed = list(clean)
            action, event = Action.CREATE, f"plan.{kind}.create"
        else:
            changed = [f for f, v in clean.items() if getattr(item, f) != v]
            for f, v in clean.items():
                setattr(item, f, v)
            action, event = Action.UPDATE, f"plan.{kind}.update"
        item.save()
        for field, values in m2m.items():
            if set(getattr(item, field).all()) != set(values):
                changed.append(field)
            getattr(item, field).set(values)
        if kind == "intervention":
            _store_hours(version)
        audit_record(
            actor=actor,
            action=action,
            event=event,
            obj=plan,
            patient=plan.episode.patient,
            changed_fields=changed,
            detail={"version": version.number, "revision": plan.revision},
        )
    return item


def _siblings(kind, version, parent):
    if kind == "problem":
        return PlanProblem.objects.filter(version=version)
    return MODEL_OF[kind].objects.filter(**{PARENT_OF[kind]: parent})


def plan_item_delete(*, actor, plan, revision, kind: str, item) -> None:
    require_on(actor, plan.episode, "plan.change", Action.DELETE)
    version = version_of_item(kind, item)
    _editable_draft(plan, version)
    with transaction.atomic():
        bump(TreatmentPlan, plan, revision, actor, status=PlanStatus.OPEN)
        item.delete()
        _store_hours(version)
        audit_record(
            actor=actor,
            action=Action.DELETE,
            event=f"plan.{kind}.delete",
            obj=plan,
            patient=plan.episode.patient,
            detail={"version": version.number, "revision": plan.revision},
        )


def plan_revise(*, actor, plan, revision, reason: str, objective_status: dict | None = None):
    """Start a new draft version from the version in effect (or the latest).

    `objective_status` maps objective keys to a status to carry into the draft
    (a review's progress). A version still awaiting signatures is withdrawn.
    """
    require_on(actor, plan.episode, "plan.change", Action.CREATE)
    require_open(plan.episode)
    if plan.status != PlanStatus.OPEN:
        raise ApplicationError("This plan has ended; it can no longer be changed.")
    reason = (reason or "").strip()[:300]
    if not reason:
        raise ApplicationError.for_field("reason", "Say why the plan changes.")
    latest = plan.versions.order_by("-number").first()
    if latest.status == VersionStatus.DRAFT:
        raise ApplicationError(f"Version {latest.number} is already a draft; edit it.")
    source = plan.current or latest
    with transaction.atomic():
        bump(TreatmentPlan, plan, revision, actor, status=PlanStatus.OPEN)
        if latest.status == VersionStatus.AWAITING:
            PlanVersion.objects.filter(pk=latest.pk).update(status=VersionStatus.WITHDRAWN)
        new = copy_version(source, latest.number + 1, actor, reason, objective_status or {})
        audit_record(
            actor=actor,
            action=Action.CREATE,
            event="plan.version.create",
            obj=plan,
            patient=plan.episode.patient,
            detail={"version": new.number, "from_version": source.number},
        )
    return new


def copy_version(source, number, actor, reason, objective_status) -> PlanVersion:
    """A new draft with the same content and the same keys (so versions compare)."""
    new = PlanVersion.objects.create(
        plan_id=source.plan_id,
        number=number,
        change_reason=reason,
        template_id=source.template_id,
        weekly_hours=source.weekly_hours,
        created_by=actor,
    )
    problems = source.problems.prefetch_related(
        "diagnoses", "goals__objectives__interventions__support_persons"
    )
    for p in problems:
        np = PlanProblem.objects.create(
            version=new,
            key=p.key,
            position=p.position,
            statement=p.statement,
            asam_dimensions=p.asam_dimensions,
            created_by=actor,
        )
        np.diagnoses.set(p.diagnoses.all())
        for g in p.goals.all():
            ng = PlanGoal.objects.create(
                problem=np, key=g.key, position=g.position, statement=g.statement, created_by=actor
            )
            for o in g.objectives.all():
                no = PlanObjective.objects.create(
                    goal=ng,
                    key=o.key,
                    position=o.position,
                    statement=o.statement,
                    target_on=o.target_on,
                    status=objective_status.get(str(o.key), o.status),
                    created_by=actor,
                )
                for i in o.interventions.all():
                    ni = PlanIntervention.objects.create(
                        objective=no,
                        key=i.key,
                        position=i.position,
                        modality=i.modality,
                        topic=i.topic,
                        description=i.description,
                        sessions=i.sessions,
                        period=i.period,
                        minutes=i.minutes,
                        responsible_id=i.responsible_id,
                        created_by=actor,
                    )
                    ni.support_persons.set(i.support_persons.all())
    return new
