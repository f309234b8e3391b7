"""Billing pages: Medicare certifications. An episode's certifications (draft,
edit, the sign page with its attestation) and the organization's list of
certifications due in the next 14 days or overdue for Medicare patients.

The statement (why intensive outpatient care is needed) is clinical
narrative: shown to the care team only, never to the billing role."""

import datetime as dt

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone

from openiop.access.scope import can, grant
from openiop.audit.services import audit_read
from openiop.billing.certification_selectors import (
    DUE_LIST_DAYS,
    certifications_due,
    current_certifications,
    due_of,
    episode_certifications,
    recertification_due,
)
from openiop.billing.medicare import CERTIFYING_LICENCES, MIN_WEEKLY_HOURS
from openiop.billing.models import Certification, CertificationStatus
from openiop.billing.services.certifications import (
    attestation_for,
    certification_draft,
    certification_sign,
    certifying_credentials,
    recertification_days,
    site_today,
)
from openiop.care.models import Episode
from openiop.core.decorators import requires
from openiop.core.errors import ApplicationError
from openiop.core.forms import apply_errors
from openiop.core.pagination import paginate

DATE = forms.DateInput(attrs={"type": "date"})


class CertificationForm(forms.Form):
    weekly_hours = forms.DecimalField(
        label="Hours of services needed a week",
        max_digits=4,
        decimal_places=1,
        help_text=f"At least {MIN_WEEKLY_HOURS} hours a week for the Medicare IOP benefit.",
    )
    statement = forms.CharField(
        label="Why the patient needs intensive outpatient care",
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=5000,
    )
    covers_from = forms.DateField(
        label="First day covered",
        widget=DATE,
        help_text="A certification covers days from the day it is signed, not before.",
    )


def _episode_or_404(request, episode_uuid) -> Episode:
    """An episode in a program where the actor may see certifications."""
    g = grant(request.user, "certification.view")
    episode = None
    if g:
        episode = (
            Episode.objects.filter(Episode.objects.all().scope_q(g))
            .select_related("patient", "program__site", "organization")
            .filter(uuid=episode_uuid)
            .first()
        )
    if episode is None:
        raise Http404("No such episode, or not one you may see.")
    return episode


def _certification_or_404(request, certification_uuid) -> Certification:
    cert = (
        Certification.objects.visible_to(request.user, "view")
        .select_related("episode__patient", "episode__program__site", "signed_by")
        .filter(uuid=certification_uuid)
        .first()
    )
    if cert is None:
        raise Http404("No such certification, or not one you may see.")
    # seen through the episode's program, like the episode's page
    _episode_or_404(request, cert.episode.uuid)
    return cert


def _on(user, permission, episode) -> bool:
    return can(
        user, permission, organization_id=episode.organization_id, program_id=episode.program_id
    )


@requires("certification.view")
def episode_page(request, episode_uuid):
    episode = _episode_or_404(request, episode_uuid)
    today = site_today(episode)
    page = paginate(request, episode_certifications(actor=request.user, episode=episode))
    audit_read(actor=request.user, event="certification.list", obj=episode, patient=episode.patient)
    return render(
        request,
        "billing/certifications_episode.html",
        {
            "episode": episode,
            "patient": episode.patient,
            "page": page,
            "due": recertification_due(episode, today),
            "today": today,
            "days": recertification_days(episode, today),
            "can_change": episode.is_open and _on(request.user, "certification.change", episode),
            "can_sign": episode.is_open and _on(request.user, "certification.sign", episode),
            "show_statement": _on(request.user, "plan.view", episode),
        },
    )


def _suggested_start(episode, today):
    due = recertification_due(episode, today)
    if due is None:
        return today
    return max(today, due.on, episode.admitted_on)


@requires("certification.change")
def new_page(request, episode_uuid):
    episode = _episode_or_404(request, episode_uuid)
    return _draft_form(request, episode, None)


