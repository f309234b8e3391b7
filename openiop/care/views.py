from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render

from openiop.audit.services import audit_read
from openiop.care import selectors, services
from openiop.care.census import census_patients
from openiop.care.models import Episode
from openiop.care.picker import caseload_clinician, clinician_picker
from openiop.core.decorators import requires
from openiop.core.errors import ApplicationError
from openiop.core.forms import apply_errors
from openiop.core.pagination import paginate
from openiop.patients.forms import AdmissionFields, DischargeForm, EpisodeForm
from openiop.patients.models import Patient


@requires("caseload.view")
def caseload(request):
    clinician = caseload_clinician(request.user, request.GET.get("clinician", ""))
    picker = clinician_picker(
        actor=request.user, chosen=clinician, query=request.GET.get("who", "")
    )
    page = paginate(request, selectors.caseload(actor=request.user, clinician=clinician))
    audit_read(
        actor=request.user,
        event="caseload.view",
        patient_ids=[ep.patient_id for ep in page.object_list],
    )
    return render(
        request, "care/caseload.html", {"page": page, "clinician": clinician, "picker": picker}
    )


@requires("census.view")
def census(request):
    programs = selectors.census_summary(actor=request.user)
    program_id = request.GET.get("program")
    chosen = next((p for p in programs if str(p.uuid) == program_id), None)
    page = paginate(
        request, census_patients(actor=request.user, programs=[chosen] if chosen else programs)
    )
    weeks = selectors.admissions_by_week(actor=request.user, programs=programs)
    audit_read(
        actor=request.user,
        event="census.view",
        patient_ids=[ep.patient_id for ep in page.object_list],
    )
    return render(
        request,
        "care/census.html",
        {
            "programs": programs,
            "chosen": chosen,
            "page": page,
            "weeks": bar_geometry(weeks),
            "chart_width": 80 * len(weeks),
        },
    )


def bar_geometry(weeks: list[dict], height: int = 120, base: int = 150) -> list[dict]:
    """Place the bars of the admissions chart (server-rendered SVG, no script)."""
    peak = max([w["count"] for w in weeks] + [1])
    for i, w in enumerate(weeks):
        w["h"] = round(w["count"] / peak * height)
        w["x"] = i * 80 + 10
        w["y"] = base - w["h"]
        w["label_y"] = w["y"] - 4
    return weeks


def _patient(request, patient_uuid, action="view"):
    patient = Patient.objects.visible_to(request.user, action).filter(uuid=patient_uuid).first()
    if patient is None:
        raise Http404("No such patient, or not one you may see.")
    return patient


def _episode(request, episode_uuid):
    episode = (
        Episode.objects.visible_to(request.user, "view")
        .select_related("patient", "program", "track")
        .filter(uuid=episode_uuid)
        .first()
    )
    if episode is None:
        raise Http404("No such episode, or not one you may see.")
    return episode


@requires("episode.admit")
def admit(request, patient_uuid):
    patient = _patient(request, patient_uuid)
    form = AdmissionFields(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.episode_admit(actor=request.user, patient=patient, **form.admission_data())
        except ApplicationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "Admitted.")
            return redirect("patients:chart", patient_uuid=patient.uuid)
    return render(
        request,
        "care/episode_form.html",
        {"form": form, "patient": patient, "title": "Admit to a program"},
    )


@requires("episode.change")
def episode_edit(request, episode_uuid):
    episode = _episode(request, episode_uuid)
    initial = {"track": episode.track_id, "primary_clinician": episode.primary_clinician_id}
    form = EpisodeForm(request.POST or None, initial=initial, actor=request.user, episode=episode)
    if request.method == "POST" and form.is_valid():
        try:
            services.episode_update(actor=request.user, episode=episode, **form.cleaned_data)
        except ApplicationError as exc:
            apply_errors(form, exc)
        else:
            released = getattr(episode, "released", None)
            messages.success(request, f"Saved. {released}" if released else "Saved.")
            return redirect("patients:chart", patient_uuid=episode.patient.uuid)
    return render(
        request,
        "care/episode_form.html",
        {
            "form": form,
            "patient": episode.patient,
            "episode": episode,
            "title": f"Change track or clinician - {episode.program.name}",
        },
    )


@requires("episode.discharge")
def discharge(request, episode_uuid):
    episode = _episode(request, episode_uuid)
    form = DischargeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            done = services.episode_discharge(
                actor=request.user,
                episode=episode,
                discharged_on=form.cleaned_data["discharged_on"],
                reason=form.cleaned_data["discharge_reason"],
            )
        except ApplicationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"Discharged. {done.released}")
            return redirect("patients:chart", patient_uuid=episode.patient.uuid)
    return render(
        request,
        "care/episode_form.html",
        {
            "form": form,
            "patient": episode.patient,
            "episode": episode,
            "title": f"Discharge from {episode.program.name}",
        },
    )
