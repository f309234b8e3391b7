"""Writes of the program finder: imports, what a program publishes, testimonials,
shortlists. Every write runs in one transaction; staff changes are audited."""

import datetime as dt
import hashlib
import re
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone

from openiop.access.services import require
from openiop.audit.models import Action
from openiop.audit.services import audit_record
from openiop.core.errors import ApplicationError
from openiop.directory import features as F
from openiop.directory.importer import ImportFileError, ParsedFile, RowProblem, read_file
from openiop.directory.models import (
    ACCREDITATION_CHOICES,
    AGE_CHOICES,
    PAYMENT_CHOICES,
    SEX_CHOICES,
    SPECIALTY_CHOICES,
    DirectoryProfile,
    Facility,
    FacilityImport,
    Shortlist,
    Source,
    Testimonial,
    TestimonialRelationship,
    TestimonialStatus,
)
from openiop.directory.outcomes import has_published_outcomes

IMPORT_FIELDS = [
    "name",
    "name2",
    "street1",
    "street2",
    "city",
    "state",
    "zip_code",
    "phone",
    "intake_phone",
    "hotline",
    "website",
    "latitude",
    "longitude",
    "location_approximate",
    "type_facility",
    "services",
    "features",
    "languages",
    "is_active",
]
BATCH = 500


# ----- importing facility files ---------------------------------------------------


