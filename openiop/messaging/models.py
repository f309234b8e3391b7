"""The outbox: every message that leaves the application (email now; text
messages and reminders later) is a row first, written in the transaction of
the change that calls for it, then delivered by the worker.

`key` is unique: whatever asks twice for the same message (a retried request,
an escalation sweep run twice, a worker restarted mid-delivery) gets the row
that is already there, so nothing is sent twice. Bodies carry no PHI: who the
patient is stays behind the link, in the application.
"""

from django.conf import settings
from django.db import models

from openiop.core.models import BaseModel


class Channel(models.TextChoices):
    EMAIL = "email", "Email"


class MessageStatus(models.TextChoices):
    QUEUED = "queued", "Waiting to be sent"
    SENDING = "sending", "Being sent"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed (no more attempts)"


class OutboxMessage(BaseModel):
    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.PROTECT, related_name="+"
    )
    key = models.CharField(max_length=120, unique=True)
    channel = models.CharField(max_length=8, choices=Channel.choices, default=Channel.EMAIL)
    to_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to_address = models.CharField(max_length=254)
    subject = models.CharField(max_length=150)
    body = models.TextField()
    # what the message is about, for the page that shows it (never PHI)
    topic = models.CharField(max_length=30)
    topic_id = models.CharField(max_length=64, db_index=True)
    status = models.CharField(
        max_length=8, choices=MessageStatus.choices, default=MessageStatus.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    not_before = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["status", "not_before"])]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} to {self.to_address} ({self.get_status_display()})"
