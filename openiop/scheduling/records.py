"""Attendance and session notes.

A group note is written once for the group (topic, interventions, number of
participants) with a short individual part per attendee, linked to that
attendee's plan objectives. Individual and family sessions get a DAP note
(data, assessment, plan). Signed notes are immutable; later words are addenda.
"""

from django.conf import settings
from django.db import models

from openiop.core.models import BaseModel
from openiop.scheduling.querysets import AttendanceQuerySet, NoteEntryQuerySet, NoteQuerySet

__all__ = [
    "AttendanceStatus",
    "ATTENDED",
    "Attendance",
    "NoteKind",
    "NoteStatus",
    "Note",
    "NoteEntry",
    "NoteAddendum",
]


class AttendanceStatus(models.TextChoices):
    PRESENT = "present", "Present"
    LATE = "late", "Late"
    LEFT_EARLY = "left_early", "Left early"
    ABSENT = "absent", "Absent"
    EXCUSED = "excused", "Excused"


ATTENDED = (AttendanceStatus.PRESENT, AttendanceStatus.LATE, AttendanceStatus.LEFT_EARLY)


class Attendance(BaseModel):
    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="+"
    )
    session = models.ForeignKey(
        "scheduling.Session", on_delete=models.CASCADE, related_name="attendance"
    )
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    episode = models.ForeignKey("care.Episode", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=12, choices=AttendanceStatus.choices)
    minutes = models.PositiveSmallIntegerField(default=0)
    note = models.CharField(max_length=200, blank=True)
    # copied from the session so that ledgers group by week without a join
    date = models.DateField()
    week = models.DateField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    objects = AttendanceQuerySet.as_manager()

    class Meta:
        ordering = ["date", "id"]
        constraints = [
            models.UniqueConstraint(fields=["session", "patient"], name="uniq_attendance")
        ]
        indexes = [
            models.Index(fields=["patient", "date"]),
            models.Index(fields=["episode", "week"]),
        ]

    @property
    def attended(self) -> bool:
        return self.status in ATTENDED


class NoteKind(models.TextChoices):
    GROUP = "group", "Group note"
    DAP = "dap", "DAP note"


class NoteStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SIGNED = "signed", "Signed"


class Note(BaseModel):
    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="+"
    )
    program = models.ForeignKey("organizations.Program", on_delete=models.CASCADE, related_name="+")
    session = models.ForeignKey(
        "scheduling.Session", on_delete=models.PROTECT, related_name="notes"
    )
    kind = models.CharField(max_length=6, choices=NoteKind.choices)
    status = models.CharField(max_length=6, choices=NoteStatus.choices, default=NoteStatus.DRAFT)
    # group part
    topic = models.CharField(max_length=200, blank=True)
    interventions = models.TextField(blank=True)
    group_part = models.TextField(blank=True)
    participants = models.PositiveSmallIntegerField(default=0)
    # DAP (individual and family sessions)
    data = models.TextField(blank=True)
    assessment = models.TextField(blank=True)
    plan = models.TextField(blank=True)
    revision = models.PositiveIntegerField(default=1)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    signed_at = models.DateTimeField(null=True, blank=True)

    objects = NoteQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["session"], name="one_note_per_session"),
        ]

    @property
    def is_signed(self) -> bool:
        return self.status == NoteStatus.SIGNED


class NoteEntry(BaseModel):
    """The individual part of a note for one attendee, and the objectives it addressed."""

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="+"
    )
    note = models.ForeignKey(Note, on_delete=models.CASCADE, related_name="entries")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    text = models.TextField(blank=True)
    objectives = models.ManyToManyField("care.PlanObjective", blank=True, related_name="+")
    objective_keys = models.JSONField(default=list, blank=True)
    # at signing: the likeness (%) to the most alike other attendee's part, when at
    # or above the near-identical threshold and confirmed by the signer
    similar_percent = models.PositiveSmallIntegerField(null=True, blank=True)

    objects = NoteEntryQuerySet.as_manager()

    class Meta:
        ordering = ["note", "id"]
        constraints = [
            models.UniqueConstraint(fields=["note", "patient"], name="uniq_note_entry"),
        ]


class NoteAddendum(BaseModel):
    note = models.ForeignKey(Note, on_delete=models.CASCADE, related_name="addenda")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField()

    class Meta:
        ordering = ["created_at", "id"]
