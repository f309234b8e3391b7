"""Who can run sessions for a program, and what licences they hold."""

import datetime as dt

from django.db.models import Q

from openiop.accounts.models import Membership, StaffCredential, User

CLINICAL_ROLES = ("clinician", "program_director", "prescriber")


def program_staff(program):
    """Active clinical staff of a program (its own and organization-wide members),
    as a queryset of users by name."""
    ids = Membership.objects.filter(
        Q(program=program) | Q(program__isnull=True, organization_id=program.organization_id),
        is_active=True,
        role__in=CLINICAL_ROLES,
        user__is_active=True,
    ).values("user_id")
    return User.objects.filter(id__in=ids).order_by("display_name", "username")


def credentials_of(user_ids, site, on: dt.date) -> dict[int, set[str]]:
    """Licence types each user may practise under at `site` on `on` (the site's
    state, unexpired: `StaffCredential.objects.valid_at`)."""
    out: dict[int, set[str]] = {uid: set() for uid in user_ids}
    rows = (
        StaffCredential.objects.valid_at(site, on)
        .filter(user_id__in=list(user_ids))
        .values_list("user_id", "license_type")
    )
    for uid, licence in rows:
        out.setdefault(uid, set()).add(licence)
    return out


def is_program_staff(user, program) -> bool:
    return Membership.objects.filter(
        Q(program=program) | Q(program__isnull=True, organization_id=program.organization_id),
        user=user,
        is_active=True,
        role__in=CLINICAL_ROLES,
    ).exists()


def licences_by_modality(organization_id: int) -> dict[str, frozenset[str]]:
    """Plan modality -> the licence types that may lead it: the credentials of
    the session type that answers it (`needs.first_by_modality`, as the
    optimizer does). A modality absent here may be led by anyone."""
    from openiop.scheduling.models import SessionType
    from openiop.scheduling.needs import first_by_modality

    types = SessionType.objects.filter(organization_id=organization_id, is_active=True)
    return {
        modality: frozenset(t.credentials)
        for modality, t in first_by_modality(types).items()
        if t.credentials
    }


def who_may_lead(users, program, on: dt.date) -> dict[int, list[str]]:
    """user id -> the plan modalities (among those with a licence rule) each may lead."""
    rules = licences_by_modality(program.organization_id)
    held = credentials_of([u.pk for u in users], program.site, on)
    return {
        u.pk: sorted(m for m, needed in rules.items() if held.get(u.pk, set()) & needed)
        for u in users
    }


def lead_refusal(user, modality: str, program, on: dt.date) -> str:
    """Why `user` may not lead `modality` in `program` on `on`; "" when they may."""
    needed = licences_by_modality(program.organization_id).get(modality)
    if not needed:
        return ""
    held = credentials_of([user.pk], program.site, on).get(user.pk, set())
    if held & needed:
        return ""
    from openiop.care.plans.plan_models import Modality

    what = dict(Modality.choices).get(modality, modality).lower()
    holds = (
        f"holds {', '.join(sorted(held))}"
        if held
        else f"holds no current {program.site.state} licence"
    )
    return (
        f"{user.get_display_name()} cannot lead {what}: it needs one of "
        f"{', '.join(sorted(needed))} ({user.get_display_name()} {holds})."
    )


def lead_problems(interventions, program, on: dt.date) -> dict[int, str]:
    """intervention pk -> why its responsible person may not lead it (the
    interventions with a problem only). Three queries whatever their number."""
    rules = licences_by_modality(program.organization_id)
    todo = [i for i in interventions if i.modality in rules]
    if not todo:
        return {}
    people = {i.responsible_id: i.responsible for i in todo}
    may = who_may_lead(list(people.values()), program, on)
    return {
        i.pk: lead_refusal(i.responsible, i.modality, program, on)
        for i in todo
        if i.modality not in may[i.responsible_id]
    }
