"""Sign-in policy (lockout, audit), staff accounts, credentials and API tokens."""

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from openiop.accounts.models import ApiToken, Membership, StaffCredential, User
from openiop.audit.models import Action, Outcome
from openiop.audit.services import audit_record
from openiop.core.errors import ApplicationError, PermissionDenied

TOKEN_PREFIX = "oiop_"


class LoginRefused(ApplicationError):
    status = 401
    code = "login_refused"


GENERIC_LOGIN_ERROR = (
    "That username and password do not match an active account. After repeated failed "
    "sign-ins an account is locked for a while; an administrator can unlock it."
)


def _reserve_guess(user: User) -> bool:
    """Take one of the account's allowed guesses, atomically, before the password
    is looked at: parallel attempts cannot evaluate more guesses than the policy."""
    now = timezone.now()
    return bool(
        User.objects.filter(pk=user.pk, failed_login_count__lt=settings.LOGIN_MAX_FAILURES)
        .filter(Q(locked_until__isnull=True) | Q(locked_until__lte=now))
        .update(failed_login_count=F("failed_login_count") + 1, locked_until=None)
    )


def _lock_if_spent(user: User) -> bool:
    """Lock the account once its guesses are spent (one conditional update)."""
    until = timezone.now() + dt.timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)
    return bool(
        User.objects.filter(pk=user.pk, failed_login_count__gte=settings.LOGIN_MAX_FAILURES).update(
            locked_until=until, failed_login_count=0
        )
    )


def _refused(username: str, user, event: str, outcome: str, **detail) -> LoginRefused:
    """Audit a refused sign-in; the one answer every refusal gets."""
    audit_record(
        actor=None,
        actor_name=username,
        subject_user=user,
        action=Action.LOGIN,
        event=event,
        outcome=outcome,
        detail=detail or None,
    )
    return LoginRefused(GENERIC_LOGIN_ERROR)


def login_attempt(*, request, username: str, password: str) -> User:
    """The one place a password is checked (the authentication backend accepts
    none). Lockout, audit and timing: an unknown user, a wrong password and a
    locked account cost one password hash each and get the same answer."""
    username = (username or "").strip()[:150]
    user = User.objects.filter(username__iexact=username).first()
    if user is None or not user.is_active:
        make_password(password)  # the same work as a real check
        raise _refused(username, user, "login.failed", Outcome.FAILURE, locked=False)
    if not _reserve_guess(user):
        make_password(password)
        raise _refused(username, user, "login.locked", Outcome.DENIED)
    if not user.check_password(password):
        with transaction.atomic():
            locked = _lock_if_spent(user)
            refusal = _refused(username, user, "login.failed", Outcome.FAILURE, locked=locked)
        raise refusal
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(failed_login_count=0, locked_until=None)
        user.failed_login_count, user.locked_until = 0, None
        audit_record(actor=user, action=Action.LOGIN, event="login.password")
    return user


def require_staff_manager(actor, user: User) -> None:
    """staff.manage in an organization where `user` holds a role."""
    from openiop.access.scope import grant
    from openiop.access.services import deny

    orgs = set(user.memberships.values_list("organization_id", flat=True))
    if grant(actor, "staff.manage").organization_ids.isdisjoint(orgs):
        deny(actor, "staff.manage", action=Action.UPDATE)


def user_unlock(*, actor, user: User) -> None:
    require_staff_manager(actor, user)
    with transaction.atomic():
        user.failed_login_count = 0
        user.locked_until = None
        user.save(update_fields=["failed_login_count", "locked_until"])
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            event="user.unlock",
            obj=user,
            changed_fields=["locked_until"],
        )


def _hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def api_token_create(
    *, actor: User, name: str, read_only: bool = False, days: int | None = 90
) -> tuple[ApiToken, str]:
    """Make a personal token; the raw value is returned once and never stored."""
    name = (name or "").strip()
    if not name:
        raise ApplicationError.for_field("name", "Give the token a name you will recognise.")
    if days is not None and not 1 <= days <= 365:
        raise ApplicationError.for_field("days", "A token lasts between 1 and 365 days.")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=actor,
            created_by=actor,
            name=name[:80],
            prefix=raw[: len(TOKEN_PREFIX) + 6],
            key_hash=_hash_token(raw),
            read_only=read_only,
            expires_at=timezone.now() + dt.timedelta(days=days) if days else None,
        )
        audit_record(actor=actor, action=Action.CREATE, event="api_token.create", obj=token)
    return token, raw


def api_token_revoke(*, actor: User, token: ApiToken) -> None:
    if token.user_id != actor.pk:
        raise PermissionDenied("You can only revoke your own tokens.")
    if token.revoked_at:
        return
    with transaction.atomic():
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at", "updated_at"])
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            event="api_token.revoke",
            obj=token,
            changed_fields=["revoked_at"],
        )


def api_token_authenticate(raw: str) -> tuple[User, ApiToken] | None:
    if not raw or not raw.startswith(TOKEN_PREFIX):
        return None
    token = ApiToken.objects.select_related("user").filter(key_hash=_hash_token(raw)).first()
    if token is None or not token.is_usable or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=5):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    from openiop.core.clock import activate_zone_of

    # the request runs in the token owner's site zone, as pages do (the REST
    # API and the FHIR API both come through here; the middleware resets it)
    activate_zone_of(token.user)
    return token.user, token


def staff_create(
    *,
    actor,
    organization,
    username: str,
    display_name: str,
    email: str,
    password: str,
    roles: list[tuple[str, object]],
) -> User:
    """Create a staff account with its roles ((role, program or None) pairs)."""
    from openiop.access.services import require

    require(actor, "staff.manage", organization_id=organization.pk, action=Action.CREATE)
    if User.objects.filter(username__iexact=username).exists():
        raise ApplicationError.for_field("username", "That username is taken.")
    with transaction.atomic():
        user = User(username=username, display_name=display_name, email=email)
        user.set_password(password)
        user.save()
        for role, program in roles:
            Membership.objects.create(
                user=user,
                organization=organization,
                program=program,
                role=role,
                created_by=actor,
            )
        audit_record(
            actor=actor,
            action=Action.CREATE,
            event="staff.create",
            obj=user,
            organization_id=organization.pk,
        )
    return user


def credential_add(
    *,
    actor,
    user: User,
    organization,
    license_type: str,
    number: str,
    state: str,
    expires_on: dt.date,
) -> StaffCredential:
    from openiop.access.services import require

    if actor.pk != user.pk:
        require(actor, "staff.manage", organization_id=organization.pk, action=Action.CREATE)
    state = (state or "").strip().upper()
    if len(state) != 2 or not state.isalpha():
        raise ApplicationError.for_field("state", "Use the two-letter state code, e.g. OR.")
    with transaction.atomic():
        cred = StaffCredential.objects.create(
            user=user,
            organization=organization,
            license_type=license_type,
            number=number.strip(),
            state=state,
            expires_on=expires_on,
            created_by=actor,
        )
        audit_record(actor=actor, action=Action.CREATE, event="credential.create", obj=cred)
    return cred
