"""The public program finder's data, kept apart from patient data.

Nothing here points at a patient, an episode or the audit trail: facilities
come from public files (FindTreatment.gov) or from what a program chose to
publish (`DirectoryProfile`); testimonials and shortlists come from the public.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from openiop.access.querysets import ProgramRowQuerySet
from openiop.core.models import BaseModel
from openiop.directory.features import BY_GROUP


def safe_url(text: str) -> str:
    text = (text or "").strip()
    if not text or any(c.isspace() for c in text):
        return ""
    scheme = text.split(":", 1)[0].lower() if ":" in text else ""
    if scheme in ("http", "https"):
        return text
    if not scheme and "." in text.split("/", 1)[0]:
        return "https://" + text
    return ""


class Source(models.TextChoices):
    FINDTREATMENT = "findtreatment", "FindTreatment.gov export"
    CSV = "csv", "CSV file"
    OPENIOP = "openiop", "OpenIOP program"
    SYNTHETIC = "synthetic", "Synthetic (benchmark)"


class FacilityImport(BaseModel):
    """One run of `openiop import-facilities`: what came in and what was refused."""

    source = models.CharField(max_length=16, choices=Source.choices)
    file_name = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    rows = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    changed = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    retired = models.PositiveIntegerField(default=0)
    messages = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.created_at:%Y-%m-%d})"


class Facility(BaseModel):
    """One place a person can be treated: an imported facility, or an OpenIOP
    program listed by its director (then `program` is set)."""

    source = models.CharField(max_length=16, choices=Source.choices)
    # identity across re-imports: a hash of name, name2 and address (see importer)
    source_key = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=300)
    name2 = models.CharField(max_length=300, blank=True)
    street1 = models.CharField(max_length=200, blank=True)
    street2 = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100)
    state = models.CharField(max_length=2)
    zip_code = models.CharField(max_length=10)
    phone = models.CharField(max_length=40, blank=True)
    intake_phone = models.CharField(max_length=40, blank=True)
    hotline = models.CharField(max_length=40, blank=True)
    website = models.CharField(max_length=300, blank=True)
    latitude = models.FloatField()
    longitude = models.FloatField()
    # the file gave no coordinates: placed at the centre of its ZIP code
    location_approximate = models.BooleanField(default=False)
    type_facility = models.CharField(max_length=100, blank=True)
    # [{"code": f2, "label": f1, "values": [f3 parts]}], unknown codes included
    services = models.JSONField(default=list, blank=True)
    features = models.BigIntegerField(default=0, help_text="bits of directory.features")
    languages = models.CharField(max_length=400, blank=True, help_text='"|spanish|asl|"')
    program = models.OneToOneField(
        "organizations.Program",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="directory_facility",
    )
    last_import = models.ForeignKey(
        FacilityImport, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name_plural = "facilities"
        indexes = [
            # the radius search reads a longitude range of this index (the US is
            # wider than it is tall, so that band holds fewer facilities than a
            # latitude band), and each entry holds every column the search
            # reads, so no table row is visited (docs/adr/0006-directory-search.md)
            models.Index(
                fields=["longitude", "latitude", "features", "is_active", "languages", "id"],
                name="facility_geo_covering",
            ),
            models.Index(fields=["source", "state"], name="facility_source_state"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_program(self) -> bool:
        return self.program_id is not None

    @property
    def website_url(self) -> str:
        """The website as a link target: http(s) only (an imported file could
        hold a javascript: address); a bare host gets https://."""
        return safe_url(self.website)

    def how_far(self, miles: float, where: str = "") -> str:
        """The distance in words ("about 3 miles" to an approximate location),
        and from where when given."""
        from openiop.directory.geo import distance_from, distance_words

        place = {"approximate": self.location_approximate, "zip_code": self.zip_code}
        return distance_from(miles, where, **place) if where else distance_words(miles, **place)

    @property
    def address_lines(self) -> list[str]:
        lines = [x for x in (self.street1, self.street2) if x]
        lines.append(f"{self.city}, {self.state} {self.zip_code}")
        return lines


# ----- what a program publishes --------------------------------------------------


def _choices(group: str, exclude=()) -> list[tuple[str, str]]:
    return [(f.slug, f.label) for f in BY_GROUP[group] if f.slug not in exclude]