@dataclass
class ImportResult:
    file_name: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    changed: int = 0
    skipped: int = 0
    retired: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    # rows without coordinates, placed at the centre of their ZIP code
    approximate: list[RowProblem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    dry_run: bool = False

    @property
    def summary(self) -> str:
        verb = "Would import" if self.dry_run else "Imported"
        text = (
            f"{verb} {self.file_name}: {self.created} created, {self.updated} updated "
            f"({self.changed} with changes), {self.skipped} skipped"
        )
        if self.retired:
            text += f", {self.retired} retired"
        text += f" ({self.rows} rows)."
        if self.approximate:
            text += (
                f" {len(self.approximate)} without coordinates placed at their ZIP code's centre."
            )
        return text


def _row_fields(data: dict) -> dict:
    services = data["services"]
    return {
        "name": data["name"],
        "name2": data["name2"],
        "street1": data["street1"],
        "street2": data["street2"],
        "city": data["city"],
        "state": data["state"],
        "zip_code": data["zip"],
        "phone": data["phone"],
        "intake_phone": data["intake_phone"],
        "hotline": data["hotline"],
        "website": data["website"],
        "latitude": data["latitude"],
        "longitude": data["longitude"],
        "location_approximate": data["location_approximate"],
        "type_facility": data["type_facility"],
        "services": services,
        "features": F.features_from_services(services),
        "languages": F.encode_languages(F.languages_from_services(services)),
        "is_active": True,
    }


def facilities_import(
    *,
    path: Path,
    fmt: str | None = None,
    retire_missing: bool = False,
    dry_run: bool = False,
    source: str | None = None,
) -> ImportResult:
    """Import a FindTreatment.gov JSON export or a CSV file.

    Re-importing updates the facilities it already holds (same name, second
    name and address) instead of adding them again. A bad row is reported with
    its position and skipped; the others are written together in one
    transaction. With `retire_missing`, facilities of the same source in the
    file's states that the file no longer lists are hidden from the finder.
    """
    parsed, content = read_file(Path(path), fmt)
    return facilities_import_parsed(
        parsed=parsed,
        file_name=Path(path).name,
        sha256=hashlib.sha256(content).hexdigest(),
        retire_missing=retire_missing,
        dry_run=dry_run,
        source=source or parsed.source,
    )


def facilities_import_parsed(
    *,
    parsed: ParsedFile,
    file_name: str,
    sha256: str = "",
    retire_missing: bool = False,
    dry_run: bool = False,
    source: str = Source.FINDTREATMENT,
) -> ImportResult:
    result = ImportResult(
        file_name=file_name,
        rows=parsed.total,
        problems=list(parsed.problems),
        notes=list(parsed.notes),
        dry_run=dry_run,
    )
    first_seen: dict[str, str] = {}
    rows = []
    for row in parsed.rows:
        if row.key in first_seen:
            result.problems.append(
                RowProblem(
                    row.label,
                    ", ".join(x for x in (row.data["name"], row.data["name2"]) if x),
                    f"repeats {first_seen[row.key]} (same name and address); skipped.",
                )
            )
            continue
        first_seen[row.key] = row.label
        rows.append(row)
        if row.data["location_approximate"]:
            result.approximate.append(
                RowProblem(
                    row.label,
                    ", ".join(x for x in (row.data["name"], row.data["name2"]) if x),
                    f"no coordinates; placed at the centre of ZIP code {row.data['zip'][:5]} "
                    "(shown as an approximate location).",
                )
            )
    result.skipped = len(result.problems)
    if not rows:  # nothing importable: no import is recorded
        return result
    keys = [r.key for r in rows]
    with transaction.atomic():
        existing: dict[str, Facility] = {}
        for i in range(0, len(keys), BATCH):
            for f in Facility.objects.filter(source_key__in=keys[i : i + BATCH]):
                existing[f.source_key] = f
        run = FacilityImport(
            source=source,
            file_name=file_name[:255],
            sha256=sha256,
            rows=parsed.total,
        )
        if not dry_run:
            run.save()
        now = timezone.now()
        new, changed, touched = [], [], []
        for row in rows:
            values = _row_fields(row.data)
            facility = existing.get(row.key)
            if facility is None:
                new.append(Facility(source=source, source_key=row.key, last_import=run, **values))
                continue
            if facility.program_id is not None:  # pragma: no cover - keys never collide
                continue
            diff = [k for k, v in values.items() if getattr(facility, k) != v]
            if diff:
                for k in diff:
                    setattr(facility, k, values[k])
                facility.source = source
                facility.last_import = run
                facility.updated_at = now
                changed.append(facility)
            else:
                touched.append(facility.pk)
        result.created = len(new)
        result.updated = len(changed) + len(touched)
        result.changed = len(changed)
        if retire_missing and rows:
            states = {r.data["state"] for r in rows}
            gone = (
                Facility.objects.filter(source=source, state__in=states, is_active=True)
                .exclude(source_key__in=set(keys))
                .exclude(program__isnull=False)
            )
            result.retired = gone.count()
            if not dry_run:
                gone.update(is_active=False, updated_at=now)
        if dry_run:
            transaction.set_rollback(True)
            return result
        Facility.objects.bulk_create(new, batch_size=BATCH)
        Facility.objects.bulk_update(
            changed, [*IMPORT_FIELDS, "source", "last_import", "updated_at"], batch_size=BATCH
        )
        for i in range(0, len(touched), BATCH):
            Facility.objects.filter(pk__in=touched[i : i + BATCH]).update(last_import=run)
        run.created, run.updated, run.changed = result.created, result.updated, result.changed
        run.skipped, run.retired = result.skipped, result.retired
        run.messages = (
            [str(p) for p in result.problems[:1000]]
            + [str(p) for p in result.approximate[:1000]]
            + result.notes
        )
        run.save()
        audit_record(
            actor=None,
            action=Action.EXECUTE,
            event="directory.import",
            obj=run,
            actor_name="openiop import-facilities",
            detail={
                "file": file_name[:100],
                "created": result.created,
                "updated": result.updated,
                "skipped": result.skipped,
                "retired": result.retired,
            },
        )
    return result


def tidy_after_import() -> None:
    """Planner statistics after many rows changed; on PostgreSQL also VACUUM,
    which marks the pages all-visible so the search reads the covering index
    alone (an index-only scan) instead of visiting the table. Autovacuum would
    get there too, later. Must run outside a transaction."""
    if connection.in_atomic_block:
        return
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"VACUUM ANALYZE {Facility._meta.db_table}")
        elif connection.vendor == "sqlite":
            cursor.execute(f"ANALYZE {Facility._meta.db_table}")


# ----- OpenIOP programs in the directory -----------------------------------------

LEVEL_SLUGS = {"2.1": "iop", "2.5": "php", "1": "op"}
FOCUS_SLUGS = {
    "substance_use": ["substance_use"],
    "mental_health": ["mental_health"],
    "co_occurring": ["substance_use", "mental_health", "co_occurring"],
}
EVENING_FROM = dt.time(16, 30)


def track_schedule(track) -> set[str]:
    """Which of daytime / evening / weekend a track offers."""
    kinds = set()
    if track.kind == "weekend" or any(d in (6, 7) for d in track.weekdays):
        kinds.add("weekend")
    weekdays = [d for d in track.weekdays if 1 <= d <= 5]
    if weekdays:
        if track.kind == "evening" or track.start_time >= EVENING_FROM:
            kinds.add("evening")
        elif track.kind != "weekend":
            kinds.add("daytime")
    return kinds


