from uuid import UUID

from django.http import Http404
from ninja import Router
from ninja.responses import Status

from openiop.accounts.models import User
from openiop.audit.services import audit_read
from openiop.care import services
from openiop.care.models import Episode
from openiop.care.schemas import DischargeIn, EpisodeIn, EpisodeOut, EpisodePage, EpisodePatch
from openiop.core.api import ErrorOut, PageNumber, PageSize, page_of, permission
from openiop.core.errors import ApplicationError
from openiop.organizations.models import Program, Track
from openiop.patients.models import Patient

router = Router(tags=["episodes"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


def _lookup(model_qs, uuid, field):
    if uuid is None:
        return None
    obj = model_qs.filter(uuid=uuid).first()
    if obj is None:
        raise ApplicationError.for_field(field, f"No {field} with that id that you may use.")
    return obj


def admission_kwargs(actor, data: dict) -> dict:
    """Turn the ids of an admission payload into objects the actor may use."""
    program = _lookup(Program.objects.visible_to(actor, "view"), data["program"], "program")
    return {
        "program": program,
        "track": _lookup(Track.objects.filter(program=program), data.get("track"), "track"),
        "primary_clinician": _lookup(
            User.objects.all(), data.get("primary_clinician"), "primary_clinician"
        ),
        "admitted_on": data["admitted_on"],
        "admission_type": data["admission_type"],
        "referral_source": data["referral_source"],
    }


def _episodes(actor):
    return Episode.objects.visible_to(actor, "view").select_related(
        "patient", "program", "track", "primary_clinician"
    )


def _episode(actor, episode_uuid) -> Episode:
    episode = _episodes(actor).filter(uuid=episode_uuid).first()
    if episode is None:
        raise Http404
    return episode


@router.get("", response={200: EpisodePage, **ERRORS})
@permission("episode.view")
def list_episodes(
    request,
    program: UUID | None = None,
    status: str = "",
    page: PageNumber = 1,
    page_size: PageSize = 25,
):
    qs = _episodes(request.auth)
    if program:
        qs = qs.filter(program__uuid=program)
    if status:
        qs = qs.filter(status=status)
    items, meta = page_of(qs.order_by("-admitted_on", "-id"), page, page_size)
    audit_read(actor=request.auth, event="episode.list", patient_ids=[e.patient_id for e in items])
    return {**meta, "results": items}


@router.post("", response={201: EpisodeOut, **ERRORS})
@permission("episode.admit")
def admit(request, payload: EpisodeIn):
    data = payload.dict()
    patient = Patient.objects.visible_to(request.auth, "view").filter(uuid=data["patient"]).first()
    if patient is None:
        raise ApplicationError.for_field("patient", "No patient with that id that you may see.")
    episode = services.episode_admit(
        actor=request.auth, patient=patient, **admission_kwargs(request.auth, data)
    )
    return Status(201, episode)


@router.get("/{episode_uuid}", response={200: EpisodeOut, **ERRORS})
@permission("episode.view")
def get_episode(request, episode_uuid: UUID):
    episode = _episode(request.auth, episode_uuid)
    audit_read(actor=request.auth, event="episode.read", obj=episode, patient=episode.patient)
    return episode


@router.patch("/{episode_uuid}", response={200: EpisodeOut, **ERRORS})
@permission("episode.change")
def update_episode(request, episode_uuid: UUID, payload: EpisodePatch):
    episode = _episode(request.auth, episode_uuid)
    data = payload.dict(exclude_unset=True)
    changes = {}
    if "track" in data:
        changes["track"] = _lookup(
            Track.objects.filter(program=episode.program), data["track"], "track"
        )
    if "primary_clinician" in data:
        changes["primary_clinician"] = _lookup(
            User.objects.all(), data["primary_clinician"], "primary_clinician"
        )
    return services.episode_update(actor=request.auth, episode=episode, **changes)


@router.post("/{episode_uuid}/discharge", response={200: EpisodeOut, **ERRORS})
@permission("episode.discharge")
def discharge(request, episode_uuid: UUID, payload: DischargeIn):
    episode = _episode(request.auth, episode_uuid)
    return services.episode_discharge(
        actor=request.auth,
        episode=episode,
        discharged_on=payload.discharged_on,
        reason=payload.discharge_reason,
    )
