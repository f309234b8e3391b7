"""Calendar feeds: the public .ics behind a secret token, and staff members'
own feed links."""

import datetime as dt

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from openiop.access.scope import scope_for
from openiop.audit.models import Action
from openiop.audit.services import audit_record
from openiop.core.decorators import login_only, public
from openiop.core.errors import ApplicationError
from openiop.core.ratelimit import rate_limited
from openiop.scheduling.ical import feed_calendar
from openiop.scheduling.models import (
    CalendarFeed,
    RosterEntry,
    RosterStatus,
    Session,
)
from openiop.scheduling.services import feeds as feed_services

PAST_DAYS, FUTURE_DAYS = 28, 90


@public
@rate_limited("calendar-feed")
def ics(request, token):
    feed = feed_services.feed_lookup(token)
    if feed is None:
        raise Http404("No such calendar.")
    now = timezone.now()
    window = (now - dt.timedelta(days=PAST_DAYS), now + dt.timedelta(days=FUTURE_DAYS))
    sessions = Session.objects.filter(starts_at__range=window).select_related(
        "session_type", "room", "program__site"
    )
    released: set[int] = set()
    if feed.patient_id:
        places = dict(
            RosterEntry.objects.filter(
                patient_id=feed.patient_id,
                session__starts_at__range=window,
                status__in=(RosterStatus.ENROLLED, RosterStatus.REMOVED),
            ).values_list("session_id", "status")
        )
        # a place given up (discharge, transfer, taken off) stays in the feed as
        # CANCELLED, so the patient's calendar drops it instead of keeping it
        released = {sid for sid, status in places.items() if status == RosterStatus.REMOVED}
        sessions = sessions.filter(pk__in=list(places))
        name = "My IOP sessions"
    else:
        # a cancelled session stays in the feed as CANCELLED, so calendars drop it
        sessions = sessions.filter(facilitator_id=feed.user_id)
        name = "Sessions I run"
    sessions = list(sessions.order_by("starts_at"))
    audit_record(
        actor=None,
        action=Action.READ,
        event="calendar_feed.read",
        obj=feed,
        patient=feed.patient,
        organization_id=feed.organization_id,
        actor_name=f"calendar feed {feed.prefix}",
        detail={"sessions": len(sessions)},
    )
    body = feed_calendar(sessions, name=name, cancelled=released)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="openiop.ics"'
    response["Cache-Control"] = "private, max-age=300"
    return response


@login_only
def my_feeds(request):
    if request.method == "POST":
        orgs = sorted(scope_for(request.user).organization_ids)
        if not orgs:
            messages.error(request, "You have no role in an organization.")
        else:
            try:
                _feed, token = feed_services.feed_create_for_self(
                    actor=request.user,
                    organization_id=orgs[0],
                    label=request.POST.get("label", ""),
                )
            except ApplicationError as exc:
                messages.error(request, exc.message)
            else:
                request.session["new_feed_url"] = request.build_absolute_uri(
                    f"/calendar/{token}.ics"
                )
        return redirect("scheduling:my_feeds")
    feeds = CalendarFeed.objects.filter(user=request.user).order_by("-created_at")[:20]
    return render(
        request,
        "scheduling/feeds.html",
        {"feeds": feeds, "new_feed_url": request.session.pop("new_feed_url", None)},
    )


@require_POST
@login_only
def feed_revoke(request, feed_uuid):
    feed = CalendarFeed.objects.filter(uuid=feed_uuid).select_related("patient").first()
    if feed is None:
        raise Http404("No such feed.")
    try:
        feed_services.feed_revoke(actor=request.user, feed=feed)
    except ApplicationError as exc:
        if exc.status == 403:
            raise Http404("No such feed.") from None
        messages.error(request, exc.message)
    else:
        messages.success(request, "The link no longer works.")
    if feed.patient_id:
        return redirect("scheduling:patient", patient_uuid=feed.patient.uuid)
    return redirect("scheduling:my_feeds")
