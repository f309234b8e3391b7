"""Which measures are due or overdue, from each program's schedule.

An occasion (admission, every N weeks from admission, discharge) counts as done
when the episode has a final response to that instrument close enough to it:
at admission, within WINDOW days after admission; a repeat, from half an
interval (at most WINDOW days) before its date on; at discharge, from WINDOW
days before the discharge on. An occasion not done is
"due" from SOON days before its date and "overdue" GRACE days after it.

A constant number of queries: the episodes, the schedules of their programs,
and one aggregate of first and last response dates per episode and instrument.
"""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Max, Min
from django.utils import timezone

from openiop.care.models import Episode, EpisodeStatus
from openiop.measures.models import MeasureSchedule, RecordStatus, Response

WINDOW = 14
SOON = 3
GRACE = 7
DISCHARGE_LOOKBACK = 14  # recently discharged episodes still listed for their discharge measure


@dataclass
class Due:
    episode: Episode
    instrument: object
    occasion: str
    due_on: dt.date
    status: str  # due | overdue
    last_on: dt.date | None

    @property
    def patient(self):
        return self.episode.patient

    @property
    def days_late(self) -> int:
        return max(0, (timezone.localdate() - self.due_on).days)


def _occasions(rule, episode, today):
    """(label, due date, done-if-a-response-from) for the occasions of one rule
    that are current for the episode today."""
    admitted = episode.admitted_on
    if episode.status == EpisodeStatus.DISCHARGED:
        if rule.at_discharge and episode.discharged_on:
            yield (
                "discharge",
                episode.discharged_on,
                episode.discharged_on - dt.timedelta(days=WINDOW),
            )
        return
    if rule.at_admission:
        yield "admission", admitted, None
    if rule.every_weeks:
        step = 7 * rule.every_weeks
        # a repeat is done by a response in the half-interval before it (at most WINDOW days)
        window = dt.timedelta(days=min(WINDOW, step // 2))
        k = (today - admitted).days // step
        if k >= 1:
            due_on = admitted + dt.timedelta(days=k * step)
            yield f"week {k * rule.every_weeks}", due_on, due_on - window
        upcoming = admitted + dt.timedelta(days=(k + 1) * step)
        if (upcoming - today).days <= SOON:
            yield f"week {(k + 1) * rule.every_weeks}", upcoming, upcoming - window


def measures_due(*, actor, today: dt.date | None = None, episodes=None) -> list[Due]:
    """Due and overdue measures for the open (and just discharged) episodes the
    actor may see, or for the given episode queryset; overdue first."""
    today = today or timezone.localdate()
    if episodes is None:
        episodes = Episode.objects.visible_to(actor, "view")
    current = episodes.filter(status__in=[EpisodeStatus.ACTIVE, EpisodeStatus.DISCHARGED]).exclude(
        status=EpisodeStatus.DISCHARGED,
        discharged_on__lt=today - dt.timedelta(days=DISCHARGE_LOOKBACK),
    )
    episodes = list(current.select_related("patient", "program", "primary_clinician"))
    if not episodes:
        return []
    program_ids = {e.program_id for e in episodes}
    rules: dict[int, list[MeasureSchedule]] = {}
    for rule in MeasureSchedule.objects.filter(program_id__in=program_ids).select_related(
        "instrument"
    ):
        rules.setdefault(rule.program_id, []).append(rule)
    if not rules:
        return []
    scheduled = current.filter(program_id__in=list(rules)).values("pk")
    spans = {
        (r["episode_id"], r["instrument_id"]): (r["first"], r["last"])
        for r in Response.objects.filter(episode_id__in=scheduled, status=RecordStatus.FINAL)
        .values("episode_id", "instrument_id")
        .annotate(first=Min("administered_on"), last=Max("administered_on"))
    }
    out: list[Due] = []
    for episode in episodes:
        for rule in rules.get(episode.program_id, []):
            first, last = spans.get((episode.pk, rule.instrument_id), (None, None))
            for label, due_on, counts_from in _occasions(rule, episode, today):
                if counts_from is None:  # admission
                    done = first is not None and first <= due_on + dt.timedelta(days=WINDOW)
                else:
                    done = last is not None and last >= counts_from
                if done or (due_on - today).days > SOON:
                    continue
                status = "overdue" if (today - due_on).days > GRACE else "due"
                out.append(Due(episode, rule.instrument, label, due_on, status, last))
    out.sort(key=lambda d: (d.status != "overdue", d.due_on, d.patient.legal_family_name))
    return out
