from uuid import UUID

from django.db.models import Prefetch
from django.http import Http404
from ninja import Router
from ninja.responses import Status

from openiop.accounts.models import Membership, User
from openiop.core.api import ErrorOut, PageNumber, PageSize, page_of, permission
from openiop.core.errors import ApplicationError
from openiop.organizations import services
from openiop.organizations.models import Program, Site, Track
from openiop.organizations.schemas import (
    ProgramOut,
    ProgramPage,
    ProgramPatch,
    SiteOut,
    StaffPage,
    TrackIn,
    TrackOut,
    TrackPatch,
)

router = Router(tags=["organization"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


def _programs(actor, action="view"):
    return (
        Program.objects.visible_to(actor, action)
        .select_related("site")
        .prefetch_related(Prefetch("tracks", queryset=Track.objects.select_related("program")))
    )


@router.get("/programs", response={200: ProgramPage, **ERRORS})
@permission("program.view")
def list_programs(request, page: PageNumber = 1, page_size: PageSize = 25):
    items, meta = page_of(_programs(request.auth), page, page_size)
    return {**meta, "results": items}


@router.get("/programs/{program_uuid}", response={200: ProgramOut, **ERRORS})
@permission("program.view")
def get_program(request, program_uuid: UUID):
    program = _programs(request.auth).filter(uuid=program_uuid).first()
    if program is None:
        raise Http404
    return program


@router.patch("/programs/{program_uuid}", response={200: ProgramOut, **ERRORS})
@permission("program.manage")
def update_program(request, program_uuid: UUID, payload: ProgramPatch):
    program = _programs(request.auth, "manage").filter(uuid=program_uuid).first()
    if program is None:
        raise Http404
    data = payload.dict(exclude_unset=True)
    for key in ("name", "min_weekly_hours", "plan_review_days", "is_active"):
        if key in data and data[key] is None:
            raise ApplicationError.for_field(key, f"{key} cannot be empty.")
    services.program_update(actor=request.auth, program=program, **data)
    return _programs(request.auth).get(pk=program.pk)


@router.get("/tracks", response={200: list[TrackOut], **ERRORS})
@permission("program.view")
def list_tracks(request, program: UUID | None = None):
    qs = Track.objects.visible_to(request.auth, "view").select_related("program")
    if program:
        qs = qs.filter(program__uuid=program)
    return list(qs[:500])


@router.post("/programs/{program_uuid}/tracks", response={201: TrackOut, **ERRORS})
@permission("program.manage")
def create_track(request, program_uuid: UUID, payload: TrackIn):
    program = _programs(request.auth, "manage").filter(uuid=program_uuid).first()
    if program is None:
        raise Http404
    return Status(201, services.track_create(actor=request.auth, program=program, **payload.dict()))


@router.patch("/tracks/{track_uuid}", response={200: TrackOut, **ERRORS})
@permission("program.manage")
def update_track(request, track_uuid: UUID, payload: TrackPatch):
    track = (
        Track.objects.visible_to(request.auth, "manage")
        .select_related("program")
        .filter(uuid=track_uuid)
        .first()
    )
    if track is None:
        raise Http404
    data = {k: v for k, v in payload.dict(exclude_unset=True).items() if v is not None}
    return services.track_update(actor=request.auth, track=track, **data)


@router.get("/sites", response={200: list[SiteOut], **ERRORS})
@permission("site.view")
def list_sites(request):
    return list(Site.objects.visible_to(request.auth, "view")[:500])


@router.get("/staff", response={200: StaffPage, **ERRORS})
@permission("staff.view")
def list_staff(request, page: PageNumber = 1, page_size: PageSize = 25):
    qs = (
        User.objects.visible_to(request.auth, "view")
        .prefetch_related(
            Prefetch("memberships", queryset=Membership.objects.select_related("program")),
            "credentials",
        )
        .order_by("display_name", "username")
    )
    items, meta = page_of(qs, page, page_size)
    return {**meta, "results": items}
