"""A patient's measures: trends, responses, drug tests, check-ins, links."""

from django.contrib import messages
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse

from openiop.access.scope import can
from openiop.audit.services import audit_read
from openiop.care.models import Episode
from openiop.core.decorators import requires
from openiop.core.errors import ApplicationError
from openiop.core.forms import apply_errors
from openiop.core.pagination import paginate
from openiop.measures import selectors, services
from openiop.measures.forms import (
    DrugTestForm,
    LinkForm,
    MarkInErrorForm,
    RecoveryForm,
    StaffResponseForm,
)
from openiop.measures.models import Instrument, LinkPurpose, RecordStatus, Response
from openiop.measures.scoring import AnswerError
from openiop.measures.views.common import apply_answer_errors


def _instruments_for(actor, patient):
    return (
        Instrument.objects.visible_to(actor, "view")
        .filter(is_active=True)
        .filter(Q(organization__isnull=True) | Q(organization_id=patient.organization_id))
        .order_by("short_name")
    )


@requires("measure.view")
def patient_measures(request, patient_uuid):
    patient = selectors.visible_patient(request.user, patient_uuid)
    ctx = selectors.patient_measures(actor=request.user, patient=patient)
    ctx["responses"] = paginate(
        request,
        selectors.responses_for(actor=request.user, patient=patient)
        .defer("answers")
        .order_by("-administered_on", "-administered_at", "-id"),
        per_page=10,
    )
    ctx["responses"].object_list = selectors.with_instruments(ctx["responses"].object_list)
    ctx["can_record"] = can(request.user, "measure.record")
    ctx["can_test"] = can(request.user, "drug_test.record")
    ctx["instruments"] = list(_instruments_for(request.user, patient).defer("definition"))
    audit_read(actor=request.user, event="measure.patient_view", obj=patient, patient=patient)
    return render(request, "measures/patient.html", ctx)


@requires("measure.view")
def chart_summary(request, patient_uuid):
    """The Measures card of the chart (loaded into the chart by htmx)."""
    patient = selectors.visible_patient(request.user, patient_uuid)
    ctx = selectors.chart_summary(actor=request.user, patient=patient)
    audit_read(actor=request.user, event="measure.chart_summary", obj=patient, patient=patient)
    return render(request, "measures/_chart_summary.html", ctx)


@requires("measure.record")
def response_new(request, patient_uuid):
    patient = selectors.visible_patient(request.user, patient_uuid)
    instruments = list(_instruments_for(request.user, patient))
    code = request.GET.get("instrument") or request.POST.get("instrument_code")
    instrument = next((i for i in instruments if i.code == code), None)
    if instrument is None:
        if code:
            messages.error(request, f"There is no instrument {code!r} to give here.")
        return render(
            request,
            "measures/choose_instrument.html",
            {"patient": patient, "instruments": instruments},
        )
    episodes = list(
        Episode.objects.visible_to(request.user, "view")
        .filter(patient=patient)
        .exclude(status="entered_in_error")
        .select_related("program")
        .order_by("-status", "-admitted_on")
    )
    form = StaffResponseForm(
        request.POST or None, definition=instrument.definition, episodes=episodes
    )
    if request.method == "POST" and form.is_valid():
        try:
            response = services.response_record(
                actor=request.user,
                patient=patient,
                instrument=instrument,
                answers=form.answers(),
                administered_on=form.cleaned_data["administered_on"],
                episode=form.chosen_episode(),
            )
        except AnswerError as exc:
            apply_answer_errors(form, exc)
        except ApplicationError as exc:
            apply_errors(form, exc)
        else:
            _saved_message(request, response)
            return redirect("measures:response", response_uuid=response.uuid)
    return render(
        request,
        "measures/response_form.html",
        {"patient": patient, "instrument": instrument, "form": form},
    )


def _saved_message(request, response: Response) -> None:
    if response.total is not None:
        text = f"Saved: {response.instrument.short_name} {response.total}"
        text += f", {response.band_label}." if response.band_label else "."
    else:
        text = f"Saved: {response.instrument.short_name}. {response.result.get('note', '')}"
    messages.success(request, text.strip())
    for alert in response.safety_alerts.prefetch_related("routing__user"):
        messages.warning(request, alert_told(alert))


