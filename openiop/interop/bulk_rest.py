"""FHIR Bulk Data Access 2.0 on /fhir/R4/ (ADR 0016): the `$export` kick-offs
(system, all patients, a Group), the status URL (poll, or DELETE to cancel),
the files, and the Group resources a client finds its group with.

The export is the staff page's `ExportJob`, run by the worker: the same scope
per patient (`services.bulk._records`: what a FHIR read would let the requester
have), the same audit (one event for the export, with each patient exported).
A token issued to an external recipient cannot export: every disclosure to an
outside party is a read of one patient, decided and accounted for one by one.
A kick-off needs `Prefer: respond-async`, which a page of another site cannot
send without the browser asking this server first (CORS, never granted), so a
signed-in browser cannot be made to start an export by another site.
"""

from functools import wraps

from django.http import FileResponse, Http404
from django.utils.http import http_date

from openiop.access.scope import can, scope_for
from openiop.access.services import require
from openiop.audit.models import Action
from openiop.audit.services import audit_denied
from openiop.core import context
from openiop.core.errors import ApplicationError, NotFound, PermissionDenied
from openiop.interop import bulk_request
from openiop.interop.access import reader_for
from openiop.interop.directory import visible_programs
from openiop.interop.fhir.common import instant
from openiop.interop.fhir.operation_outcome import issue, outcome
from openiop.interop.lookup import as_uuid
from openiop.interop.models import ExportJob, ExportKind, ExportStatus
from openiop.interop.rest import _authenticate, base_url, error_response, fhir_response
from openiop.interop.services.jobs import (
    EXPIRED,
    ExportBusy,
    export_expire,
    export_file,
    export_job_cancel,
    export_job_start,
)
from openiop.organizations.models import Organization

RETRY_AFTER = 5  # seconds a client waits between polls of a running export


def bulk_view(*methods: str):
    """Like `rest.fhir_view`, for these methods: the token (or session) of a
    staff member; OperationOutcome on every refusal."""

    def deco(func):
        @wraps(func)
        def wrapped(request, *args, **kwargs):
            with context.bind(via="api"):
                if request.method not in methods:
                    response = error_response(
                        405, f"Use {' or '.join(m for m in methods if m != 'HEAD')} here."
                    )
                    response["Allow"] = ", ".join(methods)
                    return response
                try:
                    reader = reader_for(_authenticate(request))
                    if reader.external:
                        audit_denied(actor=reader.user, event="fhir.bulk_export")
                        raise PermissionDenied(
                            "Bulk Data export is for the program's staff. An outside "
                            "party's system reads one patient at a time, under that "
                            "patient's consent (Patient/[id]/$everything)."
                        )
                    return func(request, reader, *args, **kwargs)
                except ExportBusy as exc:
                    response = error_response(exc.status, exc.message)
                    response["Retry-After"] = str(RETRY_AFTER * 6)
                    return response
                except ApplicationError as exc:
                    return error_response(exc.status, exc.message, exc.fields)
                except Http404:
                    return error_response(404, "Not found, or not yours to see.")

        wrapped.openiop_permission = "fhir-api"
        # a token or the session; the session cannot be used by another site:
        # kick-offs need a Prefer header, a DELETE is never a simple request
        wrapped.csrf_exempt = True
        return wrapped

    return deco


# kick-off ------------------------------------------------------------------------


@bulk_view("GET", "POST")
def export_system(request, reader):
    """[base]/$export: every resource the requester may have."""
    require(reader.user, "fhir.export", action=Action.EXECUTE)
    return _kick_off(request, reader, ExportKind.SYSTEM)


@bulk_view("GET", "POST")
def export_patients(request, reader):
    """[base]/Patient/$export: the requester's patients, with the directory."""
    require(reader.user, "fhir.export", action=Action.EXECUTE)
    return _kick_off(request, reader, ExportKind.PATIENT)


@bulk_view("GET", "POST")
def export_group(request, reader, resource_id: str):
    """[base]/Group/[id]/$export: the patients of one program."""
    require(reader.user, "fhir.export", action=Action.EXECUTE)
    return _kick_off(request, reader, ExportKind.GROUP, program=_program(reader, resource_id))


