"""Recipients outside the program, and the tokens their systems read the FHIR API with."""

from django.db import transaction
from django.utils import timezone

from openiop.access.services import require
from openiop.accounts.models import User
from openiop.audit.models import Action
from openiop.audit.services import audit_record
from openiop.consent.models import ExternalRecipient, RecipientKind
from openiop.core.errors import ApplicationError


def recipient_create(*, actor, organization, name: str, kind: str, contact: str = ""):
    require(actor, "recipient.manage", action=Action.CREATE)
    from openiop.access.scope import scope_for

    if organization.pk not in scope_for(actor).organization_ids:
        require(actor, "recipient.manage", organization_id=organization.pk, action=Action.CREATE)
    name = (name or "").strip()
    if not name:
        raise ApplicationError.for_field("name", "Enter the recipient's name.")
    if kind not in RecipientKind.values:
        raise ApplicationError.for_field("kind", "Choose the kind of recipient.")
    if ExternalRecipient.objects.filter(organization=organization, name__iexact=name).exists():
        raise ApplicationError.for_field("name", "A recipient of that name is already recorded.")
    with transaction.atomic():
        recipient = ExternalRecipient.objects.create(
            organization=organization,
            name=name[:200],
            kind=kind,
            contact=(contact or "").strip()[:300],
            created_by=actor,
        )
        audit_record(actor=actor, action=Action.CREATE, event="recipient.create", obj=recipient)
    return recipient


def _require_recipient_manager(actor, recipient) -> None:
    if not ExternalRecipient.objects.visible_to(actor, "manage").filter(pk=recipient.pk).exists():
        require(actor, "recipient.manage", organization_id=-1, action=Action.UPDATE)


def recipient_issue_token(*, actor, recipient: ExternalRecipient, days: int = 365):
    """A read-only API token for the recipient's system. The raw value is shown once."""
    from openiop.accounts.services import api_token_create

    _require_recipient_manager(actor, recipient)
    if not recipient.is_active:
        raise ApplicationError("This recipient is deactivated.")
    with transaction.atomic():
        if recipient.client_user_id is None:
            user = User(
                username=f"ext-{recipient.uuid.hex[:12]}",
                display_name=f"{recipient.name} (external system)"[:150],
                is_active=True,
            )
            user.set_unusable_password()
            user.save()
            recipient.client_user = user
            recipient.save(update_fields=["client_user", "updated_at"])
        token, raw = api_token_create(
            actor=recipient.client_user,
            name=f"FHIR client of {recipient.name}"[:80],
            read_only=True,
            days=days,
        )
        audit_record(
            actor=actor,
            action=Action.CREATE,
            event="recipient.token_issue",
            obj=recipient,
            detail={"token_prefix": token.prefix, "days": days},
        )
    return token, raw


def recipient_revoke_tokens(*, actor, recipient: ExternalRecipient) -> int:
    from openiop.accounts.models import ApiToken

    _require_recipient_manager(actor, recipient)
    if recipient.client_user_id is None:
        return 0
    with transaction.atomic():
        n = ApiToken.objects.filter(user_id=recipient.client_user_id, revoked_at=None).update(
            revoked_at=timezone.now()
        )
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            event="recipient.token_revoke",
            obj=recipient,
            detail={"tokens": n},
        )
    return n


def recipient_deactivate(*, actor, recipient: ExternalRecipient) -> ExternalRecipient:
    """No more disclosures to this party, whatever its consents say; its tokens
    are revoked. The accounting of what it already received stays."""
    from openiop.accounts.models import ApiToken

    _require_recipient_manager(actor, recipient)
    with transaction.atomic():
        changed = ExternalRecipient.objects.filter(pk=recipient.pk, is_active=True).update(
            is_active=False, updated_at=timezone.now()
        )
        if not changed:
            raise ApplicationError("This recipient is already deactivated.")
        tokens = 0
        if recipient.client_user_id:
            tokens = ApiToken.objects.filter(
                user_id=recipient.client_user_id, revoked_at=None
            ).update(revoked_at=timezone.now())
        recipient.is_active = False
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            event="recipient.deactivate",
            obj=recipient,
            changed_fields=["is_active"],
            detail={"tokens": tokens},
        )
    return recipient


def recipient_of(user) -> ExternalRecipient | None:
    """The external recipient an account stands for, if it is one."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    cached = getattr(user, "_openiop_recipient", False)
    if cached is False:
        cached = (
            ExternalRecipient.objects.select_related("organization")
            .filter(client_user=user)
            .first()
        )
        user._openiop_recipient = cached
    return cached