def alert_told(alert) -> str:
    """What staff are told an alert did: a safety alert names the people it
    was sent to; a flag for clinical attention pages nobody."""
    if not alert.pages:
        return f"Flagged for clinical attention (nobody is paged): {alert.summary}."
    names = [r.user.get_display_name() for r in alert.routing.all()]
    where = " (on the organization's safety queue)" if alert.on_queue else ""
    return (
        f"Safety alert: {alert.summary}. Sent to {', '.join(names)}{where}; it escalates "
        "until someone acknowledges it."
    )


def _visible_response(request, response_uuid) -> Response:
    response = (
        Response.objects.visible_to(request.user, "view")
        .filter(uuid=response_uuid)
        .select_related("patient", "instrument", "episode__program", "created_by")
        .first()
    )
    if response is None:
        raise Http404("No such response, or not one you may see.")
    return response


@requires("measure.view")
def response_detail(request, response_uuid):
    response = _visible_response(request, response_uuid)
    definition = response.instrument.definition
    rows = []
    for it in definition["items"]:
        value = response.answers.get(it["id"])
        options = definition["option_sets"][it["options"]]
        label = next((o["label"] for o in options if o["value"] == value), None)
        rows.append({"item": it, "value": value, "label": label})
    audit_read(
        actor=request.user, event="measure.response.read", obj=response, patient=response.patient
    )
    return render(
        request,
        "measures/response_detail.html",
        {
            "response": response,
            "patient": response.patient,
            "rows": rows,
            "alerts": list(response.safety_alerts.select_related("acknowledged_by")),
            "error_form": MarkInErrorForm(),
            "can_record": can(request.user, "measure.record")
            and response.status == RecordStatus.FINAL,
        },
    )


@requires("measure.record")
def response_error(request, response_uuid):
    response = _visible_response(request, response_uuid)
    form = MarkInErrorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.response_mark_in_error(
                actor=request.user, response=response, reason=form.cleaned_data["reason"]
            )
        except ApplicationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "Marked entered in error; it no longer counts in trends.")
            return redirect("measures:response", response_uuid=response.uuid)
    return render(
        request,
        "measures/simple_form.html",
        {
            "patient": response.patient,
            "form": form,
            "title": f"Mark {response.instrument.short_name} of "
            f"{response.administered_on:%Y-%m-%d} entered in error",
            "button": "Mark entered in error",
            "back": reverse("measures:response", args=[response.uuid]),
        },
    )


@requires("measure.record")
def link_new(request, patient_uuid):
    patient = selectors.visible_patient(request.user, patient_uuid)
    instruments = list(_instruments_for(request.user, patient))
    initial = {
        "instrument": request.GET.get("instrument", ""),
        "purpose": request.GET.get("purpose"),
    }
    form = LinkForm(request.POST or None, instruments=instruments, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            link, token = services.link_create(
                actor=request.user,
                patient=patient,
                purpose=form.cleaned_data["purpose"],
                instrument=form.chosen_instrument(),
                hours=form.cleaned_data["hours"],
            )
        except ApplicationError as exc:
            apply_errors(form, exc)
        else:
            url = request.build_absolute_uri(reverse("measures_public:link", args=[token]))
            return render(
                request,
                "measures/link_created.html",
                {"patient": patient, "link": link, "url": url, "checkin": LinkPurpose.CHECKIN},
            )
    return render(request, "measures/link_form.html", {"patient": patient, "form": form})


@requires("drug_test.record")
def drug_test_new(request, patient_uuid):
    patient = selectors.visible_patient(request.user, patient_uuid)
    form = DrugTestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            test = services.drug_test_record(
                actor=request.user,
                patient=patient,
                collected_on=data["collected_on"],
                status=data["status"],
                specimen=data["specimen"],
                observed=data["observed"],
                results=form.results() if data["status"] == "collected" else [],
                note=data["note"],
                reset_recovery=data["reset_recovery"],
            )
        except ApplicationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"Drug test saved: {test.get_outcome_display().lower()}.")
            return redirect("measures:patient", patient_uuid=patient.uuid)
    return render(request, "measures/drug_test_form.html", {"patient": patient, "form": form})


@requires("drug_test.record")
def recovery_edit(request, patient_uuid):
    patient = selectors.visible_patient(request.user, patient_uuid)
    form = RecoveryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.recovery_set(actor=request.user, patient=patient, **form.cleaned_data)
        except ApplicationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "Recovery start date saved.")
            return redirect("measures:patient", patient_uuid=patient.uuid)
    return render(
        request,
        "measures/simple_form.html",
        {
            "patient": patient,
            "form": form,
            "title": "Set the recovery start date",
            "button": "Save",
            "back": reverse("measures:patient", args=[patient.uuid]),
        },
    )
