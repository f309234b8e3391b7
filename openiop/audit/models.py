"""Append-only, hash-chained audit trail (HIPAA 45 CFR 164.312(b) audit controls).

One row per event: who, when, from where, what was done to which object of
which patient, and whether it succeeded. Never PHI values: field *names* only.
Each row's hash covers its content and the previous row's hash, so a row
changed or removed directly in the database breaks the chain
(`openiop audit verify`).
"""

import hashlib
import json

from django.conf import settings
from django.db import models

from openiop.access.querysets import AuditQuerySet


class Action(models.TextChoices):
    CREATE = "create", "Create"
    READ = "read", "Read"
    UPDATE = "update", "Update"
    DELETE = "delete", "Delete"
    EXECUTE = "execute", "Execute"
    DISCLOSE = "disclose", "Disclose"
    LOGIN = "login", "Log in"
    LOGOUT = "logout", "Log out"


class Outcome(models.TextChoices):
    SUCCESS = "success", "Success"
    FAILURE = "failure", "Failure"
    DENIED = "denied", "Denied"


class AuditEventQuerySet(AuditQuerySet):
    def update(self, **kwargs):
        raise TypeError("Audit events are append-only.")

    def delete(self):
        raise TypeError("Audit events are append-only.")


class AuditEvent(models.Model):
    occurred_at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
    )
    actor_name = models.CharField(max_length=150, blank=True)
    organization_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    request_id = models.CharField(max_length=32, blank=True)
    client_ip = models.GenericIPAddressField(null=True, blank=True)
    via = models.CharField(max_length=8, default="web")
    action = models.CharField(max_length=12, choices=Action.choices)
    event = models.CharField(max_length=60, help_text="what happened, e.g. patient.search")
    outcome = models.CharField(max_length=8, choices=Outcome.choices, default=Outcome.SUCCESS)
    patient = models.ForeignKey(
        "patients.Patient",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
    )
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    purpose = models.CharField(max_length=30, blank=True)
    changed_fields = models.JSONField(default=list, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["actor", "occurred_at"])]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M:%S} {self.actor_name} {self.event}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("Audit events are append-only.")

    def canonical(self) -> str:
        """The row's content, in a fixed form, as its hash covers it."""
        return json.dumps(
            [
                self.occurred_at.isoformat(),
                self.actor_id,
                self.actor_name,
                self.organization_id,
                self.request_id,
                self.client_ip,
                self.via,
                self.action,
                self.event,
                self.outcome,
                self.patient_id,
                self.object_type,
                self.object_id,
                self.purpose,
                list(self.changed_fields),
                self.detail,
            ],
            sort_keys=True,
            separators=(",", ":"),
            default=str,
        )

    def compute_hash(self) -> str:
        return hashlib.sha256((self.prev_hash + self.canonical()).encode()).hexdigest()


class AuditSubject(models.Model):
    """A patient shown by a list or export event (one event, many patients)."""

    event = models.ForeignKey(AuditEvent, on_delete=models.PROTECT, related_name="subjects")
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="+", db_constraint=False
    )

    class Meta:
        indexes = [models.Index(fields=["patient", "event"])]

    def __str__(self) -> str:
        return f"event {self.event_id} shows patient {self.patient_id}"


class AuditHead(models.Model):
    """The chain's newest link, kept apart from the chain and moved in the same
    transaction as every append: removing events at the tail, or emptying the
    table, leaves a head that no longer matches (`audit_verify`). One row.
    `openiop audit head` prints it for the backup manifest, so a copy lives
    outside the database too."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_id = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)
    count = models.BigIntegerField(default=0)
    recreated_at = models.DateTimeField(
        null=True, blank=True, help_text="Set when the head was found missing and made again."
    )

    def __str__(self) -> str:
        return f"audit chain head: {self.count} events, last {self.last_id}"
