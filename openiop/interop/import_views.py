"""Import a referral: upload a FHIR Bundle, see what it will create, confirm."""

from django import forms
from django.contrib import messages
from django.core import signing
from django.db.models import Q
from django.shortcuts import redirect, render
from django.utils import timezone

from openiop.access.scope import grant
from openiop.care.models import AdmissionType, ReferralSource
from openiop.core.decorators import requires
from openiop.core.errors import ApplicationError
from openiop.interop.services.import_run import import_run
from openiop.interop.services.importer import ImportRefused, import_plan, parse_bundle
from openiop.organizations.models import Program

SALT = "openiop.fhir-import"
MAX_AGE = 60 * 60


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
    payload = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        g = grant(actor, "fhir.import")
        self.fields["program"].queryset = Program.objects.filter(is_active=True).filter(
            Q(organization_id__in=g.organization_ids) | Q(id__in=g.program_ids)
        )


def _bundle_text(form) -> str:
    if form.cleaned_data.get("payload"):
        try:
            return signing.loads(form.cleaned_data["payload"], salt=SALT, max_age=MAX_AGE)
        except signing.BadSignature:
            raise ApplicationError.for_field(
                "bundle", "The preview has expired; upload the file again."
            ) from None
    upload = form.cleaned_data.get("bundle")
    if upload is None:
        raise ApplicationError.for_field("bundle", "Choose the Bundle file to import.")
    if upload.size > 5 * 1024 * 1024:
        raise ApplicationError.for_field("bundle", "The file is larger than 5 MB.")
    return upload.read().decode("utf-8", errors="replace")


@requires("fhir.import")
def import_bundle(request):
    form = ImportForm(request.POST or None, request.FILES or None, actor=request.user)
    ctx = {"form": form}
    if request.method == "POST" and form.is_valid():
        program = form.cleaned_data["program"]
        try:
            text = _bundle_text(form)
            data = parse_bundle(text)
            plan = import_plan(organization=program.organization, data=data)
            admitted_on = (
                form.cleaned_data["admitted_on"] or plan.episode_start or timezone.localdate()
            )
            if request.POST.get("confirm") and form.cleaned_data.get("payload"):
                result = import_run(
                    actor=request.user,
                    organization=program.organization,
                    plan=plan,
                    program=program,
                    admitted_on=min(admitted_on, timezone.localdate()),
                    admission_type=form.cleaned_data["admission_type"],
                    referral_source=form.cleaned_data["referral_source"],
                )
                made = ", ".join(
                    f"{n} {k.replace('_', ' ')}" for k, n in result.created.items() if n
                )
                messages.success(request, f"Imported: {made or 'nothing new'}.")
                for note in result.notes:
                    messages.info(request, note)
                return redirect("patients:chart", patient_uuid=result.patient.uuid)
            ctx.update(
                plan=plan,
                admitted_on=min(admitted_on, timezone.localdate()),
                payload=signing.dumps(text, salt=SALT, compress=True),
                program=program,
            )
        except ImportRefused as exc:
            ctx["refused"] = exc
        except ApplicationError as exc:
            from openiop.core.forms import apply_errors

            apply_errors(form, exc)
    return render(request, "interop/import.html", ctx)
