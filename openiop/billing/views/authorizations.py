"""Billing pages: authorizations and utilization review.

An episode's authorizations (with what is used and left, counted from billable
days), the organization's list with its warnings, the concurrent review
worklist per reviewer, the request/decision/change/renewal forms, and the
printable concurrent review packet (care team only: it holds scores and
progress, which billing does not see) and its sending to the payer, a
recorded 42 CFR Part 2 disclosure."""

import datetime as dt

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone

from openiop.access.querysets import organizations_reached
from openiop.access.scope import can, grant
from openiop.audit.services import audit_denied, audit_read
from openiop.billing import authorization_forms as f
from openiop.billing import authorization_selectors as sel
from openiop.billing.models import Authorization, Payer
from openiop.billing.packet import review_packet
from openiop.billing.packet_forms import PacketSendForm
from openiop.billing.services import authorizations as svc
from openiop.billing.services import packet_disclosure as pd
from openiop.care.models import Episode
from openiop.consent.release import NOTICE
from openiop.core.decorators import forbidden, requires
from openiop.core.errors import ApplicationError, PermissionDenied
from openiop.core.forms import apply_errors
from openiop.core.pagination import paginate
from openiop.organizations.models import Program
from openiop.patients.models import Coverage


def _episode(request, episode_uuid) -> Episode:
    episode = (
        Episode.objects.visible_to(request.user, "view")
        .select_related("patient", "program")
        .filter(uuid=episode_uuid)
        .first()
    )
    if episode is None:
        raise Http404("No such episode, or not one you may see.")
    return episode


def _authorization(request, authorization_uuid, action="view") -> Authorization:
    auth = (
        Authorization.objects.visible_to(request.user, action)
        .select_related(
            "episode__program",
            "episode__patient",
            "episode__primary_clinician",
            "patient",
            "payer__recipient",
            "reviewer",
        )
        .filter(uuid=authorization_uuid)
        .first()
    )
    if auth is None:
        raise Http404("No such authorization, or not one you may see.")
    return auth


def _may_manage(user, episode) -> bool:
    return can(
        user,
        "authorization.manage",
        organization_id=episode.organization_id,
        program_id=episode.program_id,
    )


@requires("authorization.view")
def episode_authorizations(request, episode_uuid):
    episode = _episode(request, episode_uuid)
    today = timezone.localdate()
    auths = sel.episode_authorizations(actor=request.user, episode=episode, today=today)
    coverages = list(
        Coverage.objects.filter(patient=episode.patient)
        .select_related("payer")
        .order_by("-is_primary", "payer_name")
    )
    covered = {c.payer_id for c in coverages if c.payer_id}
    for a in auths:
        a.uncovered = a.payer_id not in covered
    audit_read(
        actor=request.user,
        event="authorization.episode",
        obj=episode,
        patient=episode.patient,
    )
    return render(
        request,
        "billing/authorizations_episode.html",
        {
            "episode": episode,
            "patient": episode.patient,
            "authorizations": auths,
            "coverages": coverages,
            "can_manage": _may_manage(request.user, episode),
            "can_review": can(request.user, "authorization.review"),
            "today": today,
        },
    )


@requires("authorization.view")
def authorization_list(request):
    today = timezone.localdate()
    orgs = organizations_reached(grant(request.user, "authorization.view"))
    form = f.ListFilter(
        request.GET or None,
        payers=Payer.objects.filter(organization_id__in=orgs),
        programs=Program.objects.visible_to(request.user, "view").order_by("name"),
    )
    filters = form.cleaned_data if form.is_valid() else {}
    qs = sel.authorization_list(
        actor=request.user,
        today=today,
        status=filters.get("status") or "",
        payer=filters.get("payer"),
        program=filters.get("program"),
        warning=filters.get("warning") or "",
    )
    page = paginate(request, qs)
    page.object_list = sel.with_standing(page.object_list, today)
    audit_read(
        actor=request.user,
        event="authorization.list",
        patient_ids=[a.patient_id for a in page.object_list],
    )
    return render(
        request,
        "billing/authorizations_list.html",
        {"form": form, "page": page, "today": today},
    )


