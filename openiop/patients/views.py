from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render

from openiop.access.scope import can
from openiop.audit.services import audit_read
from openiop.core.decorators import requires
from openiop.core.errors import ApplicationError
from openiop.core.forms import apply_errors
from openiop.core.pagination import paginate_counted
from openiop.patients import selectors, services
from openiop.patients.forms import CoverageForm, PatientForm, RegisterForm, SupportPersonForm
from openiop.patients.models import Patient


@requires("patient.view")
def search(request):
    query = request.GET.get("q", "")
    status = request.GET.get("status", "")
    page = paginate_counted(
        request, selectors.patient_search(actor=request.user, query=query, status=status)
    )
    selectors.with_open_episodes(page.object_list, request.user)
    audit_read(
        actor=request.user,
        event="patient.search",
        patient_ids=[p.pk for p in page.object_list],
        detail={"has_query": bool(query), "results": page.paginator.count},
    )
    template = (
        "patients/_results.html" if request.headers.get("HX-Request") else "patients/search.html"
    )
    return render(
        request,
        template,
        {
            "page": page,
            "q": query,
            "status": status,
            "can_register": can(request.user, "patient.create"),
        },
    )


@requires("patient.create")
def register(request):
    form = RegisterForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        org = form.cleaned_data["program"].organization
        try:
            patient = services.patient_register(
                actor=request.user,
                organization=org,
                admission=form.admission_data(),
                **form.patient_data(),
            )
        except ApplicationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"{patient.display_name} is registered and admitted.")
            return redirect("patients:chart", patient_uuid=patient.uuid)
    return render(request, "patients/register.html", {"form": form})


def _chart_or_404(request, patient_uuid):
    patient = selectors.patient_chart(actor=request.user, patient_uuid=patient_uuid)
    if patient is None:
        raise Http404("No such patient, or not one you may see.")
    return patient


@requires("patient.view")
def chart(request, patient_uuid):
    patient = _chart_or_404(request, patient_uuid)
    audit_read(actor=request.user, event="patient.chart", obj=patient, patient=patient)
    return render(
        request,
        "patients/chart.html",
        {
            "patient": patient,
            "can_change": can(request.user, "patient.change"),
            "can_admit": can(request.user, "episode.admit"),
        },
    )


def _changeable(request, patient_uuid) -> Patient:
    patient = Patient.objects.visible_to(request.user, "change").filter(uuid=patient_uuid).first()
    if patient is None:
        raise Http404("No such patient, or not one you may change.")
    return patient


@requires("patient.change")
def edit(request, patient_uuid):
    patient = _changeable(request, patient_uuid)
    initial = {f: getattr(patient, f) for f in services.PATIENT_FIELDS}
    form = PatientForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.patient_update(actor=request.user, patient=patient, **form.patient_data())
        except ApplicationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "Saved.")
            return redirect("patients:chart", patient_uuid=patient.uuid)
    else:
        audit_read(actor=request.user, event="patient.edit_form", obj=patient, patient=patient)
    return render(request, "patients/edit.html", {"form": form, "patient": patient})


def _add_related(request, patient_uuid, form_class, service, title, form_kwargs=None):
    patient = _changeable(request, patient_uuid)
    form = form_class(request.POST or None, **(form_kwargs(patient) if form_kwargs else {}))
    if request.method == "POST" and form.is_valid():
        try:
            service(actor=request.user, patient=patient, **form.cleaned_data)
        except ApplicationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "Saved.")
            return redirect("patients:chart", patient_uuid=patient.uuid)
    return render(
        request, "patients/add_related.html", {"form": form, "patient": patient, "title": title}
    )


@requires("patient.change")
def support_person_add(request, patient_uuid):
    return _add_related(
        request,
        patient_uuid,
        SupportPersonForm,
        services.support_person_add,
        "Add a support person",
    )


@requires("patient.change")
def coverage_add(request, patient_uuid):
    return _add_related(
        request,
        patient_uuid,
        CoverageForm,
        services.coverage_add,
        "Add insurance coverage",
        # the payer is chosen among the patient's organization's payers
        form_kwargs=lambda patient: {"organization_id": patient.organization_id},
    )


@requires("patient.change")
def coverage_edit(request, patient_uuid, coverage_uuid):
    patient = _changeable(request, patient_uuid)
    coverage = patient.coverages.select_related("payer").filter(uuid=coverage_uuid).first()
    if coverage is None:
        raise Http404("No such coverage.")
    coverage.patient = patient
    initial = {f: getattr(coverage, f) for f in services.COVERAGE_FIELDS}
    form = CoverageForm(
        request.POST or None,
        initial=initial,
        organization_id=patient.organization_id,
        current_payer_id=coverage.payer_id,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.coverage_change(actor=request.user, coverage=coverage, **form.cleaned_data)
        except ApplicationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "Coverage saved.")
            return redirect("patients:chart", patient_uuid=patient.uuid)
    else:
        audit_read(actor=request.user, event="coverage.edit_form", obj=coverage, patient=patient)
    return render(
        request,
        "patients/add_related.html",
        {"form": form, "patient": patient, "title": f"Coverage: {coverage.payer_name}"},
    )