@requires("certification.change")
def edit_page(request, certification_uuid):
    cert = _certification_or_404(request, certification_uuid)
    if cert.status != CertificationStatus.DRAFT:
        messages.error(
            request, "A signed certification cannot be changed; draft a recertification instead."
        )
        return redirect("billing:episode_certifications", episode_uuid=cert.episode.uuid)
    return _draft_form(request, cert.episode, cert)


def _draft_form(request, episode, cert):
    today = site_today(episode)
    if cert is not None:
        initial = {
            "weekly_hours": cert.weekly_hours,
            "statement": cert.statement,
            "covers_from": cert.covers_from,
        }
    else:
        initial = {"covers_from": _suggested_start(episode, today)}
    form = CertificationForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = certification_draft(
                actor=request.user, episode=episode, certification=cert, **form.cleaned_data
            )
        except ApplicationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(
                request,
                f"Draft saved: it covers {saved.covers_from:%Y-%m-%d} to "
                f"{saved.covers_through:%Y-%m-%d} once a physician or qualified "
                "practitioner signs it.",
            )
            return redirect("billing:episode_certifications", episode_uuid=episode.uuid)
    elif request.method != "POST":
        audit_read(
            actor=request.user,
            event="certification.form",
            obj=cert or episode,
            patient=episode.patient,
        )
    return render(
        request,
        "billing/certifications_form.html",
        {
            "episode": episode,
            "patient": episode.patient,
            "form": form,
            "certification": cert,
            "days": recertification_days(episode, today),
        },
        status=400 if form.errors else 200,
    )


@requires("certification.sign")
def sign_page(request, certification_uuid):
    cert = _certification_or_404(request, certification_uuid)
    episode = cert.episode
    error = ""
    if request.method == "POST":
        try:
            certification_sign(actor=request.user, certification=cert)
        except ApplicationError as exc:
            error = exc.message
        else:
            messages.success(
                request,
                f"Signed: {cert.get_kind_display().lower()} of {cert.covers_from:%Y-%m-%d} to "
                f"{cert.covers_through:%Y-%m-%d}.",
            )
            return redirect("billing:episode_certifications", episode_uuid=episode.uuid)
    else:
        audit_read(
            actor=request.user, event="certification.sign_form", obj=cert, patient=episode.patient
        )
    held, certifying = certifying_credentials(request.user, episode, site_today(episode))
    return render(
        request,
        "billing/certifications_sign.html",
        {
            "episode": episode,
            "patient": episode.patient,
            "certification": cert,
            "attestation": cert.attestation if cert.is_signed else attestation_for(cert),
            "held": held,
            "certifying": certifying,
            "certifiers": ", ".join(sorted(CERTIFYING_LICENCES)),
            "error": error,
            "show_statement": _on(request.user, "plan.view", episode),
        },
        status=400 if error else 200,
    )


@requires("certification.view")
def due_page(request):
    today = timezone.localdate()  # in the person's zone (core/clock.py middleware)
    page = paginate(request, certifications_due(actor=request.user, today=today))
    rows = list(page.object_list)
    current = current_certifications([e.pk for e in rows], today)
    items = [(e, due_of(e, today), current.get(e.pk)) for e in rows]
    audit_read(
        actor=request.user,
        event="certification.due",
        patient_ids=[e.patient_id for e in rows],
    )
    return render(
        request,
        "billing/certifications_due.html",
        {
            "page": page,
            "items": items,
            "today": today,
            "horizon": today + dt.timedelta(days=DUE_LIST_DAYS),
        },
    )


urlpatterns = [
    path("certifications/", due_page, name="certifications_due"),
    path(
        "episodes/<uuid:episode_uuid>/certifications/",
        episode_page,
        name="episode_certifications",
    ),
    path(
        "episodes/<uuid:episode_uuid>/certifications/new/",
        new_page,
        name="certification_new",
    ),
    path(
        "certifications/<uuid:certification_uuid>/edit/",
        edit_page,
        name="certification_edit",
    ),
    path(
        "certifications/<uuid:certification_uuid>/sign/",
        sign_page,
        name="certification_sign",
    ),
]
