"""Who can run sessions for a program, and what licences they hold."""

import datetime as dt

from django.db.models import Q

from openiop.accounts.models import Membership, StaffCredential, User

CLINICAL_ROLES = ("clinician", "program_director", "prescriber")


def program_staff(program) -> list[User]:
    """Active clinical staff of a program (its own and organization-wide members)."""
    ids = Membership.objects.filter(
        Q(program=program) | Q(program__isnull=True, organization_id=program.organization_id),
        is_active=True,
        role__in=CLINICAL_ROLES,
        user__is_active=True,
    ).values("user_id")
    return list(User.objects.filter(id__in=ids).order_by("display_name", "username"))


def credentials_of(user_ids, organization_id: int, on: dt.date) -> dict[int, set[str]]:
    """Licence types each user holds, unexpired on `on`, in the organization."""
    out: dict[int, set[str]] = {uid: set() for uid in user_ids}
    rows = StaffCredential.objects.filter(
        user_id__in=list(user_ids), organization_id=organization_id, expires_on__gte=on
    ).values_list("user_id", "license_type")
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
