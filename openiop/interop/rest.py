"""The FHIR R4 read API under /fhir/R4/: read, search, Patient/$everything and
the CapabilityStatement. Same tokens, scoping and audit as /api/v1/; answers
`application/fhir+json`, errors as OperationOutcome."""

import json
from functools import wraps

from django.http import Http404, HttpResponse
from django.utils import timezone

import openiop
from openiop.accounts.services import api_token_authenticate
from openiop.audit.models import Action, Outcome
from openiop.audit.services import audit_denied, audit_read, audit_record
from openiop.consent.models import Channel
from openiop.consent.services import disclosure_record
from openiop.core import context
from openiop.core.errors import ApplicationError, NotFound, PermissionDenied
from openiop.interop import directory, extensions
from openiop.interop.access import Opened, Reader, reader_for
from openiop.interop.fhir.bundle import add_notice
from openiop.interop.fhir.capability import capability_statement
from openiop.interop.fhir.common import PART2_NOTICE_SHORT
from openiop.interop.fhir.operation_outcome import error_outcome
from openiop.interop.fhir.record import CATEGORY_OF, DIRECTORY_TYPES, patient_resources
from openiop.interop.lookup import patient_id_of
from openiop.interop.selectors import load_records

FHIR_JSON = "application/fhir+json"
BASE_TYPES = (
    "Patient",
    "RelatedPerson",
    "EpisodeOfCare",
    "Condition",
    "CarePlan",
    "Goal",
    "Consent",
)


class Unauthenticated(ApplicationError):
    status = 401
    code = "not_authenticated"


def supported_types() -> tuple[str, ...]:
    return BASE_TYPES + extensions.provided_types() + DIRECTORY_TYPES + ("Group", "AuditEvent")


def fhir_response(data: dict, status: int = 200, *, notice: bool = False) -> HttpResponse:
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False),
        status=status,
        content_type=f"{FHIR_JSON}; charset=utf-8",
    )
    if notice:
        response["X-Part2-Notice"] = PART2_NOTICE_SHORT
    return response


def error_response(status: int, message: str, fields=None) -> HttpResponse:
    response = fhir_response(error_outcome(status, message, fields), status)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="OpenIOP FHIR"'
    return response


def base_url(request) -> str:
    return request.build_absolute_uri("/fhir/R4").rstrip("/")


def _authenticate(request):
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, raw = header.partition(" ")
        found = api_token_authenticate(raw.strip()) if scheme.lower() == "bearer" else None
        if found is None:
            audit_record(
                actor=None, action=Action.LOGIN, event="fhir.token_refused", outcome=Outcome.FAILURE
            )
            raise Unauthenticated("Send a valid API token: Authorization: Bearer <token>.")
        request.user = found[0]
        return found[0]
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        raise Unauthenticated("Sign in or send an API token: Authorization: Bearer <token>.")
    return user


JSON_FORMATS = ("json", FHIR_JSON, "application/json")


def refused_format(request) -> HttpResponse | None:
    """406 for a format this server does not write (_format, or Accept)."""
    fmt = request.GET.get("_format", "")
    if fmt:
        if fmt.split(";")[0].strip() not in JSON_FORMATS:
            return error_response(406, "This server answers in JSON only (_format=json).")
        return None
    if request.headers.get("Accept") and not any(
        request.accepts(t) for t in (FHIR_JSON, "application/json")
    ):
        return error_response(
            406, "This server answers in JSON only: Accept: application/fhir+json."
        )
    return None


def fhir_view(*, public: bool = False, methods: tuple[str, ...] = ("GET", "HEAD")):
    def deco(func):
        @wraps(func)
        def wrapped(request, *args, **kwargs):
            with context.bind(via="api"):
                if request.method not in methods:
                    return error_response(405, "This FHIR server is read-only: use GET.")
                refused = refused_format(request)
                if refused is not None:
                    return refused
                try:
                    if public:
                        return func(request, *args, **kwargs)
                    reader = reader_for(_authenticate(request))
                    return func(request, reader, *args, **kwargs)
                except ApplicationError as exc:
                    return error_response(exc.status, exc.message, exc.fields)
                except Http404:
                    return error_response(404, "Not found, or not yours to see.")

        wrapped.openiop_permission = "fhir-api"
        # read-only: anything but GET (and POST [type]/_search, a search) is
        # answered 405 before any work, so a POST needs no CSRF token to be
        # refused with an OperationOutcome; session cookies are SameSite=Lax, so
        # another site's form cannot search with them
        wrapped.csrf_exempt = True
        return wrapped

    return deco


