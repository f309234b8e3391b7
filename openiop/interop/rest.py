"""The FHIR R4 read API under /fhir/R4/: read, search, Patient/$everything and
the CapabilityStatement. Same tokens, scoping and audit as /api/v1/; answers
`application/fhir+json`, errors as OperationOutcome."""

import datetime as dt
import json
from functools import wraps
from urllib.parse import urlencode

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
from openiop.interop.fhir.bundle import add_notice, bundle
from openiop.interop.fhir.capability import capability_statement
from openiop.interop.fhir.common import PART2_NOTICE_SHORT
from openiop.interop.fhir.operation_outcome import error_outcome
from openiop.interop.fhir.record import CATEGORY_OF, DIRECTORY_TYPES, TYPES, patient_resources
from openiop.interop.lookup import as_uuid, patient_id_of
from openiop.interop.selectors import Scope, load_records
from openiop.interop.services.bundle import patient_export

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
MAX_COUNT = 100
DEFAULT_COUNT = 20


class Unauthenticated(ApplicationError):
    status = 401
    code = "not_authenticated"


def supported_types() -> tuple[str, ...]:
    return BASE_TYPES + extensions.provided_types() + DIRECTORY_TYPES + ("AuditEvent",)


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


def fhir_view(*, public: bool = False):
    def deco(func):
        @wraps(func)
        def wrapped(request, *args, **kwargs):
            with context.bind(via="api"):
                if request.method not in ("GET", "HEAD"):
                    return error_response(405, "This FHIR server is read-only: use GET.")
                fmt = request.GET.get("_format", "")
                if fmt and fmt not in ("json", FHIR_JSON, "application/json"):
                    return error_response(406, "This server answers in JSON only (_format=json).")
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
        # read-only: anything but GET is answered 405 before any work, so a
        # POST needs no CSRF token to be refused with an OperationOutcome
        wrapped.csrf_exempt = True
        return wrapped

    return deco


def _require_type(reader: Reader, resource_type: str) -> None:
    if resource_type not in supported_types():
        raise NotFound(f"This server does not serve {resource_type} resources.")
    if not reader.may(resource_type):
        audit_denied(actor=reader.user, event=f"fhir.{resource_type}")
        raise PermissionDenied(f"You do not have permission to read {resource_type} resources.")


MAX_PAGE = 100_000
COMMON_PARAMETERS = {"_count", "_page", "_format"}
PATIENT_PARAMETERS = {"_id", "identifier", "family", "given", "birthdate"}
RECORD_PARAMETERS = {"patient", "subject"}
DIRECTORY_PARAMETERS = {"_id", "name"}
AUDIT_PARAMETERS = {"patient", "date"}


def _check_parameters(request, resource_type: str) -> None:
    """An unknown search parameter is refused, not ignored: ignoring it would
    answer (and disclose) more than was asked for."""
    if resource_type == "Patient":
        known = PATIENT_PARAMETERS
    elif resource_type == "AuditEvent":
        known = AUDIT_PARAMETERS
    elif resource_type in DIRECTORY_TYPES:
        known = DIRECTORY_PARAMETERS
    else:
        known = RECORD_PARAMETERS | ({"status"} if resource_type == "EpisodeOfCare" else set())
    unknown = sorted(set(request.GET) - known - COMMON_PARAMETERS)
    if unknown:
        supported = ", ".join(sorted(known | {"_count", "_page"}))
        raise ApplicationError(
            f"This server does not support the search parameter {unknown[0]} on "
            f"{resource_type} (supported: {supported}).",
            fields={name: ["Not supported."] for name in unknown},
        )


def _count_page(request) -> tuple[int, int]:
    try:
        count = int(request.GET.get("_count", DEFAULT_COUNT))
        page = int(request.GET.get("_page", 1))
    except ValueError:
        raise ApplicationError(
            "_count and _page are whole numbers.", fields={"_count": ["Must be 1 to 100."]}
        ) from None
    if not 1 <= count <= MAX_COUNT or not 1 <= page <= MAX_PAGE:
        raise ApplicationError(
            f"_count is 1 to {MAX_COUNT} and _page is 1 to {MAX_PAGE}.",
            fields={
                "_count": [f"Must be 1 to {MAX_COUNT}."],
                "_page": [f"Must be 1 to {MAX_PAGE}."],
            },
        )
    return count, page


def _links(request, resource_type, page, count, total) -> list[dict]:
    base = base_url(request)
    params = {k: v for k, v in request.GET.items() if k != "_page"}

    def url(p):
        return f"{base}/{resource_type}?{urlencode({**params, '_page': p, '_count': count})}"

    links = [{"relation": "self", "url": url(page)}]
    if page * count < total:
        links.append({"relation": "next", "url": url(page + 1)})
    if page > 1:
        links.append({"relation": "previous", "url": url(page - 1)})
    return links


# disclosure or audit of what was read -------------------------------------------


def _account(reader: Reader, opened: Opened, resources: list[dict], interaction: str):
    """A read by a party outside the program is a disclosure; by staff, an audited read."""
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
        for r in resources:
            add_notice(r)
    else:
        audit_read(
            actor=reader.user,
            event=f"fhir.{interaction}",
            obj=patient,
            patient=patient,
            detail={"types": sorted({r["resourceType"] for r in resources})},
        )


def _open(reader: Reader, resource_type: str, resource_id: str, categories) -> Opened:
    """The gate, for the patient whose record holds this resource."""
    patient_id = patient_id_of(resource_type, resource_id, reader.organization_ids())
    if patient_id is None:
        raise Http404
    return reader.open(patient_id, categories)


