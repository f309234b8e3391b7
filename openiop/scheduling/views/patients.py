"""A patient's week: availability windows and preferences, upcoming sessions,
the weekly hours ledger against the program's band and the plan, attendance,
and the calendar feed links; and the program's adherence alerts."""

import datetime as dt

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from openiop.access.scope import can
from openiop.audit.services import audit_read
from openiop.care.models import Episode, EpisodeStatus
from openiop.core.decorators import requires
from openiop.core.errors import ApplicationError
from openiop.core.forms import apply_errors
from openiop.core.pagination import paginate
from openiop.patients.models import Patient
from openiop.scheduling import selectors
from openiop.scheduling.delivery import plan_delivery, weeks_around
from openiop.scheduling.forms import PreferenceForm, grid_rows, windows_from_post
from openiop.scheduling.ledger import (
    adherence_alerts,
    adherence_counts,
    adherence_flags,
    flag_alerts,
    hours_ledger,
    rates_by,
)
from openiop.scheduling.models import (
    CalendarFeed,
    PatientAvailability,
    SchedulingPreference,
    SessionSeries,
)
from openiop.scheduling.services import availability as avail
from openiop.scheduling.services import feeds as feed_services


def _patient(request, patient_uuid, action="view") -> Patient:
    patient = Patient.objects.visible_to(request.user, action).filter(uuid=patient_uuid).first()
    if patient is None:
        raise Http404("No such patient, or not one you may see.")
    return patient


@requires("availability.view")
def patient_week(request, patient_uuid):
    patient = _patient(request, patient_uuid)
    today = timezone.localdate()
    episodes = list(
        Episode.objects.visible_to(request.user, "view")
        .filter(patient=patient, status=EpisodeStatus.ACTIVE)
        .select_related("program", "track")
    )
    ledgers = [hours_ledger(ep, today=today) for ep in episodes]
    for ledger in ledgers:
        ledger.delivery = plan_delivery(ledger.episode, weeks_around(ledger.episode.program))
    upcoming = list(
        selectors.patient_sessions(
            request.user, patient, start=today, end=today + dt.timedelta(days=13)
        )
    )
    can_change = can(request.user, "availability.change")
    pref = SchedulingPreference.objects.filter(patient=patient).first()
    pref_form = PreferenceForm(
        request.POST if request.POST.get("form") == "preference" else None,
        initial={
            "time_of_day": pref.time_of_day if pref else "",
            "telehealth_ok": pref.telehealth_ok if pref else False,
        },
    )
    error, data = "", None
    if request.method == "POST":
        if not can_change:
            from openiop.core.decorators import forbidden

            return forbidden(request)
        patient = _patient(request, patient_uuid, "change")
        try:
            if request.POST.get("form") == "preference":
                if pref_form.is_valid():
                    avail.preference_set(
                        actor=request.user, patient=patient, **pref_form.cleaned_data
                    )
                    messages.success(request, "Preferences saved.")
                    return redirect("scheduling:patient", patient_uuid=patient.uuid)
            else:
                data = request.POST
                avail.availability_replace(
                    actor=request.user,
                    patient=patient,
                    windows=windows_from_post(request.POST, with_notes=True),
                )
                messages.success(request, "Availability saved.")
                return redirect("scheduling:patient", patient_uuid=patient.uuid)
        except ApplicationError as exc:
            if request.POST.get("form") == "preference":
                apply_errors(pref_form, exc)
            else:
                error = exc.message
    marks = selectors.marks_of(request.user).filter(patient=patient)
    rate = rates_by(marks, "patient_id").get(patient.pk)
    alerts = adherence_alerts(Episode.objects.filter(pk__in=[e.pk for e in episodes]), today=today)
    feeds = CalendarFeed.objects.filter(patient=patient, revoked_at__isnull=True)
    audit_read(actor=request.user, event="scheduling.patient", obj=patient, patient=patient)
    return render(
        request,
        "scheduling/patient.html",
        {
            "patient": patient,
            "ledgers": ledgers,
            "upcoming": upcoming,
            "grid": grid_rows(
                PatientAvailability.objects.filter(patient=patient), with_notes=True, data=data
            ),
            "error": error,
            "can_change": can_change,
            "pref": pref,
            "pref_form": pref_form,
            "rate": rate,
            "alerts": alerts,
            "feeds": feeds,
            "can_share": can(request.user, "calendar.share"),
            "new_feed_url": request.session.pop("new_feed_url", None),
        },
        status=400 if error or pref_form.errors else 200,
    )


@require_POST
@requires("calendar.share")
def patient_feed_new(request, patient_uuid):
    patient = _patient(request, patient_uuid)
    try:
        _feed, token = feed_services.feed_create_for_patient(
            actor=request.user, patient=patient, label=request.POST.get("label", "")
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        request.session["new_feed_url"] = request.build_absolute_uri(f"/calendar/{token}.ics")
    return redirect("scheduling:patient", patient_uuid=patient.uuid)


@requires("attendance.view")
def alerts(request):
    programs = list(selectors.programs_for(request.user))
    chosen = request.GET.get("program")
    program = next((p for p in programs if str(p.uuid) == chosen), None)
    episodes = Episode.objects.visible_to(request.user, "view").filter(status=EpisodeStatus.ACTIVE)
    if program is not None:
        episodes = episodes.filter(program=program)
    today = timezone.localdate()
    found = adherence_flags(episodes, today=today)
    page = paginate(request, found)
    page.object_list = flag_alerts(page.object_list, today=today)
    audit_read(
        actor=request.user,
        event="scheduling.alerts",
        patient_ids=[a.episode.patient_id for a in page.object_list],
    )
    since = today - dt.timedelta(days=28)
    marks = selectors.marks_of(request.user).filter(date__range=(since, today))
    if program is not None:
        marks = marks.filter(session__program=program)
    series_rates = rates_by(marks, "session__series_id")
    track_rates = rates_by(marks, "session__track_id")
    series = {
        s.pk: s
        for s in SessionSeries.objects.filter(pk__in=[k for k in series_rates if k]).select_related(
            "session_type", "track", "program"
        )
    }
    from openiop.organizations.models import Track

    tracks = {t.pk: t for t in Track.objects.filter(pk__in=[k for k in track_rates if k])}
    kinds = adherence_counts(found)
    return render(
        request,
        "scheduling/alerts.html",
        {
            "page": page,
            "programs": programs,
            "program": program,
            "kinds": kinds,
            "since": since,
            # the twelve groups with the lowest attendance first
            "group_rates": sorted(
                ({"series": series[k], "rate": v} for k, v in series_rates.items() if k in series),
                key=lambda r: (r["rate"][2], -r["rate"][1]),
            )[:12],
            "track_rates": [
                {"track": tracks[k], "rate": v} for k, v in track_rates.items() if k in tracks
            ],
        },
    )
