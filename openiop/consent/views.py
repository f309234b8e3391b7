import json

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from openiop.access.scope import can, scope_for
from openiop.audit.services import audit_read
from openiop.care.models import Episode
from openiop.consent import selectors, services
from openiop.consent.forms import ConsentForm, RecipientForm, ReleaseForm, RevokeForm, TokenForm
from openiop.consent.models import ExternalRecipient, Part2Consent
from openiop.consent.release import NOTICE, release_records
from openiop.core.decorators import requires
from openiop.core.errors import ApplicationError
from openiop.core.forms import apply_errors
from openiop.core.pagination import paginate
from openiop.interop.fhir.consent import consent_resource
from openiop.organizations.models import Organization, Program


def _patient(request, patient_uuid, action="view"):
    patient = selectors.patient_for(actor=request.user, patient_uuid=patient_uuid, action=action)
    if patient is None:
        raise Http404("No such patient, or not one you may see.")
    return patient


@requires("consent.view")
def patient_consents(request, patient_uuid):
    patient = _patient(request, patient_uuid)
    today = timezone.localdate()
    page = paginate(request, selectors.consents_of(actor=request.user, patient=patient))
    for c in page.object_list:
        c.state_now = c.state(today)
    recent = []
    if can(request.user, "disclosure.view"):
        recent = list(selectors.accounting(actor=request.user, patient=patient)[:5])
    audit_read(actor=request.user, event="consent.list", obj=patient, patient=patient)
    return render(
        request,
        "consent/patient.html",
        {
            "patient": patient,
            "page": page,
            "recent": recent,
            "can_manage": can(request.user, "consent.manage"),
            "can_release": can(request.user, "disclosure.make"),
            "can_account": can(request.user, "disclosure.view"),
        },
    )


def _programs_of(patient, actor):
    ids = Episode.objects.visible_to(actor, "view").filter(patient=patient).values("program_id")
    return Program.objects.filter(pk__in=ids).order_by("name")


def _recipients(actor, patient):
    return selectors.recipients_visible(actor=actor).filter(
        organization_id=patient.organization_id, is_active=True
    )


@requires("consent.manage")
def consent_new(request, patient_uuid):
    patient = _patient(request, patient_uuid)
    form = ConsentForm(
        request.POST or None,
        patient=patient,
        programs=_programs_of(patient, request.user),
        recipients=_recipients(request.user, patient),
    )
    if request.method == "POST" and form.is_valid():
        try:
            consent = services.consent_record(
                actor=request.user, patient=patient, **form.cleaned_data
            )
        except ApplicationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "The consent is recorded.")
            return redirect("consent:detail", consent_uuid=consent.uuid)
    return render(request, "consent/consent_form.html", {"form": form, "patient": patient})


def _consent(request, consent_uuid) -> Part2Consent:
    consent = selectors.consent_detail(actor=request.user, consent_uuid=consent_uuid)
    if consent is None:
        raise Http404("No such consent, or not one you may see.")
    return consent


@requires("consent.view")
def consent_detail(request, consent_uuid):
    consent = _consent(request, consent_uuid)
    patient = consent.patient
    today = timezone.localdate()
    resource = consent_resource(consent, patient, consent.organization, today=today)
    audit_read(actor=request.user, event="consent.read", obj=consent, patient=patient)
    return render(
        request,
        "consent/consent_detail.html",
        {
            "consent": consent,
            "patient": patient,
            "state": consent.state(today),
            "fhir_json": json.dumps(resource, indent=2, ensure_ascii=False),
            "revoke_form": RevokeForm(),
            "can_manage": can(request.user, "consent.manage"),
            "disclosures": consent.disclosures.order_by("-disclosed_at")[:20],
        },
    )


@require_POST
@requires("consent.manage")
def consent_revoke(request, consent_uuid):
    consent = _consent(request, consent_uuid)
    form = RevokeForm(request.POST)
    if form.is_valid():
        try:
            services.consent_revoke(
                actor=request.user,
                consent=consent,
                revoked_on=form.cleaned_data["revoked_on"],
                note=form.cleaned_data["note"],
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "The consent is revoked: nothing more is disclosed under it.")
    else:
        messages.error(request, "Give the date the patient revoked the consent.")
    return redirect("consent:detail", consent_uuid=consent.uuid)


