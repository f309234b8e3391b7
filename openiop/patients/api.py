from uuid import UUID

from django.http import Http404
from ninja import Router
from ninja.responses import Status

from openiop.audit.services import audit_read
from openiop.care.api import admission_kwargs
from openiop.core.api import ErrorOut, PageNumber, PageSize, page_of, permission
from openiop.core.errors import ApplicationError
from openiop.organizations.models import Organization
from openiop.patients import selectors, services
from openiop.patients.models import Patient
from openiop.patients.schemas import PatientIn, PatientOut, PatientPage, PatientPatch

router = Router(tags=["patients"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


@router.get("", response={200: PatientPage, **ERRORS})
@permission("patient.view")
def list_patients(
    request, q: str = "", status: str = "", page: PageNumber = 1, page_size: PageSize = 25
):
    """Patients you may see; `q` matches name words, an MRN or a date of birth."""
    qs = selectors.patient_search(actor=request.auth, query=q, status=status)
    items, meta = page_of(qs, page, page_size)
    audit_read(actor=request.auth, event="patient.list", patient_ids=[p.pk for p in items])
    return {**meta, "results": items}


@router.post("", response={201: PatientOut, **ERRORS})
@permission("patient.create")
def create_patient(request, payload: PatientIn):
    """Register a patient, optionally admitting them in the same request."""
    data = payload.dict()
    admission = data.pop("admission")
    if admission:
        kwargs = admission_kwargs(request.auth, admission)
        org = kwargs["program"].organization
    else:
        org = _single_org(request.auth)
        kwargs = None
    patient = services.patient_register(
        actor=request.auth, organization=org, admission=kwargs, **data
    )
    return Status(201, patient)


def _single_org(actor):
    from openiop.access.scope import grant

    orgs = grant(actor, "patient.create").organization_ids
    if len(orgs) != 1:
        raise ApplicationError.for_field(
            "admission", "Your role covers single programs: register with an admission."
        )
    return Organization.objects.get(pk=next(iter(orgs)))


def _visible(request, patient_uuid: UUID, action="view") -> Patient:
    patient = Patient.objects.visible_to(request.auth, action).filter(uuid=patient_uuid).first()
    if patient is None:
        raise Http404
    return patient


@router.get("/{patient_uuid}", response={200: PatientOut, **ERRORS})
@permission("patient.view")
def get_patient(request, patient_uuid: UUID):
    patient = _visible(request, patient_uuid)
    audit_read(actor=request.auth, event="patient.read", obj=patient, patient=patient)
    return patient


@router.patch("/{patient_uuid}", response={200: PatientOut, **ERRORS})
@permission("patient.change")
def update_patient(request, patient_uuid: UUID, payload: PatientPatch):
    patient = _visible(request, patient_uuid, "change")
    data = payload.dict(exclude_unset=True)
    nulls = [k for k, v in data.items() if v is None]
    if nulls:
        raise ApplicationError.for_field(nulls[0], f"{nulls[0]} cannot be empty.")
    return services.patient_update(actor=request.auth, patient=patient, **data)
