"""Leaving releases the future: when an episode ends (discharge, transfer, a
step up or down), the patient's places in the program's sessions after that
day are ended (kept as history with the reason), their individual sessions
are cancelled, their calendar feed shows those sessions as CANCELLED, and,
unless they stay in care (a transfer or a step, or another open episode),
their unused one-time links stop working. Called inside the discharge's transaction."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from openiop.audit.models import Action
from openiop.audit.services import audit_record
from openiop.scheduling.models import (
    RosterEntry,
    RosterStatus,
    Session,
    SessionModality,
    SessionStatus,
)

# the patient goes on being treated in the organization: their links still work
# (an answer is routed to their current episode)
STAYS_IN_CARE = {"transferred", "stepped_up", "stepped_down"}


@dataclass
class Released:
    places: int = 0
    individual_cancelled: int = 0
    links_revoked: int = 0

    def __str__(self) -> str:
        if not (self.places or self.links_revoked):
            return "No future sessions or links to release."
        parts = [f"taken off {self.places} future session{'s' * (self.places != 1)}"]
        if self.individual_cancelled:
            n = self.individual_cancelled
            parts.append(f"{n} individual session{'s' * (n != 1)} cancelled")
        if self.links_revoked:
            n = self.links_revoked
            parts.append(f"{n} unused link{'s' * (n != 1)} revoked")
        return "Released: " + ", ".join(parts) + "."


def release_future(*, actor, episode, after: dt.date, reason: str, why: str) -> Released:
    """End the episode's places in sessions after `after` (and later that day,
    if not started and not attended); `reason` is the discharge reason code,
    `why` the words kept on each place."""
    from openiop.measures.models import PatientLink

    now = timezone.now()
    ended, cancelled = _end_places(
        episode,
        Q(session__date__gt=after) | Q(session__date=after, session__starts_at__gt=now),
        why,
    )
    from openiop.care.models import Episode, EpisodeStatus

    still_in_care = (
        Episode.objects.filter(patient_id=episode.patient_id, status=EpisodeStatus.ACTIVE)
        .exclude(pk=episode.pk)
        .exists()
    )
    revoked = 0
    if reason not in STAYS_IN_CARE and not still_in_care:
        revoked = PatientLink.objects.filter(
            patient_id=episode.patient_id,
            used_at__isnull=True,
            revoked_at__isnull=True,
            expires_at__gt=now,
        ).update(revoked_at=now, updated_at=now)
    released = Released(places=ended, individual_cancelled=cancelled, links_revoked=revoked)
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        event="episode.release",
        obj=episode,
        patient=episode.patient,
        detail={
            "places": released.places,
            "individual_cancelled": cancelled,
            "links_revoked": revoked,
        },
    )
    return released


def release_track(*, actor, episode, track, why: str) -> Released:
    """A move to another track ends the patient's places in the old track's
    sessions that have not started (kept as history with `why`); their own
    individual sessions stay."""
    ended, _ = _end_places(
        episode, Q(session__track=track, session__starts_at__gt=timezone.now()), why
    )
    released = Released(places=ended)
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        event="episode.release",
        obj=episode,
        patient=episode.patient,
        detail={"places": ended, "track": str(track.uuid)},
    )
    return released


def _end_places(episode, which: Q, why: str) -> tuple[int, int]:
    """End the episode's enrolled places matching `which` that were not attended;
    cancel individual sessions left with nobody. (places ended, sessions cancelled)"""
    from openiop.scheduling.records import Attendance

    now = timezone.now()
    attended = Attendance.objects.filter(session=OuterRef("session"), patient=episode.patient_id)
    places = (
        RosterEntry.objects.select_for_update()
        .filter(episode=episode, status=RosterStatus.ENROLLED)
        .filter(which)
        .exclude(Exists(attended))
    )
    ended = list(places.values_list("pk", "session_id"))
    RosterEntry.objects.filter(pk__in=[pk for pk, _ in ended]).update(
        status=RosterStatus.REMOVED, removed_reason=why[:200], removed_at=now, updated_at=now
    )
    alone = (
        Session.objects.filter(pk__in=[sid for _, sid in ended], status=SessionStatus.SCHEDULED)
        .exclude(session_type__modality=SessionModality.GROUP)
        .exclude(roster__status=RosterStatus.ENROLLED)
    )
    cancelled = alone.update(status=SessionStatus.CANCELLED, updated_at=now)
    return len(ended), cancelled