@requires("disclosure.make")
def release(request, patient_uuid):
    patient = _patient(request, patient_uuid)
    consents = selectors.consents_of(actor=request.user, patient=patient).filter(status="active")
    form = ReleaseForm(
        request.POST or None,
        consents=consents,
        recipients=_recipients(request.user, patient),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            done = release_records(
                actor=request.user,
                patient=patient,
                consent=data["consent"],
                recipient=data["recipient"],
                categories=data["categories"],
                output=data["output"],
            )
        except ApplicationError as exc:
            services.disclosure_refused_audit(
                actor=request.user,
                patient=patient,
                recipient=data["recipient"],
                reason_code=exc.code,
                channel=data["output"],
            )
            apply_errors(form, exc)
        else:
            if data["output"] == "download":
                response = HttpResponse(done.body, content_type="application/fhir+json")
                response["Content-Disposition"] = f'attachment; filename="{done.filename}"'
                return response
            return render(
                request,
                "consent/printed_record.html",
                {
                    "patient": patient,
                    "release": done,
                    "record": done.record,
                    "notice": NOTICE,
                    "categories": set(done.disclosure.categories),
                },
            )
    return render(request, "consent/release.html", {"form": form, "patient": patient})


def _accounting(request, patient):
    return selectors.accounting(actor=request.user, patient=patient)


@requires("disclosure.view")
def accounting(request, patient_uuid):
    patient = _patient(request, patient_uuid)
    entries = _accounting(request, patient)
    page = paginate(request, entries)
    months = selectors.accounting_by_month(entries)
    audit_read(actor=request.user, event="disclosure.accounting", obj=patient, patient=patient)
    return render(
        request,
        "consent/accounting.html",
        {
            "patient": patient,
            "page": page,
            "months": months,
            "since": selectors.accounting_since(),
        },
    )


@requires("disclosure.view")
def accounting_print(request, patient_uuid):
    """The accounting as a document to hand to the patient (all three years)."""
    patient = _patient(request, patient_uuid)
    entries = list(_accounting(request, patient))
    audit_read(
        actor=request.user, event="disclosure.accounting_print", obj=patient, patient=patient
    )
    return render(
        request,
        "consent/accounting_print.html",
        {
            "patient": patient,
            "entries": entries,
            "since": selectors.accounting_since(),
            "today": timezone.localdate(),
            "organization": patient.organization,
        },
    )


def _org_choices(actor):
    return Organization.objects.filter(pk__in=scope_for(actor).organization_ids).order_by("name")


@requires("recipient.view")
def recipients(request):
    qs = selectors.recipients_visible(actor=request.user).order_by("name", "id")
    form = RecipientForm(request.POST or None)
    can_manage = can(request.user, "recipient.manage")
    if request.method == "POST":
        if not can_manage:
            from openiop.core.decorators import forbidden

            return forbidden(request)
        if form.is_valid():
            org = _org_choices(request.user).first()
            try:
                r = services.recipient_create(
                    actor=request.user, organization=org, **form.cleaned_data
                )
            except ApplicationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, f"{r.name} is recorded as a recipient.")
                return redirect("consent:recipient", recipient_uuid=r.uuid)
    return render(
        request,
        "consent/recipients.html",
        {"page": paginate(request, qs), "form": form, "can_manage": can_manage},
    )


def _recipient(request, recipient_uuid) -> ExternalRecipient:
    r = selectors.recipients_visible(actor=request.user).filter(uuid=recipient_uuid).first()
    if r is None:
        raise Http404("No such recipient.")
    return r


@requires("recipient.view")
def recipient_detail(request, recipient_uuid, raw_token=None, token_form=None):
    r = _recipient(request, recipient_uuid)
    from openiop.accounts.models import ApiToken

    tokens = (
        ApiToken.objects.filter(user_id=r.client_user_id).order_by("-created_at")
        if r.client_user_id
        else ApiToken.objects.none()
    )
    consents = r.consents.filter(status="active").count()
    return render(
        request,
        "consent/recipient.html",
        {
            "recipient": r,
            "tokens": paginate(request, tokens),
            "active_consents": consents,
            "token_form": token_form or TokenForm(),
            "raw_token": raw_token,
            "can_manage": can(request.user, "recipient.manage"),
        },
    )


@require_POST
@requires("recipient.manage")
def recipient_token(request, recipient_uuid):
    r = _recipient(request, recipient_uuid)
    form = TokenForm(request.POST)
    if not form.is_valid():
        return recipient_detail(request, recipient_uuid, token_form=form)
    try:
        _token, raw = services.recipient_issue_token(
            actor=request.user, recipient=r, days=form.cleaned_data["days"]
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("consent:recipient", recipient_uuid=r.uuid)
    return recipient_detail(request, recipient_uuid, raw_token=raw)


@require_POST
@requires("recipient.manage")
def recipient_deactivate(request, recipient_uuid):
    r = _recipient(request, recipient_uuid)
    try:
        services.recipient_deactivate(actor=request.user, recipient=r)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{r.name} is deactivated: nothing more is disclosed to it.")
    return redirect("consent:recipient", recipient_uuid=r.uuid)


@require_POST
@requires("recipient.manage")
def recipient_revoke_tokens(request, recipient_uuid):
    r = _recipient(request, recipient_uuid)
    n = services.recipient_revoke_tokens(actor=request.user, recipient=r)
    messages.success(request, f"{n} token(s) revoked.")
    return redirect("consent:recipient", recipient_uuid=r.uuid)
