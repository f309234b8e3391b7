"""Organization, site, room, program and track."""

import datetime as dt
import zoneinfo
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from openiop.access.querysets import ProgramQuerySet, SiteQuerySet, TrackQuerySet
from openiop.core.models import BaseModel
from openiop.organizations.levels import LEVELS

TIME_ZONES = sorted(zoneinfo.available_timezones())
WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


class Organization(BaseModel):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=60, unique=True)
    requires_supervisor_signature = models.BooleanField(default=False)
    # the last step of a safety alert's escalation
    on_call_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Told when a safety alert is not acknowledged by the program's team.",
    )
    on_call_email = models.EmailField(
        blank=True, help_text="An on-call address (a pager's email, a shared inbox)."
    )

    def __str__(self) -> str:
        return self.name


class Site(BaseModel):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="sites")
    name = models.CharField(max_length=200)
    street = models.CharField(max_length=200)
    city = models.CharField(max_length=100)
    state = models.CharField(max_length=2)
    zip_code = models.CharField(max_length=10)
    time_zone = models.CharField(max_length=64)
    latitude = models.DecimalField(max_digits=9, decimal_places=6)
    longitude = models.DecimalField(max_digits=9, decimal_places=6)
    phone = models.CharField(max_length=30, blank=True)

    objects = SiteQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Room(BaseModel):
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="rooms")
    name = models.CharField(max_length=100)
    capacity = models.PositiveSmallIntegerField(validators=[MinValueValidator(1)])
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["site", "name"], name="uniq_room_name")]

    def __str__(self) -> str:
        return f"{self.site.name} / {self.name}"


class Population(models.TextChoices):
    ADULT = "adult", "Adults"
    ADOLESCENT = "adolescent", "Adolescents"


class Focus(models.TextChoices):
    SUBSTANCE_USE = "substance_use", "Substance use"
    MENTAL_HEALTH = "mental_health", "Mental health"
    CO_OCCURRING = "co_occurring", "Co-occurring (dual diagnosis)"


class Program(BaseModel):
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="programs"
    )
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="programs")
    name = models.CharField(max_length=200)
    population = models.CharField(max_length=16, choices=Population.choices)
    focus = models.CharField(max_length=16, choices=Focus.choices)
    level_of_care = models.CharField(max_length=4, choices=list(LEVELS.items()), default="2.1")
    min_weekly_hours = models.DecimalField(max_digits=4, decimal_places=2)
    max_weekly_hours = models.DecimalField(max_digits=4, decimal_places=2, null=True, blank=True)
    plan_review_days = models.PositiveSmallIntegerField(
        default=30, validators=[MinValueValidator(7), MaxValueValidator(180)]
    )
    description = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)
    # the ages admitted, on the admission date (inclusive; no max: no upper limit)
    min_age = models.PositiveSmallIntegerField(default=18, validators=[MaxValueValidator(120)])
    max_age = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(120)]
    )
    # minutes a safety alert may wait unacknowledged before it escalates
    alert_minutes_open = models.PositiveSmallIntegerField(
        default=30, help_text="When a track of the program is in session."
    )
    alert_minutes_closed = models.PositiveSmallIntegerField(
        default=15, help_text="Outside the program's hours (nights, weekends)."
    )

    objects = ProgramQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="uniq_program_name"),
            models.CheckConstraint(
                condition=models.Q(max_age__isnull=True)
                | models.Q(max_age__gte=models.F("min_age")),
                name="program_ages_ordered",
            ),
            models.CheckConstraint(
                condition=models.Q(max_weekly_hours__isnull=True)
                | models.Q(max_weekly_hours__gte=models.F("min_weekly_hours")),
                name="program_band_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def ages_label(self) -> str:
        if self.max_age is None:
            return f"ages {self.min_age} and over"
        return f"ages {self.min_age} to {self.max_age}"

    @property
    def band_label(self) -> str:
        lo = f"{self.min_weekly_hours.normalize():f}"
        if self.max_weekly_hours is None:
            return f"{lo}+ h/week"
        return f"{lo}-{self.max_weekly_hours.normalize():f} h/week"


class TrackKind(models.TextChoices):
    MORNING = "morning", "Morning"
    AFTERNOON = "afternoon", "Afternoon"
    EVENING = "evening", "Evening"
    WEEKEND = "weekend", "Weekend"


class Track(BaseModel):
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="tracks")
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=16, choices=TrackKind.choices)
    weekdays = models.JSONField(default=list, help_text="ISO weekday numbers, Monday = 1")
    start_time = models.TimeField()
    end_time = models.TimeField()
    capacity = models.PositiveSmallIntegerField(
        default=12, validators=[MinValueValidator(1), MaxValueValidator(200)]
    )
    focus = models.CharField(
        max_length=16,
        choices=Focus.choices,
        blank=True,
        help_text="This track's clinical focus, e.g. a dual diagnosis track; blank: the program's.",
    )
    is_active = models.BooleanField(default=True)

    objects = TrackQuerySet.as_manager()

    class Meta:
        ordering = ["program", "start_time", "name"]
        constraints = [
            models.UniqueConstraint(fields=["program", "name"], name="uniq_track_name"),
            models.CheckConstraint(
                condition=models.Q(end_time__gt=models.F("start_time")),
                name="track_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.program.name} / {self.name}"

    @property
    def days_label(self) -> str:
        return "/".join(WEEKDAYS[d - 1] for d in sorted(self.weekdays))

    @property
    def hours_label(self) -> str:
        return f"{self.start_time:%H:%M}-{self.end_time:%H:%M}"

    @property
    def weekly_hours(self) -> Decimal:
        start = dt.datetime.combine(dt.date(2000, 1, 1), self.start_time)
        end = dt.datetime.combine(dt.date(2000, 1, 1), self.end_time)
        per_day = Decimal((end - start).seconds) / Decimal(3600)
        return (per_day * len(self.weekdays)).quantize(Decimal("0.01"))
