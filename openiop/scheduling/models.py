"""Session types, recurring and one-off sessions, rosters, availability,
solver runs and published weeks, calendar feeds.

Times: a session keeps its site-local wall-clock date and time (`date`,
`start_time`, `end_time`) and the site's zone; `starts_at` / `ends_at` are the
same instants in UTC, computed from them, so a recurring 18:00 group stays at
18:00 local in the week the clocks change. Attendance and notes live in
`records.py` (imported at the bottom).
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from openiop.core.models import BaseModel
from openiop.scheduling.querysets import (
    AvailabilityQuerySet,
    RosterQuerySet,
    SeriesQuerySet,
    SessionQuerySet,
    SessionTypeQuerySet,
    SolverRunQuerySet,
    StaffHoursQuerySet,
)

WEEKDAY_CHOICES = [
    (0, "Monday"),
    (1, "Tuesday"),
    (2, "Wednesday"),
    (3, "Thursday"),
    (4, "Friday"),
    (5, "Saturday"),
    (6, "Sunday"),
]
GROUP_HARD_MAX = 15


class SessionModality(models.TextChoices):
    """What the optimizer needs to know: one patient or a group."""

    GROUP = "group", "Group"
    INDIVIDUAL = "individual", "Individual"
    FAMILY = "family", "Family"
    MEDICATION = "medication", "Medication management"
    TESTING = "testing", "Drug and alcohol testing"


class SessionType(BaseModel):
    """A kind of session, as data a program can change (defaults from the solver's catalog).

    `plan_modality` ties it to the treatment plan's intervention modalities
    (care.plans Modality), so a plan's "3 groups a week" becomes needs.
    """

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="+"
    )
    code = models.SlugField(max_length=40)
    name = models.CharField(max_length=100)
    modality = models.CharField(max_length=12, choices=SessionModality.choices)
    plan_modality = models.CharField(max_length=16, blank=True)
    duration_min = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(5), MaxValueValidator(24 * 60)]
    )
    min_size = models.PositiveSmallIntegerField(default=1)
    max_size = models.PositiveSmallIntegerField(default=1)
    credentials = models.JSONField(
        default=list, blank=True, help_text="Licence types that may lead it; empty: any."
    )
    telehealth_ok = models.BooleanField(default=True)
    extra_seats = models.PositiveSmallIntegerField(default=0)
    curriculum = models.JSONField(default=list, blank=True, help_text="Topics, in order.")
    is_active = models.BooleanField(default=True)

    objects = SessionTypeQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "code"], name="uniq_session_type"),
            models.CheckConstraint(
                condition=models.Q(min_size__gte=1)
                & models.Q(min_size__lte=models.F("max_size"))
                & models.Q(max_size__lte=GROUP_HARD_MAX),
                name="session_type_sizes",
            ),
            models.CheckConstraint(
                condition=models.Q(duration_min__gte=5) & models.Q(duration_min__lte=1440),
                name="session_type_duration",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_group(self) -> bool:
        return self.modality == SessionModality.GROUP

    @property
    def size_label(self) -> str:
        return f"{self.min_size}-{self.max_size}" if self.is_group else "1"


class RoomKind(models.TextChoices):
    GROUP = "group", "Group room"
    OFFICE = "office", "Office"


class RoomProfile(BaseModel):
    """What scheduling needs of a room beyond organizations.Room: its kind."""

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="+"
    )
    room = models.OneToOneField(
        "organizations.Room", on_delete=models.CASCADE, related_name="scheduling"
    )
    kind = models.CharField(max_length=8, choices=RoomKind.choices)


class RoomHours(BaseModel):
    """When a room is open; a room with no rows is open all week."""

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="+"
    )
    room = models.ForeignKey("organizations.Room", on_delete=models.CASCADE, related_name="+")
    weekday = models.PositiveSmallIntegerField(choices=WEEKDAY_CHOICES)
    start_time = models.TimeField()
    end_time = models.TimeField()

    objects = StaffHoursQuerySet.as_manager()

    class Meta:
        ordering = ["room", "weekday", "start_time"]


class RoomClosure(BaseModel):
    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="+"
    )
    room = models.ForeignKey("organizations.Room", on_delete=models.CASCADE, related_name="+")
    starts_on = models.DateField()
    ends_on = models.DateField()
    reason = models.CharField(max_length=200, blank=True)

    objects = StaffHoursQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")), name="room_closure_order"
            )
        ]


class StaffHours(BaseModel):
    """A clinician's weekly working hours (site-local), one window a row."""

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="working_hours"
    )
    site = models.ForeignKey(
        "organizations.Site", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    weekday = models.PositiveSmallIntegerField(choices=WEEKDAY_CHOICES)
    start_time = models.TimeField()
    end_time = models.TimeField()

    objects = StaffHoursQuerySet.as_manager()

    class Meta:
        ordering = ["user", "weekday", "start_time"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_time__gt=models.F("start_time")), name="staff_hours_order"
            )
        ]


