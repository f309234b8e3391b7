"""Import a referral: upload a FHIR Bundle, see what it will create, confirm.

The upload is kept on the server (encrypted, an hour at most) and the preview
is confirmed by its reference; the Bundle never travels back from the browser.
"""

from django import forms
from django.contrib import messages
from django.db.models import Q
from django.shortcuts import redirect, render
from django.utils import timezone

from openiop.access.scope import grant
from openiop.care.models import AdmissionType, ReferralSource
from openiop.core.decorators import requires
from openiop.core.errors import ApplicationError
from openiop.core.forms import apply_errors
from openiop.interop.services import import_upload as uploads
from openiop.interop.services.import_decide import import_decide
from openiop.interop.services.import_run import import_run
from openiop.interop.services.importer import MAX_BYTES, TOO_LARGE, ImportRefused, parse_bundle
from openiop.organizations.models import Program


class ImportForm(forms.Form):
    bundle = forms.FileField(
        required=False,
        label="FHIR Bundle (JSON)",
        help_text="The referring program's export for one patient, at most 5 MB.",
    )
    program = forms.ModelChoiceField(queryset=Program.objects.none(), label="Admit to")
    admitted_on = forms.DateField(
        widget=forms.DateInput(attrs={"type": "date"}),
        required=False,
        label="Admission date",
        help_text="Empty: the start of their active episode at the source, or today.",
    )
    admission_type = forms.ChoiceField(choices=AdmissionType.choices, initial="step_down")
    referral_source = forms.ChoiceField(choices=ReferralSource.choices, initial="inpatient")
    upload = forms.UUIDField(required=False, widget=forms.HiddenInput)
    # asked for on the page only when the Bundle gives part of the birth date
    date_of_birth = forms.DateField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        g = grant(actor, "fhir.import")
        self.fields["program"].queryset = Program.objects.filter(is_active=True).filter(
            Q(organization_id__in=g.organization_ids) | Q(id__in=g.program_ids)
        )


def _upload(form, actor, organization):
    """The referenced upload (404 if not the actor's), or the file just sent:
    read as a Bundle first (ImportRefused: nothing stored), then stored.
    Returns the upload and the Bundle if it was just read."""
    if form.cleaned_data.get("upload"):
        upload = uploads.upload_get(
            actor=actor, organization=organization, uuid=form.cleaned_data["upload"]
        )
        return upload, None
    file = form.cleaned_data.get("bundle")
    if file is None:
        raise ApplicationError.for_field("bundle", "Choose the Bundle file to import.")
    if file.size > MAX_BYTES:
        raise ApplicationError.for_field("bundle", TOO_LARGE)
    raw = file.read()
    data = parse_bundle(raw)
    return uploads.upload_store(actor=actor, organization=organization, raw=raw), data


@requires("fhir.import")
def import_bundle(request):
    form = ImportForm(request.POST or None, request.FILES or None, actor=request.user)
    ctx = {"form": form}
    if request.method == "POST" and form.is_valid():
        program = form.cleaned_data["program"]
        upload = None
        try:
            upload, data = _upload(form, request.user, program.organization)
            plan = uploads.upload_preview(
                actor=request.user,
                organization=program.organization,
                upload=upload,
                data=data,
                date_of_birth=form.cleaned_data["date_of_birth"],
            )
            admitted_on = min(
                form.cleaned_data["admitted_on"] or plan.episode_start or timezone.localdate(),
                timezone.localdate(),
            )
            choice = {
                "actor": request.user,
                "organization": program.organization,
                "plan": plan,
                "program": program,
                "admitted_on": admitted_on,
                "admission_type": form.cleaned_data["admission_type"],
                "referral_source": form.cleaned_data["referral_source"],
            }
            if request.POST.get("confirm") and form.cleaned_data.get("upload"):
                result = import_run(**choice)
                uploads.upload_discard(upload)
                made = ", ".join(
                    f"{n} {k.replace('_', ' ')}" for k, n in result.created.items() if n
                )
                messages.success(request, f"Imported: {made or 'nothing new'}.")
                for note in result.notes:
                    messages.info(request, note)
                return redirect("patients:chart", patient_uuid=result.patient.uuid)
            # the preview: decided by the rules the import applies
            decision = import_decide(**choice)
            ctx.update(
                plan=plan,
                decision=decision,
                admitted_on=admitted_on,
                upload=upload,
                program=program,
            )
        except ImportRefused as exc:
            ctx["refused"] = exc
            if exc.partial_birth_date is not None and upload is not None:
                ctx.update(upload=upload, program=program)  # staff can complete the date
            else:
                uploads.upload_discard(upload)  # nothing more can be done with it
        except ApplicationError as exc:
            if upload is not None and exc.fields and "bundle" not in exc.fields:
                # e.g. an age the program does not admit: the upload is kept, another
                # program (or date) can be chosen without choosing the file again
                data = {**request.POST.dict(), "upload": str(upload.uuid)}
                form = ImportForm(data, actor=request.user)
                form.is_valid()
                ctx.update(form=form, kept=upload)
            else:
                uploads.upload_discard(upload)
            apply_errors(form, exc)
    elif request.method == "GET":
        uploads.uploads_sweep()
    return render(request, "interop/import.html", ctx)
