"""`/api/v1/`: assessments, diagnoses, plans with versions, signatures,
reviews and discharge summaries, scoped and audited as the pages are."""

from typing import Annotated
from uuid import UUID

from django.http import Http404
from ninja import Router
from ninja.responses import Status
from pydantic import Field

from openiop.accounts.models import User
from openiop.audit.services import audit_read
from openiop.care.models import Episode
from openiop.care.plans import icd
from openiop.care.plans import schemas as s
from openiop.care.plans.discharge_models import DischargeSummary
from openiop.care.plans.models import Assessment, Diagnosis, PlanTemplate
from openiop.care.plans.plan_models import PlanReview
from openiop.care.plans.selectors import reviews_due, version_content, visible_plans
from openiop.care.plans.services import assessment as assessments
from openiop.care.plans.services.discharge import discharge_with_summary
from openiop.care.plans.services.draft import plan_draft_replace
from openiop.care.plans.services.plan import plan_revise, plan_start
from openiop.care.plans.services.review import plan_review_record
from openiop.care.plans.services.signing import plan_sign
from openiop.core.api import ErrorOut, PageNumber, PageSize, page_of, permission
from openiop.core.errors import ApplicationError

router = Router(tags=["treatment plans"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


def _episode(actor, uuid, field="episode") -> Episode:
    ep = (
        Episode.objects.visible_to(actor, "view")
        .select_related("patient", "program__site", "program__organization")
        .filter(uuid=uuid)
        .first()
    )
    if ep is None:
        raise ApplicationError.for_field(field, "No episode with that id that you may see.")
    return ep


def _plan(actor, uuid):
    plan = visible_plans(actor).filter(uuid=uuid).first()
    if plan is None:
        raise Http404
    return plan


# assessments ---------------------------------------------------------------


@router.get("/assessments", response={200: s.AssessmentPage, **ERRORS})
@permission("assessment.view")
def list_assessments(
    request, episode: UUID | None = None, page: PageNumber = 1, page_size: PageSize = 25
):
    qs = Assessment.objects.visible_to(request.auth, "view").select_related("episode", "patient")
    if episode:
        qs = qs.filter(episode__uuid=episode)
    items, meta = page_of(qs, page, page_size)
    audit_read(
        actor=request.auth, event="assessment.list", patient_ids=[a.patient_id for a in items]
    )
    return {**meta, "results": items}


@router.post("/assessments", response={201: s.AssessmentOut, **ERRORS})
@permission("assessment.change")
def create_assessment(request, payload: s.AssessmentIn):
    data = payload.dict()
    episode = _episode(request.auth, data.pop("episode"))
    a = assessments.assessment_save(actor=request.auth, episode=episode, **data)
    return Status(201, a)


def _assessment(actor, uuid) -> Assessment:
    a = (
        Assessment.objects.visible_to(actor, "view")
        .select_related("episode__program__site", "patient")
        .filter(uuid=uuid)
        .first()
    )
    if a is None:
        raise Http404
    return a


@router.get("/assessments/{assessment_uuid}", response={200: s.AssessmentOut, **ERRORS})
@permission("assessment.view")
def get_assessment(request, assessment_uuid: UUID):
    a = _assessment(request.auth, assessment_uuid)
    audit_read(actor=request.auth, event="assessment.read", obj=a, patient=a.patient)
    return a


@router.put("/assessments/{assessment_uuid}", response={200: s.AssessmentOut, **ERRORS})
@permission("assessment.change")
def update_assessment(request, assessment_uuid: UUID, payload: s.AssessmentIn):
    a = _assessment(request.auth, assessment_uuid)
    data = payload.dict()
    if data.pop("episode") != a.episode.uuid:
        raise ApplicationError.for_field("episode", "An assessment cannot move to another episode.")
    return assessments.assessment_save(actor=request.auth, episode=a.episode, assessment=a, **data)


@router.post("/assessments/{assessment_uuid}/complete", response={200: s.AssessmentOut, **ERRORS})
@permission("assessment.change")
def complete_assessment(request, assessment_uuid: UUID, payload: s.AssessmentCompleteIn):
    a = _assessment(request.auth, assessment_uuid)
    return assessments.assessment_complete(actor=request.auth, assessment=a, **payload.dict())


# diagnoses and the code set -----------------------------------------------------


@router.get("/diagnoses", response={200: list[s.DiagnosisOut], **ERRORS})
@permission("diagnosis.view")
def list_diagnoses(request, episode: UUID):
    ep = _episode(request.auth, episode)
    rows = list(
        Diagnosis.objects.visible_to(request.auth, "view")
        .filter(episode=ep)
        .select_related("episode")
    )
    audit_read(actor=request.auth, event="diagnosis.list", obj=ep, patient=ep.patient)
    return rows


@router.post("/diagnoses", response={201: s.DiagnosisOut, **ERRORS})
@permission("plan.change")
def create_diagnosis(request, payload: s.DiagnosisIn):
    data = payload.dict()
    episode = _episode(request.auth, data.pop("episode"))
    return Status(201, assessments.diagnosis_add(actor=request.auth, episode=episode, **data))


@router.get("/icd10cm", response={200: list[s.CodeOut], **ERRORS})
@permission("diagnosis.view")
def search_codes(
    request,
    q: str,
    limit: Annotated[int, Field(ge=1, le=100, description="1 to 100 codes.")] = 20,
):
    """Billable ICD-10-CM codes matching a code prefix or words."""
    return [
        {"code": c.code, "description": c.description, "category": c.category}
        for c in icd.search(q, limit=limit)
    ]


# plans ---------------------------------------------------------------------


@router.get("/plans", response={200: s.PlanPage, **ERRORS})
@permission("plan.view")
def list_plans(
    request,
    episode: UUID | None = None,
    status: str = "",
    page: PageNumber = 1,
    page_size: PageSize = 25,
):
    qs = visible_plans(request.auth).order_by("-created_at", "-id")
    if episode:
        qs = qs.filter(episode__uuid=episode)
    if status:
        qs = qs.filter(status=status)
    items, meta = page_of(qs, page, page_size)
    audit_read(actor=request.auth, event="plan.list", patient_ids=[p.patient_id for p in items])
    return {**meta, "results": items}


@router.post("/plans", response={201: s.PlanOut, **ERRORS})
@permission("plan.change")
def create_plan(request, payload: s.PlanIn):
    episode = _episode(request.auth, payload.episode)
    template = None
    if payload.template:
        template = PlanTemplate.objects.filter(
            organization_id=episode.organization_id, uuid=payload.template
        ).first()
        if template is None:
            raise ApplicationError.for_field(
                "template", "No template with that id in this organization."
            )
    plan = plan_start(actor=request.auth, episode=episode, template=template)
    return Status(201, _plan(request.auth, plan.uuid))


@router.get("/plans/{plan_uuid}", response={200: s.PlanOut, **ERRORS})
@permission("plan.view")
def get_plan(request, plan_uuid: UUID):
    plan = _plan(request.auth, plan_uuid)
    audit_read(actor=request.auth, event="plan.read", obj=plan, patient=plan.episode.patient)
    return plan


def content_dict(problems) -> list[dict]:
    return [
        {
            "key": str(p.key),
            "statement": p.statement,
            "diagnoses": [{"uuid": str(d.uuid), "code": d.code} for d in p.diagnoses.all()],
            "asam_dimensions": p.asam_dimensions,
            "goals": [
                {
                    "key": str(g.key),
                    "statement": g.statement,
                    "objectives": [
                        {
                            "key": str(o.key),
                            "uuid": str(o.uuid),
                            "statement": o.statement,
                            "target_on": o.target_on.isoformat(),
                            "status": o.status,
                            "interventions": [
                                {
                                    "key": str(i.key),
                                    "modality": i.modality,
                                    "topic": i.topic,
                                    "description": i.description,
                                    "sessions": i.sessions,
                                    "period": i.period,
                                    "minutes": i.minutes,
                                    "frequency": i.frequency_label,
                                    "responsible": str(i.responsible.uuid),
                                    "support_persons": [
                                        str(x.uuid) for x in i.support_persons.all()
                                    ],
                                }
                                for i in o.interventions.all()
                            ],
                        }
                        for o in g.objectives.all()
                    ],
                }
                for g in p.goals.all()
            ],
        }
        for p in problems
    ]


@router.get("/plans/{plan_uuid}/versions/{number}", response={200: s.VersionDetailOut, **ERRORS})
@permission("plan.view")
def get_version(request, plan_uuid: UUID, number: int):
    plan = _plan(request.auth, plan_uuid)
    version = (
        plan.versions.prefetch_related("signatures__recorded_by").filter(number=number).first()
    )
    if version is None:
        raise Http404
    audit_read(
        actor=request.auth,
        event="plan.read",
        obj=plan,
        patient=plan.episode.patient,
        detail={"version": number},
    )
    version.content_tree = content_dict(version_content(version))
    return version


@router.post("/plans/{plan_uuid}/versions", response={201: s.VersionOut, **ERRORS})
@permission("plan.change")
def create_version(request, plan_uuid: UUID, payload: s.ReviseIn):
    plan = _plan(request.auth, plan_uuid)
    return Status(201, plan_revise(actor=request.auth, plan=plan, **payload.dict()))


def _resolve_tree(actor, episode, problems: list[dict]) -> list[dict]:
    """Turn the ids in a draft payload into objects of this episode."""
    diagnoses = {d.uuid: d for d in Diagnosis.objects.filter(episode=episode)}
    people = {p.uuid: p for p in episode.patient.support_persons.all()}
    wanted = {
        i["responsible"]
        for p in problems
        for g in p["goals"]
        for o in g["objectives"]
        for i in o["interventions"]
    }
    staff = {u.uuid: u for u in User.objects.filter(uuid__in=wanted)}

    def pick(mapping, ids, field):
        try:
            return [mapping[x] for x in ids]
        except KeyError:
            raise ApplicationError.for_field(
                field, f"Unknown {field.replace('_', ' ')} id."
            ) from None

    for p in problems:
        p["diagnoses"] = pick(diagnoses, p["diagnoses"], "diagnoses")
        for g in p["goals"]:
            for o in g["objectives"]:
                for i in o["interventions"]:
                    i["responsible"] = pick(staff, [i["responsible"]], "responsible")[0]
                    i["support_persons"] = pick(people, i["support_persons"], "support_persons")
    return problems


@router.put("/plans/{plan_uuid}/draft", response={200: s.VersionDetailOut, **ERRORS})
@permission("plan.change")
def replace_draft(request, plan_uuid: UUID, payload: s.DraftIn):
    """Replace the whole content of the draft version; send the plan's
    `revision` you started from (409 if someone changed it since)."""
    plan = _plan(request.auth, plan_uuid)
    data = payload.dict()
    problems = _resolve_tree(request.auth, plan.episode, data["problems"])
    version = plan_draft_replace(
        actor=request.auth, plan=plan, revision=data["revision"], problems=problems
    )
    version.content_tree = content_dict(version_content(version))
    return version


@router.post("/plans/{plan_uuid}/signatures", response={201: s.SignatureOut, **ERRORS})
@permission("plan.view")
def sign_plan(request, plan_uuid: UUID, payload: s.SignatureIn):
    """Sign the version awaiting signatures (the role's permission is checked by the service)."""
    plan = _plan(request.auth, plan_uuid)
    return Status(201, plan_sign(actor=request.auth, plan=plan, **payload.dict()))


# reviews -------------------------------------------------------------------


@router.get("/plans/{plan_uuid}/reviews", response={200: list[s.ReviewOut], **ERRORS})
@permission("plan.view")
def list_reviews(request, plan_uuid: UUID):
    plan = _plan(request.auth, plan_uuid)
    audit_read(actor=request.auth, event="plan.reviews", obj=plan, patient=plan.episode.patient)
    return list(PlanReview.objects.filter(plan=plan).select_related("version", "reviewer"))


@router.post("/plans/{plan_uuid}/reviews", response={201: s.ReviewOut, **ERRORS})
@permission("plan.review")
def create_review(request, plan_uuid: UUID, payload: s.ReviewIn):
    plan = _plan(request.auth, plan_uuid)
    data = payload.dict()
    progress = {
        str(p["objective"]): {"status": p["status"], "note": p["note"]}
        for p in data.pop("progress")
    }
    return Status(201, plan_review_record(actor=request.auth, plan=plan, progress=progress, **data))


@router.get("/reviews-due", response={200: s.DuePage, **ERRORS})
@permission("plan.review")
def list_reviews_due(
    request,
    clinician: UUID | None = None,
    within_days: Annotated[int, Field(ge=0, le=60, description="0 to 60 days.")] = 7,
    page: PageNumber = 1,
    page_size: PageSize = 25,
):
    """Open plans whose review is overdue or due within `within_days` (0-60)."""
    import datetime as dt

    who = request.auth
    if clinician:
        who = User.objects.visible_to(request.auth, "view").filter(uuid=clinician).first()
        if who is None:
            raise ApplicationError.for_field(
                "clinician", "No staff member with that id that you may see."
            )
    lists = reviews_due(actor=request.auth, clinician=who)
    today = lists["today"]
    qs = lists["signed"].filter(review_due_on__lte=today + dt.timedelta(days=within_days))
    items, meta = page_of(qs, page, page_size)
    audit_read(
        actor=request.auth, event="plan.reviews_due", patient_ids=[p.patient_id for p in items]
    )
    return {
        **meta,
        "results": [
            {
                "plan": p.uuid,
                "patient": p.episode.patient.uuid,
                "patient_name": p.episode.patient.display_name,
                "program": p.episode.program.name,
                "review_due_on": p.review_due_on,
                "overdue": p.review_due_on < today,
            }
            for p in items
        ],
    }


# discharge -----------------------------------------------------------------


def _summaries(actor):
    return DischargeSummary.objects.visible_to(actor, "view").select_related(
        "episode", "patient", "signed_by"
    )


@router.post("/discharges", response={201: s.DischargeSummaryOut, **ERRORS})
@permission("episode.discharge")
def create_discharge(request, payload: s.DischargeSummaryIn):
    """Discharge the episode with its summary and aftercare plan, in one transaction."""
    data = payload.dict()
    episode = _episode(request.auth, data.pop("episode"))
    wanted = set(data.pop("diagnoses"))
    diagnoses = [d for d in Diagnosis.objects.filter(episode=episode) if d.uuid in wanted]
    if len(diagnoses) != len(wanted):
        raise ApplicationError.for_field("diagnoses", "Unknown diagnosis id for this episode.")
    summary = discharge_with_summary(
        actor=request.auth,
        episode=episode,
        reason=data.pop("discharge_reason"),
        diagnoses=diagnoses,
        **data,
    )
    return Status(201, _summaries(request.auth).get(pk=summary.pk))


@router.get("/discharges/{summary_uuid}", response={200: s.DischargeSummaryOut, **ERRORS})
@permission("plan.view")
def get_discharge(request, summary_uuid: UUID):
    summary = _summaries(request.auth).filter(uuid=summary_uuid).first()
    if summary is None:
        raise Http404
    audit_read(actor=request.auth, event="discharge.read", obj=summary, patient=summary.patient)
    return summary