def family_staffed(program) -> bool:
    """Whether someone working in the program holds, today, a licence that may
    lead its family therapy sessions (the session type's credentials, as data):
    a program does not advertise family sessions its staff cannot deliver."""
    from django.db.models import Q

    from openiop.accounts.models import Membership, StaffCredential
    from openiop.scheduling.localtime import today_in
    from openiop.scheduling.models import SessionModality, SessionType

    licences: set[str] = set()
    for creds in SessionType.objects.filter(
        organization_id=program.organization_id,
        modality=SessionModality.FAMILY,
        is_active=True,
    ).values_list("credentials", flat=True):
        licences |= set(creds or [])
    if not licences:
        return False
    staff = Membership.objects.filter(
        organization_id=program.organization_id, is_active=True, user__is_active=True
    ).filter(Q(program=program) | Q(program__isnull=True))
    return (
        StaffCredential.objects.valid_at(program.site, today_in(program.site.time_zone))
        .filter(user_id__in=staff.values("user_id"), license_type__in=licences)
        .exists()
    )


def program_features(
    profile: DirectoryProfile, tracks, *, outcomes: bool, family: bool | None = None
) -> int:
    """The finder's bits for a program, from its own data; `family`: whether its
    staff can deliver family therapy (worked out if not given)."""
    program = profile.program
    keys = []
    if program.level_of_care in LEVEL_SLUGS:
        keys.append(f"level_of_care:{LEVEL_SLUGS[program.level_of_care]}")
    # what the program and its active tracks treat: a dual diagnosis track in a
    # substance use program makes the program co-occurring
    focuses = {program.focus} | {t.focus for t in tracks if t.is_active and t.focus}
    for focus in sorted(focuses):
        keys += [f"focus:{s}" for s in FOCUS_SLUGS.get(focus, [])]
    for track in tracks:
        if track.is_active:
            keys += [f"schedule:{k}" for k in track_schedule(track)]
    payments = set(profile.payments)
    if profile.self_pay_weekly_rate is not None:
        payments.add("self_pay")
    if profile.sliding_scale:
        payments.add("sliding_scale")
    keys += [f"payment:{s}" for s in payments]
    ages = profile.ages or (["adolescents"] if program.population == "adolescent" else ["adults"])
    keys += [f"age:{s}" for s in ages]
    keys += [f"sex:{s}" for s in (profile.sexes or ["female", "male"])]
    for slug in profile.specialties:
        keys += [k for k in (f"special:{slug}", f"services:{slug}") if k in F.BY_KEY]
    if family is None:
        family = family_staffed(program)
    if profile.family_program and family:
        keys.append("family:family_counseling")
    if profile.telehealth:
        keys.append("telehealth:telehealth")
    keys += [f"accreditation:{s}" for s in profile.accreditations]
    if outcomes:
        keys.append("outcomes:published")
    return F.mask_of(k for k in keys if k in F.BY_KEY)


def program_sync(profile: DirectoryProfile) -> Facility:
    """Write the program's directory entry from its settings and profile."""
    program = profile.program
    site = program.site
    tracks = list(program.tracks.all())
    values = {
        "source": Source.OPENIOP,
        "name": program.name[:300],
        "name2": program.organization.name[:300],
        "street1": site.street[:200],
        "street2": "",
        "city": site.city,
        "state": site.state,
        "zip_code": site.zip_code,
        "phone": (profile.phone or site.phone)[:40],
        "intake_phone": "",
        "hotline": "",
        "website": profile.website,
        "latitude": float(site.latitude),
        "longitude": float(site.longitude),
        "type_facility": "OpenIOP program",
        "services": [],
        "features": program_features(profile, tracks, outcomes=has_published_outcomes(program)),
        "languages": F.encode_languages(profile.languages),
        "is_active": bool(profile.listed and program.is_active),
    }
    facility, _ = Facility.objects.update_or_create(
        program=program, defaults={**values, "source_key": f"openiop:{program.uuid}"}
    )
    return facility


FINGERPRINT_KEY = "directory:programs:fingerprint"


_FINGERPRINT_SQL: str | None = None