def require_type(reader: Reader, resource_type: str) -> None:
    if resource_type not in supported_types():
        raise NotFound(f"This server does not serve {resource_type} resources.")
    if not reader.may(resource_type):
        audit_denied(actor=reader.user, event=f"fhir.{resource_type}")
        raise PermissionDenied(f"You do not have permission to read {resource_type} resources.")


# disclosure or audit of what was read -------------------------------------------


def account(
    reader: Reader, opened: Opened, resources: list[dict], interaction: str, *, notice=True
):
    """A read by a party outside the program is a disclosure (the resources get
    the redisclosure notice unless they carry it already); by staff, an audited read."""
    patient = opened.patient
    if reader.external:
        cats = sorted({CATEGORY_OF.get(r["resourceType"], "demographics") for r in resources})
        types = {}
        for r in resources:
            types[r["resourceType"]] = types.get(r["resourceType"], 0) + 1
        disclosure_record(
            actor=reader.user,
            patient=patient,
            consent=opened.consent,
            recipient=reader.recipient,
            categories=cats,
            channel=Channel.FHIR_API,
            description=f"FHIR {interaction}: " + ", ".join(f"{n} {t}" for t, n in types.items()),
            resource_count=len(resources),
        )
        for r in resources if notice else ():
            add_notice(r)
    else:
        audit_read(
            actor=reader.user,
            event=f"fhir.{interaction}",
            obj=patient,
            patient=patient,
            detail={"types": sorted({r["resourceType"] for r in resources})},
        )


def categories_of(resource_type: str) -> list[str]:
    """The kinds of information a type is (none for Consent: consent.view decides,
    through the scope)."""
    return [CATEGORY_OF[resource_type]] if resource_type in CATEGORY_OF else []


def open_patient(reader: Reader, resource_type: str, resource_id: str, categories) -> Opened:
    """The gate, for the patient whose record holds this resource."""
    patient_id = patient_id_of(resource_type, resource_id, reader.organization_ids())
    if patient_id is None:
        raise Http404
    return reader.open(patient_id, categories)


def record_of(opened: Opened) -> dict:
    record = load_records([opened.patient], scope=opened.scope)[0]
    return patient_resources(record, today=timezone.localdate())


# views -------------------------------------------------------------------------------


@fhir_view(public=True)
def unknown(request, path: str = ""):
    """Any other path under /fhir/R4/: an OperationOutcome, not an HTML page."""
    return error_response(404, "There is no such FHIR endpoint; see /fhir/R4/metadata.")


@fhir_view(public=True)
def metadata(request):
    statement = capability_statement(
        base=base_url(request),
        types=supported_types(),
        software_version=getattr(openiop, "__version__", "0.1.0"),
        date=timezone.localdate().isoformat(),
    )
    return fhir_response(statement)


@fhir_view()
def read(request, reader: Reader, resource_type: str, resource_id: str):
    require_type(reader, resource_type)
    if resource_type in DIRECTORY_TYPES or resource_type == "Group":
        resource = directory.read(reader, resource_type, resource_id)
        if resource is None:
            raise Http404
        return fhir_response(resource)
    if resource_type == "AuditEvent":
        resource = directory.audit_event_read(reader, resource_id)
        if resource is None:
            raise Http404
        return fhir_response(resource)
    opened = open_patient(reader, resource_type, resource_id, categories_of(resource_type))
    by_type = record_of(opened)
    resource = next((r for r in by_type.get(resource_type, []) if r["id"] == resource_id), None)
    if resource is None:
        raise Http404
    account(reader, opened, [resource], "read")
    return fhir_response(resource, notice=reader.external)
