"""What every measures service shares: permission on a patient, dates, episodes."""

import datetime as dt
import zoneinfo

from django.conf import settings
from django.utils import timezone

from openiop.access.services import require_on_patient  # noqa: F401 - imported from here
from openiop.care.models import Episode, EpisodeStatus
from openiop.core.errors import ApplicationError

PATIENT_VIA_LINK = "patient (one-time link)"
PATIENT_SIGNED_IN = "patient (signed in)"


def local_today(episode=None, patient=None) -> dt.date:
    """Today in the program site's time zone; for someone in no program, the
    zone of their organization's first site (the server's zone without one)."""
    tz_name = None
    if episode is not None:
        tz_name = getattr(getattr(episode.program, "site", None), "time_zone", None)
    elif patient is not None:
        from openiop.organizations.models import Site

        tz_name = (
            Site.objects.filter(organization_id=patient.organization_id)
            .order_by("pk")
            .values_list("time_zone", flat=True)
            .first()
        )
    try:
        tz = zoneinfo.ZoneInfo(tz_name or settings.TIME_ZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        tz = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    return timezone.now().astimezone(tz).date()


def check_day(field: str, day, patient, *, what: str, episode=None) -> dt.date:
    if not isinstance(day, dt.date):
        raise ApplicationError.for_field(field, f"Enter the date {what}.")
    if isinstance(day, dt.datetime):
        day = day.date()
    if day > local_today(episode, patient) + dt.timedelta(days=1):
        raise ApplicationError.for_field(field, f"The date {what} cannot be in the future.")
    if day < patient.date_of_birth or day.year < 1990:
        raise ApplicationError.for_field(field, f"The date {what} is too far in the past.")
    return day


def episode_for(patient, episode=None, *, actor=None) -> Episode | None:
    """The episode a record belongs to: the one given (it must be the patient's),
    else the patient's open episode admitted last, else their last one."""
    if episode is not None:
        if episode.patient_id != patient.pk:
            raise ApplicationError.for_field("episode", "Choose an episode of this patient.")
        return episode
    episodes = Episode.objects.filter(patient=patient).select_related("program__site")
    if actor is not None:
        episodes = episodes.filter(pk__in=Episode.objects.visible_to(actor, "view").values("pk"))
    return (
        episodes.filter(status=EpisodeStatus.ACTIVE).order_by("-admitted_on", "-id").first()
        or episodes.exclude(status=EpisodeStatus.ENTERED_IN_ERROR)
        .order_by("-admitted_on", "-id")
        .first()
    )