def _fingerprint_sql() -> str:
    """One query over the listed programs' profiles, programs, sites, tracks and
    published outcomes: counts and last changes. Plain SQL, built once."""
    global _FINGERPRINT_SQL
    if _FINGERPRINT_SQL is None:
        from openiop.directory.outcomes import _model as outcome_model
        from openiop.organizations.models import Organization, Program, Site, Track

        t = {m: m._meta.db_table for m in (DirectoryProfile, Program, Site, Organization, Track)}
        cols = [
            "COUNT(DISTINCT d.id)",
            "MAX(d.updated_at)",
            "MAX(p.updated_at)",
            "MAX(s.updated_at)",
            "MAX(o.updated_at)",
            "COUNT(DISTINCT t.id)",
            "MAX(t.updated_at)",
        ]
        joins = [
            f"JOIN {t[Program]} p ON p.id = d.program_id",
            f"JOIN {t[Site]} s ON s.id = p.site_id",
            f"JOIN {t[Organization]} o ON o.id = d.organization_id",
            f"LEFT JOIN {t[Track]} t ON t.program_id = p.id",
        ]
        from openiop.accounts.models import Membership, StaffCredential

        # who can lead family sessions changes with licences and roles
        for model in (StaffCredential, Membership):
            table = model._meta.db_table
            cols.append(f"(SELECT COUNT(*) FROM {table})")  # noqa: S608 - a table name
            # any edit (a licence's state, a role) moves updated_at
            cols.append(f"(SELECT MAX(updated_at) FROM {table})")  # noqa: S608
        outcomes = outcome_model()
        if outcomes is not None:
            cols += ["COUNT(DISTINCT po.id)", "MAX(po.updated_at)"]
            joins.append(f"LEFT JOIN {outcomes._meta.db_table} po ON po.program_id = p.id")
        # table names only: the query has no values
        _FINGERPRINT_SQL = (
            f"SELECT {', '.join(cols)} FROM {t[DirectoryProfile]} d {' '.join(joins)}"  # noqa: S608
        )
    return _FINGERPRINT_SQL


def _programs_fingerprint() -> str:
    """The aggregate row, and the day: a licence that lapses overnight changes
    no row, but tomorrow's listing must not count it."""
    with connection.cursor() as cursor:
        cursor.execute(_fingerprint_sql())
        return repr((cursor.fetchone(), timezone.now().date()))


_last_check = 0.0


def programs_sync_if_changed(*, force: bool = False) -> bool:
    """Bring the programs' directory entries up to date with their settings.

    One aggregate query answers whether any listed program, site, track or
    profile changed since the last sync; only then are they written again.
    Each process asks at most once every `DIRECTORY_SYNC_CHECK_SECONDS`
    (default 1): a track edited under Programs shows within a second, and a
    busy finder does not pay a query per search for it. The directory's own
    writes (listing, wait time) sync at once.
    """
    global _last_check
    interval = float(getattr(settings, "DIRECTORY_SYNC_CHECK_SECONDS", 1.0))
    now = time.monotonic()
    if not force and interval > 0 and now - _last_check < interval:
        return False
    _last_check = now
    fingerprint = _programs_fingerprint()
    if cache.get(FINGERPRINT_KEY) == fingerprint:
        return False
    with transaction.atomic():
        for profile in DirectoryProfile.objects.select_related(
            "program__site", "program__organization"
        ).prefetch_related("program__tracks"):
            program_sync(profile)
    cache.set(FINGERPRINT_KEY, fingerprint, timeout=None)
    return True


def _check_subset(name: str, values, choices, label: str) -> list[str]:
    allowed = [c for c, _ in choices]
    values = list(dict.fromkeys(values or []))
    bad = [v for v in values if v not in allowed]
    if bad:
        raise ApplicationError.for_field(name, f"Unknown {label}: {', '.join(map(str, bad))}.")
    return values


PROFILE_FIELDS = (
    "listed",
    "summary",
    "phone",
    "website",
    "payments",
    "insurance_plans",
    "self_pay_weekly_rate",
    "sliding_scale",
    "typical_weeks_min",
    "typical_weeks_max",
    "languages",
    "telehealth",
    "accreditations",
    "family_program",
    "family_program_description",
    "specialties",
    "ages",
    "sexes",
)


def profile_for(program) -> DirectoryProfile:
    """The program's profile (unsaved and unlisted if it has none yet)."""
    try:
        return program.directory_profile
    except DirectoryProfile.DoesNotExist:
        return DirectoryProfile(program=program, organization_id=program.organization_id)


