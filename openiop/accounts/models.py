"""Users, their roles in organizations and programs, credentials and API tokens."""

import datetime as dt
import uuid

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils import timezone

from openiop.access.querysets import StaffQuerySet
from openiop.accounts.roles import Role
from openiop.core.models import BaseModel

__all__ = [
    "Role",
    "User",
    "Membership",
    "StaffCredential",
    "ApiToken",
    "LicenseType",
    "EnrolmentCode",
]


class StaffUserManager(UserManager.from_queryset(StaffQuerySet)):
    use_in_migrations = True


class User(AbstractUser):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    display_name = models.CharField(max_length=150, blank=True)
    failed_login_count = models.PositiveIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)
    show_name_in_directory = models.BooleanField(
        default=False, help_text="Opt in to be named on the public program finder."
    )

    objects = StaffUserManager()

    def __str__(self) -> str:
        return self.get_display_name()

    def get_display_name(self) -> str:
        return self.display_name or self.get_full_name() or self.username

    @property
    def is_locked(self) -> bool:
        return bool(self.locked_until and self.locked_until > timezone.now())


class Membership(BaseModel):
    """A staff role in an organization; `program` empty means every program of it."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="memberships"
    )
    program = models.ForeignKey(
        "organizations.Program",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    role = models.CharField(max_length=32, choices=Role.choices)
    is_active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organization", "program", "role"], name="uniq_membership"
            )
        ]

    def __str__(self) -> str:
        where = self.program.name if self.program_id else "all programs"
        return f"{self.user} - {self.get_role_display()} ({where})"


class LicenseType(models.TextChoices):
    MD = "MD", "MD (physician)"
    DO = "DO", "DO (physician)"
    PMHNP = "PMHNP", "Psychiatric nurse practitioner"
    RN = "RN", "Registered nurse"
    PHD = "PhD/PsyD", "Psychologist"
    LCSW = "LCSW", "Licensed clinical social worker"
    LPC = "LPC", "Licensed professional counselor"
    LMFT = "LMFT", "Licensed marriage and family therapist"
    LADC = "LADC", "Licensed alcohol and drug counselor"
    CADC = "CADC", "Certified alcohol and drug counselor"
    CPRS = "CPRS", "Certified peer recovery specialist"
    OTHER = "other", "Other"


class StaffCredentialQuerySet(models.QuerySet):
    def valid_at(self, site, on: dt.date):
        """Licences that let their holder practise at `site` on `on`: issued by
        the site's state, for its organization, not expired. The one rule for
        who may lead what, the finder's team and a signature's credentials."""
        return self.filter(organization_id=site.organization_id, state=site.state).filter(
            expires_on__gte=on
        )


class StaffCredential(BaseModel):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="credentials")
    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="credentials"
    )
    license_type = models.CharField(max_length=16, choices=LicenseType.choices)
    number = models.CharField(max_length=40)
    state = models.CharField(max_length=2)
    expires_on = models.DateField()

    objects = StaffCredentialQuerySet.as_manager()

    class Meta:
        ordering = ["expires_on"]

    def __str__(self) -> str:
        return f"{self.license_type} {self.state} {self.number}"

    def status(self, today: dt.date | None = None) -> str:
        today = today or timezone.localdate()
        if self.expires_on < today:
            return "expired"
        if self.expires_on <= today + dt.timedelta(days=settings.CREDENTIAL_EXPIRY_WARNING_DAYS):
            return "expiring"
        return "current"


class ApiToken(BaseModel):
    """A personal API token. Only its SHA-256 is stored; it acts as its owner."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=80)
    prefix = models.CharField(max_length=12, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    read_only = models.BooleanField(default=False)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}...)"

    @property
    def is_usable(self) -> bool:
        now = timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


class EnrolmentCode(BaseModel):
    """A one-time code an administrator gives a person so they can set up (or
    replace) their second factor: a stolen password alone cannot enrol a device.
    Only the SHA-256 is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="enrolment_codes")
    code_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"enrolment code for {self.user}"
