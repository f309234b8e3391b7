"""The program's own clock: every "today", default date and displayed time is
in the time zone of the site a person works at, not the server's (UTC).

One mechanism: `zone_for_user` decides a person's zone (their program's site;
for organization-wide roles the organization's first site; for a patient with
a portal login, the site of their program), and the middleware (and the API's
token authentication) activates it for the request, so `timezone.localdate()`,
`timezone.localtime()`, form defaults and every `|date` in a template are
site-local. Work outside a request (the worker, the command line) names the
zone of what it handles with `activated(zone_name)` or `today_in`.
"""

import contextlib
import zoneinfo

from django.apps import apps
from django.conf import settings
from django.utils import timezone

SESSION_KEY = "_site_time_zone"


def valid_zone(name: str | None) -> str | None:
    if not name:
        return None
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None
    return name


def zone_for_user(user) -> str:
    """The time zone a person sees the application in."""
    from openiop.access.scope import scope_for

    memberships = scope_for(user).memberships
    Program = apps.get_model("organizations", "Program")
    name = None
    program_ids = sorted(m.program_id for m in memberships if m.program_id)
    org_ids = sorted({m.organization_id for m in memberships if m.program_id is None})
    if program_ids:
        name = (
            Program.objects.filter(pk__in=program_ids)
            .order_by("pk")
            .values_list("site__time_zone", flat=True)
            .first()
        )
    elif org_ids:
        name = organization_zone(org_ids[0])
    else:
        name = _patient_zone(user)
    return valid_zone(name) or settings.TIME_ZONE


def _patient_zone(user) -> str | None:
    Patient = apps.get_model("patients", "Patient")
    Episode = apps.get_model("care", "Episode")
    patient = Patient.objects.filter(portal_user=user).only("pk", "organization_id").first()
    if patient is None:
        return None
    name = (
        Episode.objects.filter(patient=patient)
        .order_by("-admitted_on", "-pk")
        .values_list("program__site__time_zone", flat=True)
        .first()
    )
    if name:
        return name
    return organization_zone(patient.organization_id)


def organization_zone(organization_id) -> str:
    """An organization's zone: that of its first site (the server's without one)."""
    Site = apps.get_model("organizations", "Site")
    name = (
        Site.objects.filter(organization_id=organization_id)
        .order_by("pk")
        .values_list("time_zone", flat=True)
        .first()
    )
    return valid_zone(name) or settings.TIME_ZONE


def organization_today(organization_id):
    """Today in the organization's zone: for work outside a request (a job, a
    command, a partner's token), whatever zone is active."""
    return timezone.now().astimezone(zoneinfo.ZoneInfo(organization_zone(organization_id))).date()


def activate_for(request, user) -> None:
    """Activate the user's zone, remembered in the session (computed once a
    sign-in; a session belongs to one user)."""
    session = getattr(request, "session", None)
    remembered = session.get(SESSION_KEY) if session is not None else None
    if remembered and remembered[0] == user.pk and valid_zone(remembered[1]):
        name = remembered[1]
    else:
        name = zone_for_user(user)
        if session is not None:
            session[SESSION_KEY] = [user.pk, name]
    timezone.activate(zoneinfo.ZoneInfo(name))


def activate_zone_of(user) -> None:
    """Activate the user's zone without a session (an API token)."""
    timezone.activate(zoneinfo.ZoneInfo(zone_for_user(user)))


class SiteTimeZoneMiddleware:
    """Each request runs in the signed-in person's site zone (after
    authentication); anonymous pages keep the server's."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            activate_for(request, user)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


@contextlib.contextmanager
def activated(zone_name: str | None):
    """Run a block (a job, a command) in a site's zone."""
    name = valid_zone(zone_name) or settings.TIME_ZONE
    previous = timezone.get_current_timezone()
    timezone.activate(zoneinfo.ZoneInfo(name))
    try:
        yield
    finally:
        timezone.activate(previous)