def profile_update(*, actor, program, **data) -> DirectoryProfile:
    require(
        actor,
        "directory.manage",
        organization_id=program.organization_id,
        program_id=program.pk,
        action=Action.UPDATE,
    )
    profile = profile_for(program)
    data = {k: v for k, v in data.items() if k in PROFILE_FIELDS}
    for key in ("payments", "languages", "accreditations", "specialties", "ages", "sexes"):
        data.setdefault(key, getattr(profile, key))
    data["payments"] = _check_subset("payments", data["payments"], PAYMENT_CHOICES, "payment")
    data["accreditations"] = _check_subset(
        "accreditations", data["accreditations"], ACCREDITATION_CHOICES, "accreditation"
    )
    data["specialties"] = _check_subset(
        "specialties", data["specialties"], SPECIALTY_CHOICES, "specialty"
    )
    data["ages"] = _check_subset("ages", data["ages"], AGE_CHOICES, "age group")
    data["sexes"] = _check_subset("sexes", data["sexes"], SEX_CHOICES, "sex")
    languages = list(dict.fromkeys(data["languages"] or []))
    bad = [x for x in languages if x not in F.LANGUAGES]
    if bad:
        raise ApplicationError.for_field("languages", f"Unknown language: {', '.join(bad)}.")
    data["languages"] = languages
    rate = data.get("self_pay_weekly_rate", profile.self_pay_weekly_rate)
    if rate is not None and not 0 <= rate <= 100_000:
        raise ApplicationError.for_field(
            "self_pay_weekly_rate", "The weekly rate must be between 0 and 100,000 dollars."
        )
    lo = data.get("typical_weeks_min", profile.typical_weeks_min)
    hi = data.get("typical_weeks_max", profile.typical_weeks_max)
    if lo is None or hi is None or not 1 <= lo <= 104 or not 1 <= hi <= 104:
        raise ApplicationError.for_field(
            "typical_weeks_min", "Typical length must be 1 to 104 weeks."
        )
    if hi < lo:
        raise ApplicationError.for_field(
            "typical_weeks_max", "The longest typical stay cannot be shorter than the shortest."
        )
    changed = [f for f, v in data.items() if getattr(profile, f) != v]
    created = profile.pk is None
    for f in changed:
        setattr(profile, f, data[f])
    with transaction.atomic():
        if created:
            profile.created_by = actor
        if created or changed:
            profile.save()
            audit_record(
                actor=actor,
                action=Action.CREATE if created else Action.UPDATE,
                event="directory.profile",
                obj=profile,
                changed_fields=changed,
            )
        program_sync(profile)
    return profile


def wait_time_update(*, actor, program, wait_days: int) -> DirectoryProfile:
    require(
        actor,
        "directory.wait_time",
        organization_id=program.organization_id,
        program_id=program.pk,
        action=Action.UPDATE,
    )
    if not isinstance(wait_days, int) or not 0 <= wait_days <= 365:
        raise ApplicationError.for_field("wait_days", "The wait must be 0 to 365 days.")
    profile = profile_for(program)
    with transaction.atomic():
        if profile.pk is None:
            profile.created_by = actor
        profile.wait_days = wait_days
        profile.wait_updated_on = timezone.localdate()
        profile.save()
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            event="directory.wait_time",
            obj=profile,
            changed_fields=["wait_days"],
        )
        program_sync(profile)
    return profile


def directory_name_set(*, actor, show: bool) -> None:
    """A staff member opts in (or out) of being named on the public finder."""
    if not getattr(actor, "is_authenticated", False):
        raise ApplicationError("Sign in first.")
    if actor.show_name_in_directory == show:
        return
    with transaction.atomic():
        actor.show_name_in_directory = show
        actor.save(update_fields=["show_name_in_directory"])
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            event="staff.directory_name",
            obj=actor,
            changed_fields=["show_name_in_directory"],
        )


# ----- testimonials ----------------------------------------------------------------

NAME_RE = re.compile(
    r"^(?:[^\W\d_][^\W\d_'\u2019-]*(?:['\u2019-][^\W\d_]+)?(?: [^\W\d_]\.?)?"  # Maria, Maria G.
    r"|(?:[^\W\d_]\. ?){1,3}|[^\W\d_]{2,3})$"  # M.G. / MG
)
EMAIL_RE = re.compile(r"[\w.+-]+\s*(?:@|\(at\)|\[at\])\s*[\w-]+(?:\.[\w-]+)+", re.I)
PHONE_RE = re.compile(r"(?:\+?\d[\s().-]*){7,}")
URL_RE = re.compile(
    r"(?:https?://|www\.)\S+|\b[\w-]+\.(?:com|org|net|io|us|gov|edu|info|biz|me|co|app|ly)\b",
    re.I,
)
HANDLE_RE = re.compile(r"(?:^|\s)@[A-Za-z0-9_.]{2,}")