@requires("authorization.view")
def review_worklist(request):
    today = timezone.localdate()
    can_all = can(request.user, "staff.view")
    show = request.GET.get("show") or ("all" if can_all else "mine")
    if show != "all" or not can_all:
        show = "mine"
    reviewer = None if show == "all" else request.user
    qs = sel.review_worklist(actor=request.user, today=today, reviewer=reviewer)
    page = paginate(request, qs)
    page.object_list = sel.with_standing(page.object_list, today)
    audit_read(
        actor=request.user,
        event="authorization.reviews",
        patient_ids=[a.patient_id for a in page.object_list],
    )
    return render(
        request,
        "billing/authorizations_reviews.html",
        {
            "page": page,
            "show": show,
            "can_all": can_all,
            "can_review": can(request.user, "authorization.review"),
            "today": today,
            "me": request.user,
        },
    )


def _form_page(request, template, ctx, *, patient, obj):
    if request.method == "GET":
        audit_read(actor=request.user, event="authorization.form", obj=obj, patient=patient)
    return render(request, template, {"patient": patient, **ctx})


@requires("authorization.manage")
def authorization_new(request, episode_uuid):
    episode = _episode(request, episode_uuid)
    if not _may_manage(request.user, episode):
        return forbidden(request)
    form = f.AuthorizationForm(
        request.POST or None,
        episode=episode,
        initial={"starts_on": max(episode.admitted_on, timezone.localdate())},
    )
    if request.method == "POST" and form.is_valid():
        try:
            svc.authorization_create(actor=request.user, episode=episode, **form.cleaned_data)
        except ApplicationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(
                request, "Request recorded: record the payer's decision when it comes."
            )
            return redirect("billing:episode_authorizations", episode_uuid=episode.uuid)
    return _form_page(
        request,
        "billing/authorizations_form.html",
        {"form": form, "episode": episode, "title": "Request an authorization"},
        patient=episode.patient,
        obj=episode,
    )


@requires("authorization.manage")
def authorization_decide(request, authorization_uuid):
    auth = _authorization(request, authorization_uuid, "manage")
    form = f.DecideForm(
        request.POST or None,
        initial={"units": auth.requested_units, "decision": "approved"},
    )
    if request.method == "POST" and form.is_valid():
        try:
            svc.authorization_decide(actor=request.user, authorization=auth, **form.cleaned_data)
        except ApplicationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "Decision recorded.")
            return redirect("billing:episode_authorizations", episode_uuid=auth.episode.uuid)
    return _form_page(
        request,
        "billing/authorizations_form.html",
        {
            "form": form,
            "episode": auth.episode,
            "authorization": auth,
            "title": "Record the payer's decision",
        },
        patient=auth.patient,
        obj=auth,
    )


