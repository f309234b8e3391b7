"""Lookups the pages share: everything through `visible_to`, else 404."""

from django.db.models import Q
from django.http import Http404

from openiop.accounts.models import Membership, User
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


def program_staff(program):
    """Active staff of the program who can deliver care (for 'responsible')."""
    members = (
        Membership.objects.filter(is_active=True)
        .filter(
            Q(program=program) | Q(organization_id=program.organization_id, program__isnull=True)
        )
        .filter(role__in=["clinician", "program_director", "prescriber"])
    )
    return (
        User.objects.filter(is_active=True, memberships__in=members)
        .distinct()
        .order_by("display_name", "username")
    )
