from django import forms
from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from openiop.access.scope import can, scope_for
from openiop.core.decorators import requires
from openiop.core.errors import ApplicationError
from openiop.core.pagination import paginate
from openiop.interop.models import ExportJob
from openiop.interop.services.jobs import export_file, export_job_start
from openiop.organizations.models import Organization


class ExportForm(forms.Form):
    include_audit = forms.BooleanField(
        required=False, label="Include the audit trail (AuditEvent.ndjson)"
    )


@requires("fhir.export")
def exports(request):
    jobs = ExportJob.objects.visible_to(request.user).select_related("organization")
    return render(
        request,
        "interop/exports.html",
        {
            "page": paginate(request, jobs),
            "form": ExportForm(),
            "can_audit": can(request.user, "audit.view"),
        },
    )


@require_POST
@requires("fhir.export")
def export_start(request):
    form = ExportForm(request.POST)
    org = Organization.objects.filter(pk__in=scope_for(request.user).organization_ids).first()
    if not form.is_valid() or org is None:
        messages.error(request, "The export could not be started.")
        return redirect("interop:exports")
    try:
        job = export_job_start(
            actor=request.user,
            organization=org,
            include_audit=form.cleaned_data["include_audit"],
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("interop:exports")
    return redirect("interop:export", job_uuid=job.uuid)


def _job(request, job_uuid) -> ExportJob:
    job = ExportJob.objects.visible_to(request.user).filter(uuid=job_uuid).first()
    if job is None:
        raise Http404("No such export.")
    return job


@requires("fhir.export")
def export_detail(request, job_uuid):
    job = _job(request, job_uuid)
    template = (
        "interop/_progress.html" if request.headers.get("HX-Request") else "interop/export.html"
    )
    files = sorted(job.counts.items())
    return render(request, template, {"job": job, "files": files})


@requires("fhir.export")
def export_download(request, job_uuid, name):
    job = _job(request, job_uuid)
    try:
        path = export_file(actor=request.user, job=job, name=name)
    except ApplicationError as exc:
        raise Http404(exc.message) from None
    return FileResponse(
        open(path, "rb"),  # noqa: SIM115 - FileResponse closes it
        as_attachment=True,
        filename=name,
        content_type="application/fhir+ndjson",
    )