@requires("authorization.manage")
def authorization_edit(request, authorization_uuid):
    auth = _authorization(request, authorization_uuid, "manage")
    units = auth.units if auth.is_authorized else auth.requested_units
    form = f.UpdateForm(
        request.POST or None,
        authorization=auth,
        initial={
            "starts_on": auth.starts_on,
            "ends_on": auth.ends_on,
            "units": units,
            "next_review_on": auth.next_review_on,
            "reviewer": auth.reviewer,
            "payer_reviewer": auth.payer_reviewer,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        if not auth.is_authorized:
            data.pop("next_review_on", None)
        try:
            svc.authorization_update(actor=request.user, authorization=auth, **data)
        except ApplicationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "Saved.")
            return redirect("billing:episode_authorizations", episode_uuid=auth.episode.uuid)
    return _form_page(
        request,
        "billing/authorizations_form.html",
        {
            "form": form,
            "episode": auth.episode,
            "authorization": auth,
            "title": "Change the authorization",
        },
        patient=auth.patient,
        obj=auth,
    )


@requires("authorization.manage")
def authorization_renew(request, authorization_uuid):
    previous = _authorization(request, authorization_uuid, "manage")

    starts = previous.ends_on + dt.timedelta(days=1)
    form = f.RenewForm(
        request.POST or None,
        previous=previous,
        initial={
            "requested_units": previous.units or previous.requested_units,
            "starts_on": starts,
            "ends_on": starts + (previous.ends_on - previous.starts_on),
            "reviewer": previous.reviewer,
            "payer_reviewer": previous.payer_reviewer,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            svc.authorization_renew(actor=request.user, previous=previous, **form.cleaned_data)
        except ApplicationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "Renewal requested.")
            return redirect("billing:episode_authorizations", episode_uuid=previous.episode.uuid)
    return _form_page(
        request,
        "billing/authorizations_form.html",
        {
            "form": form,
            "episode": previous.episode,
            "authorization": previous,
            "title": "Request the renewal",
        },
        patient=previous.patient,
        obj=previous,
    )


def _may_disclose(user, episode) -> bool:
    return can(
        user,
        "disclosure.make",
        organization_id=episode.organization_id,
        program_id=episode.program_id,
    )


def _packet_page(request, auth, packet, **ctx):
    return render(
        request,
        "billing/authorizations_packet.html",
        {
            "p": packet,
            "patient": auth.patient,
            "episode": auth.episode,
            "ledger": packet.ledger,
            **ctx,
        },
    )


def _send_form(request, auth) -> PacketSendForm:
    """No recipient to choose: the packet goes to the authorization's payer's
    Part 2 recipient (a posted recipient is ignored)."""
    return PacketSendForm(
        request.POST or None,
        authorization=auth,
        may_link_payer=can(request.user, "payer.manage", organization_id=auth.organization_id),
    )


@requires("authorization.review")
def authorization_packet(request, authorization_uuid):
    auth = _authorization(request, authorization_uuid, "review")
    packet = review_packet(actor=request.user, authorization=auth, today=timezone.localdate())
    audit_read(actor=request.user, event="authorization.packet", obj=auth, patient=auth.patient)
    may_send = _may_disclose(request.user, auth.episode)
    return _packet_page(
        request,
        auth,
        packet,
        send_form=_send_form(request, auth) if may_send else None,
    )


@requires("authorization.review")
def authorization_packet_send(request, authorization_uuid):
    """Send the packet to the payer: the patient's consent checked, the
    disclosure recorded, the packet shown for printing with the Part 2 notice.
    Refused: the reason, and nothing recorded."""
    auth = _authorization(request, authorization_uuid, "review")
    if not _may_disclose(request.user, auth.episode):
        audit_denied(actor=request.user, event="disclosure.make", action="update")
        return forbidden(
            request, "You may read the packet but not disclose it outside the program."
        )
    form = _send_form(request, auth)
    if request.method == "POST" and form.is_valid():
        packet = review_packet(actor=request.user, authorization=auth, today=timezone.localdate())
        try:
            disclosure = pd.packet_send(
                actor=request.user,
                authorization=auth,
                packet=packet,
                channel=form.cleaned_data["channel"],
            )
        except PermissionDenied:
            return forbidden(request)
        except ApplicationError as exc:
            if exc.fields:
                apply_errors(form, exc)
            else:
                form.add_error(None, f"Not sent: {exc.message}")
        else:
            return _packet_page(request, auth, packet, disclosure=disclosure, notice=NOTICE)
    if request.method == "GET":
        audit_read(actor=request.user, event="authorization.form", obj=auth, patient=auth.patient)
    return render(
        request,
        "billing/authorizations_send.html",
        {"form": form, "authorization": auth, "episode": auth.episode, "patient": auth.patient},
    )


urlpatterns = [
    path("authorizations/", authorization_list, name="authorizations"),
    path("authorizations/reviews/", review_worklist, name="authorization_reviews"),
    path(
        "episodes/<uuid:episode_uuid>/authorizations/",
        episode_authorizations,
        name="episode_authorizations",
    ),
    path(
        "episodes/<uuid:episode_uuid>/authorizations/new/",
        authorization_new,
        name="authorization_new",
    ),
    path(
        "authorizations/<uuid:authorization_uuid>/decide/",
        authorization_decide,
        name="authorization_decide",
    ),
    path(
        "authorizations/<uuid:authorization_uuid>/edit/",
        authorization_edit,
        name="authorization_edit",
    ),
    path(
        "authorizations/<uuid:authorization_uuid>/renew/",
        authorization_renew,
        name="authorization_renew",
    ),
    path(
        "authorizations/<uuid:authorization_uuid>/packet/",
        authorization_packet,
        name="authorization_packet",
    ),
    path(
        "authorizations/<uuid:authorization_uuid>/packet/send/",
        authorization_packet_send,
        name="authorization_packet_send",
    ),
]