PAYMENT_CHOICES = _choices("payment", exclude={"sliding_scale"})
SPECIALTY_CHOICES = _choices("special") + _choices("services")
ACCREDITATION_CHOICES = _choices("accreditation")
AGE_CHOICES = _choices("age")
SEX_CHOICES = _choices("sex")


class DirectoryScopedQuerySet(ProgramRowQuerySet):
    """Profiles a director or administrator may manage (`directory.<action>`)."""

    resource = "directory"


class DirectoryProfile(BaseModel):
    """What a program publishes on the finder, beyond its program settings."""

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="directory_profiles"
    )
    program = models.OneToOneField(
        "organizations.Program", on_delete=models.CASCADE, related_name="directory_profile"
    )
    listed = models.BooleanField(
        default=False, help_text="Show this program on the public program finder."
    )
    summary = models.TextField(blank=True, max_length=2000)
    phone = models.CharField(max_length=40, blank=True)
    website = models.URLField(max_length=300, blank=True)
    payments = models.JSONField(default=list, blank=True)
    insurance_plans = models.CharField(
        max_length=500, blank=True, help_text="Plans you are in network with, e.g. Aetna, Regence"
    )
    self_pay_weekly_rate = models.DecimalField(
        max_digits=8,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100_000)],
    )
    sliding_scale = models.BooleanField(default=False)
    typical_weeks_min = models.PositiveSmallIntegerField(
        default=8, validators=[MinValueValidator(1), MaxValueValidator(104)]
    )
    typical_weeks_max = models.PositiveSmallIntegerField(
        default=12, validators=[MinValueValidator(1), MaxValueValidator(104)]
    )
    languages = models.JSONField(default=list, blank=True)
    telehealth = models.BooleanField(default=False)
    accreditations = models.JSONField(default=list, blank=True)
    family_program = models.BooleanField(default=False)
    family_program_description = models.TextField(blank=True, max_length=1000)
    specialties = models.JSONField(default=list, blank=True)
    ages = models.JSONField(default=list, blank=True)
    sexes = models.JSONField(default=list, blank=True)
    wait_days = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(365)]
    )
    wait_updated_on = models.DateField(null=True, blank=True)

    objects = DirectoryScopedQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(typical_weeks_max__gte=models.F("typical_weeks_min")),
                name="profile_weeks_ordered",
            )
        ]

    def __str__(self) -> str:
        return f"Directory profile of {self.program}"


class TestimonialStatus(models.TextChoices):
    PENDING = "pending", "Waiting for moderation"
    PUBLISHED = "published", "Published"
    REJECTED = "rejected", "Rejected"


class TestimonialRelationship(models.TextChoices):
    PARTICIPANT = "participant", "Took part in the program"
    FAMILY = "family", "Family member or partner"
    FRIEND = "friend", "Friend or supporter"


class TestimonialQuerySet(ProgramRowQuerySet):
    resource = "directory"
    program_field = "facility__program_id"

    def published(self):
        return self.filter(status=TestimonialStatus.PUBLISHED, consent_to_publish=True)


class Testimonial(BaseModel):
    """A personal account from the public: held until the program moderates it,
    published only with the writer's consent, first name or initials only."""

    __test__ = False  # not a pytest class

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="testimonials"
    )
    facility = models.ForeignKey(Facility, on_delete=models.CASCADE, related_name="testimonials")
    author_name = models.CharField(max_length=40)
    relationship = models.CharField(max_length=16, choices=TestimonialRelationship.choices)
    body = models.TextField(max_length=2000)
    consent_to_publish = models.BooleanField(default=False)
    status = models.CharField(
        max_length=16, choices=TestimonialStatus.choices, default=TestimonialStatus.PENDING
    )
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    moderated_at = models.DateTimeField(null=True, blank=True)

    objects = TestimonialQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["facility", "status"], name="testimonial_facility_status")]

    def __str__(self) -> str:
        return f"Testimonial by {self.author_name}"


class Shortlist(BaseModel):
    """The answers of one guided match and the programs it ranked, behind an
    unguessable link that expires. No account, nothing else about the person."""

    token = models.CharField(max_length=43, unique=True)
    answers = models.JSONField()
    facility_uuids = models.JSONField(default=list)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"Shortlist {self.token[:6]}..."
