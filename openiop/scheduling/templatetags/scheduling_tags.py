"""Template helpers of the scheduling pages, and its section of the patient chart."""

from django import template

register = template.Library()


@register.filter
def attr_status(ledger, week) -> str:
    return ledger.status(week)


@register.inclusion_tag("scheduling/_chart_section.html", takes_context=True)
def scheduling_chart(context, patient):
    """The chart's scheduling card: this week's hours, next sessions, and the
    signed notes under the plan objectives they addressed (constant queries)."""
    import datetime as dt

    from django.utils import timezone

    from openiop.access.scope import can
    from openiop.care.models import Episode, EpisodeStatus
    from openiop.scheduling.ledger import hours_ledger
    from openiop.scheduling.selectors import notes_by_objective, patient_sessions

    user = context["request"].user
    out = {"patient": patient, "show": can(user, "schedule.view")}
    if not out["show"]:
        return out
    today = timezone.localdate()
    episode = (
        Episode.objects.visible_to(user, "view")
        .filter(patient=patient, status=EpisodeStatus.ACTIVE)
        .select_related("program")
        .first()
    )
    if episode is not None:
        ledger = hours_ledger(episode, weeks=4, today=today)
        out["ledger"] = ledger
        out["this_week"] = ledger.weeks[-1] if ledger.weeks else None
    out["upcoming"] = list(
        patient_sessions(user, patient, start=today, end=today + dt.timedelta(days=6))[:6]
    )
    if can(user, "note.view") and episode is not None:
        from openiop.scheduling.services.notes import objectives_for

        by_key = notes_by_objective(user, patient)
        objectives = objectives_for([patient.pk], episode.program_id)[patient.pk]
        out["objective_notes"] = [
            {"objective": o, "entries": by_key.get(str(o.key), [])[:5]} for o in objectives
        ]
    return out
