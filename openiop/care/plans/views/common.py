"""Lookups the pages share: everything through `visible_to`, else 404."""

from django.http import Http404

from openiop.care.models import Episode
from openiop.care.plans.selectors import plan_detail


def episode_or_404(request, episode_uuid) -> Episode:
    episode = (
        Episode.objects.visible_to(request.user, "view")
        .select_related("patient", "program__site", "program__organization", "primary_clinician")
        .filter(uuid=episode_uuid)
        .first()
    )
    if episode is None:
        raise Http404("No such episode, or not one you may see.")
    return episode


def plan_or_404(request, plan_uuid):
    plan = plan_detail(actor=request.user, plan_uuid=plan_uuid)
    if plan is None:
        raise Http404("No such plan, or not one you may see.")
    return plan


def delivery_of(plan, version, **weeks):
    """This week and next against the signed plan in effect (scheduling/delivery.py);
    None for another version, an ended plan or a closed episode."""
    from openiop.care.models import EpisodeStatus
    from openiop.scheduling.delivery import plan_delivery, weeks_around

    episode = plan.episode
    if plan.status != "open" or version is None or version.pk != plan.current_id:
        return None
    if episode.status != EpisodeStatus.ACTIVE:
        return None
    return plan_delivery(episode, weeks_around(episode.program, **weeks))
