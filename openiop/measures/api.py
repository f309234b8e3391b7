"""API: instruments (and scoring without saving), responses with their scores,
safety alerts."""

from uuid import UUID

from django.db.models import Prefetch
from django.http import Http404
from ninja import Router
from ninja.responses import Status

from openiop.audit.services import audit_read
from openiop.care.models import Episode
from openiop.core.api import ErrorOut, PageNumber, PageSize, page_of, permission
from openiop.core.errors import ApplicationError, NotFound
from openiop.measures import scoring, selectors, services
from openiop.measures.models import AlertStatus, Instrument, Response, SafetyAlert
from openiop.measures.schemas import (
    AcknowledgeIn,
    AlertOut,
    AlertPage,
    InstrumentDetailOut,
    InstrumentOut,
    ResponseIn,
    ResponseOut,
    ResponsePage,
    ScoreIn,
    ScoreOut,
)
from openiop.patients.models import Patient

router = Router(tags=["measures"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


@router.get("/instruments", response={200: list[InstrumentOut], **ERRORS})
@permission("instrument.view")
def list_instruments(request):
    """The shipped instruments and your organization's own."""
    return list(
        Instrument.objects.visible_to(request.auth, "view").order_by("organization_id", "code")
    )


@router.get("/instruments/{code}", response={200: InstrumentDetailOut, **ERRORS})
@permission("instrument.view")
def get_instrument(request, code: str):
    """One instrument's definition: items, answer options and their values,
    scoring rule, bands, LOINC codes, source and licence."""
    return services.instrument_by_code(actor=request.auth, code=code)


@router.post("/instruments/{code}/score", response={200: ScoreOut, **ERRORS})
@permission("instrument.view")
def score_instrument(request, code: str, payload: ScoreIn):
    """Score answers without saving anything (the entry form's preview uses it).

    `answers` is a list in item order (null for a missing item) or an object
    keyed by item id; DAST-10 answers may be "yes"/"no" or 1/0 as on the form.
    An answer outside an item's options is a 422 naming the item."""
    instrument = services.instrument_by_code(actor=request.auth, code=code)
    return scoring.score(instrument.definition, payload.answers, sex=payload.sex).as_dict()


def _responses(actor):
    return (
        Response.objects.visible_to(actor, "view")
        .select_related("patient", "episode", "instrument")
        .prefetch_related(
            Prefetch("safety_alerts", queryset=SafetyAlert.objects.only("uuid", "response_id"))
        )
    )


@router.get("/responses", response={200: ResponsePage, **ERRORS})
@permission("measure.view")
def list_responses(
    request,
    patient: UUID | None = None,
    instrument: str = "",
    page: PageNumber = 1,
    page_size: PageSize = 25,
):
    """Responses with their scores, newest first; filter by patient and instrument code."""
    qs = _responses(request.auth)
    if patient:
        qs = qs.filter(patient__uuid=patient)
    if instrument:
        qs = qs.filter(instrument__code=instrument)
    items, meta = page_of(
        qs.order_by("-administered_on", "-administered_at", "-id"), page, page_size
    )
    audit_read(
        actor=request.auth, event="measure.response.list", patient_ids=[r.patient_id for r in items]
    )
    return {**meta, "results": items}


@router.post("/responses", response={201: ResponseOut, **ERRORS})
@permission("measure.record")
def create_response(request, payload: ResponseIn):
    """Record a response: scored as it is saved; raises its safety alerts."""
    actor = request.auth
    patient = Patient.objects.visible_to(actor, "view").filter(uuid=payload.patient).first()
    if patient is None:
        raise ApplicationError.for_field("patient", "No patient with that id that you may see.")
    try:
        instrument = services.instrument_by_code(
            actor=actor, code=payload.instrument, organization_id=patient.organization_id
        )
    except NotFound as exc:
        raise scoring.AnswerError(exc.message, fields={"instrument": [exc.message]}) from None
    episode = None
    if payload.episode:
        episode = (
            Episode.objects.visible_to(actor, "view")
            .filter(uuid=payload.episode, patient=patient)
            .first()
        )
        if episode is None:
            raise ApplicationError.for_field("episode", "No episode of this patient with that id.")
    response = services.response_record(
        actor=actor,
        patient=patient,
        instrument=instrument,
        answers=payload.answers,
        administered_on=payload.administered_on,
        episode=episode,
        sex=payload.sex,
    )
    return Status(201, _responses(actor).get(pk=response.pk))


@router.get("/responses/{response_uuid}", response={200: ResponseOut, **ERRORS})
@permission("measure.view")
def get_response(request, response_uuid: UUID):
    response = _responses(request.auth).filter(uuid=response_uuid).first()
    if response is None:
        raise Http404
    audit_read(
        actor=request.auth, event="measure.response.read", obj=response, patient=response.patient
    )
    return response


@router.get("/alerts", response={200: AlertPage, **ERRORS})
@permission("alert.view")
def list_alerts(
    request,
    status: str = AlertStatus.OPEN,
    mine: bool = False,
    page: PageNumber = 1,
    page_size: PageSize = 25,
):
    """Safety alerts you may see: open ones by default, oldest first; `mine`
    keeps those sent to you (or about your caseload)."""
    if status not in (*AlertStatus.values, "all"):
        raise ApplicationError.for_field("status", "Use open, acknowledged or all.")
    qs = selectors.alert_list(actor=request.auth, status=status, mine=mine)
    items, meta = page_of(qs, page, page_size)
    audit_read(
        actor=request.auth, event="safety_alert.list", patient_ids=[a.patient_id for a in items]
    )
    return {**meta, "results": items}


@router.post("/alerts/{alert_uuid}/acknowledge", response={200: AlertOut, **ERRORS})
@permission("alert.acknowledge")
def acknowledge_alert(request, alert_uuid: UUID, payload: AcknowledgeIn):
    """Close an open alert with a note of what was done (409 if already closed)."""
    alert = (
        SafetyAlert.objects.visible_to(request.auth, "view")
        .select_related("patient", "program", "response")
        .filter(uuid=alert_uuid)
        .first()
    )
    if alert is None:
        raise Http404
    services.alert_acknowledge(actor=request.auth, alert=alert, note=payload.note)
    return SafetyAlert.objects.select_related(
        "patient", "program", "response", "acknowledged_by"
    ).get(pk=alert.pk)