def _record_of(opened: Opened) -> dict:
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
    _require_type(reader, resource_type)
    if resource_type in DIRECTORY_TYPES:
        resource = directory.read(reader, resource_type, resource_id)
        if resource is None:
            raise Http404
        return fhir_response(resource)
    if resource_type == "AuditEvent":
        resource = directory.audit_event_read(reader, resource_id)
        if resource is None:
            raise Http404
        return fhir_response(resource)
    opened = _open(reader, resource_type, resource_id, [CATEGORY_OF.get(resource_type, "")])
    by_type = _record_of(opened)
    resource = next((r for r in by_type.get(resource_type, []) if r["id"] == resource_id), None)
    if resource is None:
        raise Http404
    _account(reader, opened, [resource], "read")
    return fhir_response(resource, notice=reader.external)


@fhir_view()
def search(request, reader: Reader, resource_type: str):
    _require_type(reader, resource_type)
    _check_parameters(request, resource_type)
    count, page = _count_page(request)
    if resource_type in DIRECTORY_TYPES or resource_type == "AuditEvent":
        resources, total = directory.search(reader, resource_type, request.GET, count, page)
        return fhir_response(_searchset(request, resource_type, resources, total, page, count))
    if resource_type == "Patient":
        return _search_patients(request, reader, count, page)
    ref = request.GET.get("patient") or request.GET.get("subject") or ""
    patient_uid = ref.split("/")[-1]
    if not patient_uid:
        raise ApplicationError(
            "Give the patient: this server searches one patient's records at a time "
            f"({resource_type}?patient=<id>).",
            fields={"patient": ["Required."]},
        )
    opened = _open(reader, "Patient", patient_uid, [CATEGORY_OF.get(resource_type, "")])
    matches = _record_of(opened).get(resource_type, [])
    if resource_type == "EpisodeOfCare" and request.GET.get("status"):
        matches = [r for r in matches if r["status"] == request.GET["status"]]
    shown = matches[(page - 1) * count : page * count]
    if shown:
        _account(reader, opened, shown, "search")
    return _answer(request, reader, resource_type, shown, len(matches), page, count)


def _search_patients(request, reader: Reader, count: int, page: int):
    qs = reader.patients().select_related("organization")
    params = request.GET
    if params.get("_id"):
        uid = as_uuid(params["_id"])
        qs = qs.filter(uuid=uid) if uid else qs.none()
    if params.get("identifier"):
        system, _, value = params["identifier"].rpartition("|")
        qs = qs.filter(mrn__iexact=value)
        if system and not system.endswith("/mrn"):
            qs = qs.none()
    if params.get("family"):
        qs = qs.filter(legal_family_name__istartswith=params["family"].strip())
    if params.get("given"):
        qs = qs.filter(legal_given_name__istartswith=params["given"].strip())
    if params.get("birthdate"):
        try:
            qs = qs.filter(date_of_birth=dt.date.fromisoformat(params["birthdate"]))
        except ValueError:
            raise ApplicationError.for_field(
                "birthdate", "birthdate is a date such as 1990-04-30."
            ) from None
    qs = qs.order_by("legal_family_name", "legal_given_name", "id")
    total = qs.count()
    patients = list(qs[(page - 1) * count : page * count])
    records = load_records(
        patients, scope=Scope(categories=frozenset({"demographics"}), consents=False)
    )
    today = timezone.localdate()
    resources = []
    consents = reader.consents_by_patient() if reader.external else {}
    for record in records:
        patient_res = patient_resources(record, today=today)["Patient"][0]
        if reader.external:
            opened = Opened(record.patient, record.scope, consents[record.patient.pk])
            _account(reader, opened, [patient_res], "search")
        resources.append(patient_res)
    if not reader.external:
        audit_read(
            actor=reader.user,
            event="fhir.search",
            patient_ids=[p.pk for p in patients],
            detail={"types": ["Patient"], "results": total},
        )
    return _answer(request, reader, "Patient", resources, total, page, count)


def _answer(request, reader: Reader, resource_type, resources, total, page, count):
    """The searchset. An outside party is told only what it was disclosed (and
    what is accounted for): no total, so a page past the end reveals nothing."""
    out = _searchset(request, resource_type, resources, total, page, count)
    if reader.external:
        out.pop("total", None)
        add_notice(out)
    return fhir_response(out, notice=reader.external)


def _searchset(request, resource_type, resources, total, page, count) -> dict:
    return bundle(
        resources,
        base=base_url(request),
        bundle_type="searchset",
        now=timezone.now(),
        total=total,
        links=_links(request, resource_type, page, count, total),
    )


@fhir_view()
def everything(request, reader: Reader, resource_id: str):
    """Patient/{id}/$everything: the patient's record, with what it references."""
    _require_type(reader, "Patient")
    opened = _open(reader, "Patient", resource_id, [])
    patient = opened.patient
    export = patient_export(
        patient=patient, scope=opened.scope, base=base_url(request), notice=reader.external
    )
    resources = [e["resource"] for e in export.bundle.get("entry", [])]
    patient_data = [r for r in resources if r["resourceType"] in TYPES]
    if reader.external:
        cats = sorted({CATEGORY_OF.get(r["resourceType"], "demographics") for r in patient_data})
        disclosure_record(
            actor=reader.user,
            patient=patient,
            consent=opened.consent,
            recipient=reader.recipient,
            categories=cats,
            channel=Channel.FHIR_API,
            description="FHIR $everything: "
            + ", ".join(f"{n} {t}" for t, n in export.counts.items() if t in TYPES),
            resource_count=len(patient_data),
        )
    else:
        audit_read(
            actor=reader.user,
            event="fhir.everything",
            obj=patient,
            patient=patient,
            detail={"types": sorted(export.counts)},
        )
    return fhir_response(export.bundle, notice=reader.external)