class LeaveKind(models.TextChoices):
    SICK = "sick", "Sick"
    VACATION = "vacation", "Vacation"
    TRAINING = "training", "Training"
    OTHER = "other", "Other"


class StaffLeave(BaseModel):
    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="+"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    starts_on = models.DateField()
    ends_on = models.DateField()
    kind = models.CharField(max_length=10, choices=LeaveKind.choices, default=LeaveKind.OTHER)

    objects = StaffHoursQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")), name="staff_leave_order"
            )
        ]


class TimeOfDay(models.TextChoices):
    MORNING = "morning", "Morning"
    AFTERNOON = "afternoon", "Afternoon"
    EVENING = "evening", "Evening"


class PatientAvailability(BaseModel):
    """A weekly window when the patient can attend (around work, school, transport)."""

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="+"
    )
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.CASCADE, related_name="availability"
    )
    weekday = models.PositiveSmallIntegerField(choices=WEEKDAY_CHOICES)
    start_time = models.TimeField()
    end_time = models.TimeField()
    note = models.CharField(max_length=120, blank=True, help_text="e.g. after work, bus at 17:10")

    objects = AvailabilityQuerySet.as_manager()

    class Meta:
        ordering = ["patient", "weekday", "start_time"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_time__gt=models.F("start_time")),
                name="availability_order",
            )
        ]


class SchedulingPreference(BaseModel):
    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="+"
    )
    patient = models.OneToOneField(
        "patients.Patient", on_delete=models.CASCADE, related_name="scheduling_preference"
    )
    time_of_day = models.CharField(max_length=10, choices=TimeOfDay.choices, blank=True)
    telehealth_ok = models.BooleanField(default=False)

    objects = AvailabilityQuerySet.as_manager()