def contains_contact_details(text: str) -> bool:
    return any(p.search(text or "") for p in (EMAIL_RE, PHONE_RE, URL_RE, HANDLE_RE))


def testimonial_submit(
    *, facility: Facility, author_name: str, relationship: str, body: str, consent: bool
) -> Testimonial:
    """A member of the public sends a testimonial; it waits for the program."""
    if facility.program_id is None or not facility.is_active:
        raise ApplicationError(
            "Only programs that use OpenIOP collect testimonials; this listing comes from "
            "a public facility file, so there is nobody here to moderate one."
        )
    name = " ".join((author_name or "").split())
    body = (body or "").strip()
    errors: dict[str, list[str]] = {}
    if not name or len(name) > 40 or not NAME_RE.match(name):
        errors["author_name"] = ["Give a first name or initials only, e.g. Maria, Maria G. or M.G."]
    elif contains_contact_details(name):
        errors["author_name"] = ["A name cannot hold contact details."]
    if relationship not in TestimonialRelationship.values:
        errors["relationship"] = ["Choose how you know the program."]
    if len(body) < 20:
        errors["body"] = ["Write at least a sentence or two (20 characters or more)."]
    elif len(body) > 2000:
        errors["body"] = ["Keep it under 2,000 characters."]
    elif contains_contact_details(body):
        errors["body"] = [
            "Remove contact details (email addresses, phone numbers, web or social media "
            "addresses): testimonials are published without them."
        ]
    if consent is not True:
        errors["consent"] = ["Tick the box to let the program publish your words."]
    if errors:
        first = next(iter(errors.values()))[0]
        raise ApplicationError(first, fields=errors)
    return Testimonial.objects.create(
        organization_id=facility.program.organization_id,
        facility=facility,
        author_name=name,
        relationship=relationship,
        body=body,
        consent_to_publish=True,
    )


def testimonial_moderate(*, actor, testimonial: Testimonial, publish: bool) -> Testimonial:
    program = testimonial.facility.program
    require(
        actor,
        "directory.moderate",
        organization_id=testimonial.organization_id,
        program_id=program.pk if program else None,
        action=Action.UPDATE,
    )
    if publish and not testimonial.consent_to_publish:
        raise ApplicationError("The writer did not agree to publication, so it stays private.")
    status = TestimonialStatus.PUBLISHED if publish else TestimonialStatus.REJECTED
    with transaction.atomic():
        testimonial.status = status
        testimonial.moderated_by = actor
        testimonial.moderated_at = timezone.now()
        testimonial.save(update_fields=["status", "moderated_by", "moderated_at", "updated_at"])
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            event=f"testimonial.{'publish' if publish else 'reject'}",
            obj=testimonial,
            changed_fields=["status"],
        )
    return testimonial


# ----- shortlists from the guided match ---------------------------------------------

SHORTLIST_SIZE = 10


def shortlist_days() -> int:
    return int(getattr(settings, "DIRECTORY_SHORTLIST_DAYS", 30))


def shortlist_create(*, answers: dict, facility_uuids: list[str]) -> Shortlist:
    """Keep the answers and the ranked programs behind an unguessable link."""
    now = timezone.now()
    with transaction.atomic():
        Shortlist.objects.filter(expires_at__lt=now).delete()
        return Shortlist.objects.create(
            token=secrets.token_urlsafe(24),
            answers=answers,
            facility_uuids=[str(u) for u in facility_uuids[:SHORTLIST_SIZE]],
            expires_at=now + dt.timedelta(days=shortlist_days()),
        )


def shortlist_delete(*, shortlist: Shortlist) -> None:
    shortlist.delete()


def shortlists_purge() -> int:
    deleted, _ = Shortlist.objects.filter(expires_at__lt=timezone.now()).delete()
    return deleted


def facilities_refresh() -> int:
    """Recompute every imported facility's feature bits from its stored services
    (after the feature table changed)."""
    count = 0
    with transaction.atomic():
        batch = []
        for f in Facility.objects.filter(program__isnull=True).only("id", "services"):
            f.features = F.features_from_services(f.services)
            f.languages = F.encode_languages(F.languages_from_services(f.services))
            batch.append(f)
            if len(batch) >= BATCH:
                Facility.objects.bulk_update(batch, ["features", "languages"])
                count += len(batch)
                batch = []
        Facility.objects.bulk_update(batch, ["features", "languages"])
        count += len(batch)
    cache.delete(FINGERPRINT_KEY)
    programs_sync_if_changed(force=True)
    return count


__all__ = ["ImportFileError", "facilities_import"]
