"""Enrolment of a second factor. Trust does not start at first use: setting up
(or replacing) an authenticator needs a one-time code that an administrator
issued (`enrolment_code_issue`, or `openiop enrolment-code` on the server for
the first administrator)."""

import datetime as dt
import hashlib
import secrets

from django.db import transaction
from django.utils import timezone

from openiop.accounts.models import EnrolmentCode, User
from openiop.accounts.services import require_staff_manager
from openiop.audit.models import Action, Outcome
from openiop.audit.services import audit_record
from openiop.core.errors import ApplicationError

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L
DEFAULT_HOURS = 72


def _hash(raw: str) -> str:
    normal = "".join(ch for ch in raw.upper() if ch.isalnum())
    return hashlib.sha256(normal.encode()).hexdigest()


def _new_code() -> str:
    chars = "".join(secrets.choice(ALPHABET) for _ in range(12))
    return "-".join(chars[i : i + 4] for i in range(0, 12, 4))


def enrolment_code_issue(
    *, actor, user: User, hours: int = DEFAULT_HOURS
) -> tuple[EnrolmentCode, str]:
    """A new code for `user` (earlier unused codes stop working). `actor` None is
    the server's own command line, for the first administrator."""
    if actor is not None:
        require_staff_manager(actor, user)
    if not 1 <= hours <= 24 * 14:
        raise ApplicationError.for_field("hours", "A code lasts between 1 hour and 14 days.")
    raw = _new_code()
    now = timezone.now()
    with transaction.atomic():
        EnrolmentCode.objects.filter(user=user, used_at__isnull=True, expires_at__gt=now).update(
            expires_at=now, updated_at=now
        )
        code = EnrolmentCode.objects.create(
            user=user,
            code_hash=_hash(raw),
            expires_at=now + dt.timedelta(hours=hours),
            created_by=actor,
        )
        audit_record(
            actor=actor,
            actor_name=None if actor is not None else "server command line",
            action=Action.CREATE,
            event="2fa.enrolment_code",
            obj=user,
            subject_user=user,
        )
    return code, raw


def enrolment_code_redeem(*, user: User, raw: str) -> bool:
    """Use the code once (a conditional update: two tabs cannot both use it)."""
    now = timezone.now()
    with transaction.atomic():
        used = EnrolmentCode.objects.filter(
            user=user, code_hash=_hash(raw or ""), used_at__isnull=True, expires_at__gt=now
        ).update(used_at=now, updated_at=now)
        audit_record(
            actor=user,
            action=Action.LOGIN,
            event="2fa.enrolment_code_used",
            outcome=Outcome.SUCCESS if used else Outcome.FAILURE,
        )
    return bool(used)