class SessionSeries(BaseModel):
    """A recurring session of a track: every week on `weekday` at `start_time`."""

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="+"
    )
    program = models.ForeignKey(
        "organizations.Program", on_delete=models.CASCADE, related_name="session_series"
    )
    track = models.ForeignKey(
        "organizations.Track", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    session_type = models.ForeignKey(SessionType, on_delete=models.PROTECT, related_name="+")
    weekday = models.PositiveSmallIntegerField(choices=WEEKDAY_CHOICES)
    start_time = models.TimeField()
    room = models.ForeignKey(
        "organizations.Room", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    facilitator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    telehealth_url = models.URLField(blank=True)
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True)
    is_active = models.BooleanField(default=True)

    objects = SeriesQuerySet.as_manager()

    class Meta:
        ordering = ["program", "weekday", "start_time"]

    def __str__(self) -> str:
        return f"{self.session_type.name}, {self.get_weekday_display()} {self.start_time:%H:%M}"


class SessionStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    CANCELLED = "cancelled", "Cancelled"


class SessionSource(models.TextChoices):
    MANUAL = "manual", "Entered by staff"
    SOLVER = "solver", "Published from the optimizer"
    REPAIR = "repair", "Changed by a repair"


class Session(BaseModel):
    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="+"
    )
    program = models.ForeignKey(
        "organizations.Program", on_delete=models.CASCADE, related_name="sessions"
    )
    track = models.ForeignKey(
        "organizations.Track", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    series = models.ForeignKey(
        SessionSeries, null=True, blank=True, on_delete=models.SET_NULL, related_name="sessions"
    )
    session_type = models.ForeignKey(SessionType, on_delete=models.PROTECT, related_name="+")
    # site-local wall clock, and its zone; starts_at/ends_at are the UTC instants
    date = models.DateField()
    start_time = models.TimeField()
    end_time = models.TimeField()
    time_zone = models.CharField(max_length=64)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    week = models.DateField(help_text="Monday of the session's week (local).")
    room = models.ForeignKey(
        "organizations.Room", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    telehealth_url = models.URLField(blank=True)
    facilitator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="facilitated_sessions",
    )
    topic = models.CharField(max_length=120, blank=True)
    status = models.CharField(
        max_length=10, choices=SessionStatus.choices, default=SessionStatus.SCHEDULED
    )
    source = models.CharField(
        max_length=8, choices=SessionSource.choices, default=SessionSource.MANUAL
    )
    published_week = models.ForeignKey(
        "scheduling.PublishedWeek",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sessions",
    )

    objects = SessionQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [
            models.Index(fields=["program", "week"]),
            models.Index(fields=["facilitator", "starts_at"]),
            models.Index(fields=["organization", "starts_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.session_type.name} {self.date:%Y-%m-%d} {self.start_time:%H:%M}"

    @property
    def minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)

    @property
    def is_telehealth(self) -> bool:
        return bool(self.telehealth_url) and self.room_id is None

    @property
    def time_label(self) -> str:
        return f"{self.start_time:%H:%M}-{self.end_time:%H:%M}"


class RosterStatus(models.TextChoices):
    ENROLLED = "enrolled", "Enrolled"
    REMOVED = "removed", "Removed"


class RosterEntry(BaseModel):
    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="+"
    )
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="roster")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    episode = models.ForeignKey("care.Episode", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        max_length=10, choices=RosterStatus.choices, default=RosterStatus.ENROLLED
    )
    # a removed place is kept as history, with why and when
    removed_reason = models.CharField(max_length=200, blank=True)
    removed_at = models.DateTimeField(null=True, blank=True)

    objects = RosterQuerySet.as_manager()

    class Meta:
        ordering = ["session", "id"]
        constraints = [
            models.UniqueConstraint(fields=["session", "patient"], name="uniq_roster_entry")
        ]
        indexes = [models.Index(fields=["patient", "status"])]


class RunKind(models.TextChoices):
    PLAN = "plan", "Plan a week"
    REPAIR = "repair", "Repair a published week"


class RunStatus(models.TextChoices):
    QUEUED = "queued", "Waiting for the worker"
    RUNNING = "running", "Solving"
    DONE = "done", "Ready for review"
    FAILED = "failed", "Failed"
    PUBLISHED = "published", "Published"
    APPLIED = "applied", "Applied"
    DISCARDED = "discarded", "Discarded"


class SolverRun(BaseModel):
    """One optimizer run for a program's week, with its progress and its proposal.

    `result` holds the proposed week in database ids (see services/runs.py),
    `unmet` the needs it could not meet with their reasons.
    """

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="+"
    )
    program = models.ForeignKey(
        "organizations.Program", on_delete=models.CASCADE, related_name="solver_runs"
    )
    week = models.DateField()
    kind = models.CharField(max_length=8, choices=RunKind.choices, default=RunKind.PLAN)
    change = models.JSONField(default=dict, blank=True, help_text="What a repair answers.")
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED)
    task_id = models.CharField(max_length=64, blank=True)
    time_limit_s = models.PositiveSmallIntegerField(default=10)
    percent = models.PositiveSmallIntegerField(default=0)
    stage = models.CharField(max_length=20, blank=True)
    objective = models.IntegerField(null=True, blank=True)
    bound = models.IntegerField(null=True, blank=True)
    gap = models.FloatField(null=True, blank=True)
    unmet_minutes = models.IntegerField(null=True, blank=True)
    below_minimum_minutes = models.IntegerField(null=True, blank=True)
    first_feasible_s = models.FloatField(null=True, blank=True)
    wall_s = models.FloatField(null=True, blank=True)
    solver_status = models.CharField(max_length=20, blank=True)
    timeline = models.JSONField(default=list, blank=True)
    result = models.JSONField(default=dict, blank=True)
    unmet = models.JSONField(default=list, blank=True)
    patients = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=300, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = SolverRunQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["program", "week"])]

    @property
    def is_finished(self) -> bool:
        return self.status not in (RunStatus.QUEUED, RunStatus.RUNNING)

    @property
    def live_percent(self) -> int:
        """While solving, the elapsed share of the time limit (the solver stops at it)."""
        if self.status == RunStatus.RUNNING and self.started_at is not None:
            from django.utils import timezone

            elapsed = (timezone.now() - self.started_at).total_seconds()
            return max(self.percent, min(99, int(elapsed / max(1, self.time_limit_s) * 100)))
        return self.percent

    @property
    def gap_percent(self) -> float | None:
        return None if self.gap is None else round(self.gap * 100, 1)


class PublishedWeek(BaseModel):
    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="+"
    )
    program = models.ForeignKey(
        "organizations.Program", on_delete=models.CASCADE, related_name="published_weeks"
    )
    week = models.DateField()
    run = models.ForeignKey(SolverRun, on_delete=models.PROTECT, related_name="+")
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField()

    objects = SolverRunQuerySet.as_manager()

    class Meta:
        ordering = ["-week"]
        constraints = [
            models.UniqueConstraint(fields=["program", "week"], name="uniq_published_week")
        ]


class CalendarFeed(BaseModel):
    """A secret, revocable iCalendar URL for one patient or one staff member.

    Only the SHA-256 of the token is stored; the URL is shown once.
    """

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="+"
    )
    patient = models.ForeignKey(
        "patients.Patient", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    label = models.CharField(max_length=80)
    prefix = models.CharField(max_length=12)
    token_hash = models.CharField(max_length=64, unique=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(patient__isnull=True, user__isnull=False)
                | models.Q(patient__isnull=False, user__isnull=True),
                name="feed_for_one_person",
            )
        ]


from openiop.scheduling.records import *  # noqa: E402,F401,F403