def _kick_off(request, reader, kind: str, program=None):
    bulk_request.require_async(request)
    if request.method == "POST":
        if request.GET:
            raise ApplicationError("With POST, send the parameters in the Parameters body.")
        asked = bulk_request.parse_parameters(request.body)
    else:
        asked = bulk_request.parse_query(request.GET)
    system = kind == ExportKind.SYSTEM
    bulk_request.check_types(asked.types, system=system)
    user = reader.user
    may_audit = can(user, "audit.view")
    if "AuditEvent" in asked.types and not may_audit:
        audit_denied(actor=user, event="fhir.bulk_export.audit")
        raise PermissionDenied("Only administrators may export the audit trail.")
    organization = program.organization if program else _organization(user)
    job = export_job_start(
        actor=user,
        organization=organization,
        # everything the requester may have: at the system level, the audit
        # trail too for those who may read it
        include_audit=system and may_audit and (not asked.types or "AuditEvent" in asked.types),
        kind=kind,
        program=program,
        types=asked.types,
        since=asked.since,
        output_format=asked.output_format,
        request_url=request.build_absolute_uri(),
    )
    response = fhir_response(
        outcome(
            [
                issue(
                    "The export is queued; poll the Content-Location URL for its progress.",
                    severity="information",
                    code="informational",
                )
            ]
        ),
        202,
    )
    response["Content-Location"] = _status_url(request, job)
    return response


def _organization(user):
    org = Organization.objects.filter(pk__in=scope_for(user).organization_ids).order_by("pk")
    found = org.first()
    if found is None:
        raise PermissionDenied("You do not have permission to do that.")
    return found


def _program(reader, resource_id: str):
    """The program a Group id names, if the reader sees it (404 otherwise)."""
    uid = as_uuid(resource_id)
    program = (
        visible_programs(reader).filter(uuid=uid).select_related("organization").first()
        if uid
        else None
    )
    if program is None:
        raise NotFound("Not found, or not yours to see.")
    return program


# status, cancellation, files -------------------------------------------------------


def _status_url(request, job) -> str:
    return f"{base_url(request)}/bulk-status/{job.uuid}"


def _job(reader, job_uuid) -> ExportJob:
    """The requester's own job; another's (or a cancelled one) does not exist."""
    job = (
        ExportJob.objects.visible_to(reader.user)
        .exclude(status=ExportStatus.CANCELLED)
        .filter(uuid=job_uuid)
        .first()
    )
    if job is None:
        raise NotFound("There is no such export, or it is not yours.")
    return job


@bulk_view("GET", "HEAD", "DELETE")
def export_status(request, reader, job_uuid):
    job = _job(reader, job_uuid)
    if request.method == "DELETE":
        export_job_cancel(actor=reader.user, job=job)
        return fhir_response(
            outcome(
                [
                    issue(
                        "The export was cancelled and its files deleted.",
                        severity="information",
                        code="informational",
                    )
                ]
            ),
            202,
        )
    if job.status in (ExportStatus.QUEUED, ExportStatus.RUNNING):
        response = fhir_response(outcome([issue(_progress(job), severity="information")]), 202)
        response["X-Progress"] = _progress(job)
        response["Retry-After"] = str(RETRY_AFTER)
        return response
    if job.status == ExportStatus.FAILED:
        return error_response(500, job.error or "The export failed; start a new one.")
    if export_expire(job):
        return error_response(410, EXPIRED)
    response = fhir_response(_manifest(request, job))
    response["Content-Type"] = "application/json"
    return _expires(response, job)


def _expires(response, job):
    if job.expires_at is not None:
        response["Expires"] = http_date(job.expires_at.timestamp())
    return response


def _progress(job) -> str:
    """Less than 100 characters (the spec's limit for X-Progress)."""
    if job.status == ExportStatus.QUEUED:
        return "Queued: waiting for the background worker"
    return f"{job.percent}% ({job.patients_done} of {job.patients_total} patients)"


def _manifest(request, job) -> dict:
    files = f"{base_url(request)}/bulk-files/{job.uuid}"
    return {
        "transactionTime": instant(job.started_at or job.created_at),
        "request": job.request_url or f"{base_url(request)}/$export",
        "requiresAccessToken": True,
        "output": [
            {"type": rtype, "url": f"{files}/{rtype}.ndjson", "count": count}
            for rtype, count in sorted(job.counts.items())
            if count
        ],
        "error": [],
    }


@bulk_view("GET")
def export_download(request, reader, job_uuid, name: str):
    job = _job(reader, job_uuid)
    try:
        path = export_file(actor=reader.user, job=job, name=name)
    except ApplicationError as exc:
        if exc.status == 410:
            raise
        raise NotFound(exc.message) from None
    response = FileResponse(open(path, "rb"), content_type="application/fhir+ndjson")  # noqa: SIM115
    return _expires(response, job)
