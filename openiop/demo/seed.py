"""`openiop seed`: a large synthetic organization for benchmarks, fast and repeatable.

Unlike the demo, the seeder does not go through the services: it writes rows
with `bulk_create` in batches and records one audit event for the whole run.
The same seed and size give the same rows (names, MRNs, public UUIDs); dates
are relative to today.
"""

import dataclasses
import datetime as dt
import math
import random
import time

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone

from openiop.accounts.models import Membership, StaffCredential, User
from openiop.audit.models import Action
from openiop.audit.services import audit_record
from openiop.care.models import AdmissionType, Episode, EpisodeStatus
from openiop.core import context
from openiop.demo import names
from openiop.demo.organization import PROGRAMS, SITES, STAFF
from openiop.organizations.levels import default_band
from openiop.organizations.models import Organization, Program, Site, Track
from openiop.organizations.services import zip_lookup
from openiop.patients.models import Coverage, Patient, SupportPerson
from openiop.patients.services import search_name_for

MIN_PATIENTS, MAX_PATIENTS = 1, 1_000_000
MIN_WEEKS, MAX_WEEKS = 1, 520
BENCH_PASSWORD = "bench-password-2026"
BENCH_SLUG_PREFIX = "bench-"
BATCH = 2000  # rows per INSERT batch
CHUNK = 5000  # patients generated (and held in memory) at a time
EPISODES_PER_CLINICIAN = 25
DISCHARGED_SHARE = 0.3
# how patients spread over PROGRAMS (adult substance use, adult mental health, adolescent)
PROGRAM_WEIGHTS = [0.45, 0.35, 0.20]
CLINICIAN_LICENCES = ["LADC", "CADC", "LPC", "LCSW", "LMFT", "CPRS"]
REFERRALS = ["self", "inpatient", "physician", "court", "employer", "school", "other"]
DISCHARGE_REASONS = ["completed", "completed", "left_against_advice", "stepped_down", "stepped_up"]


class SeedInputError(ValueError):
    """The size asked for is out of range."""


@dataclasses.dataclass
class SeedResult:
    organization: Organization
    created: bool
    counts: dict[str, int]
    seconds: float


def bench_slug(seed: int, patients: int) -> str:
    return f"{BENCH_SLUG_PREFIX}s{seed}-p{patients}"


def bench_username(slug: str, key: str) -> str:
    """The login of a seeded staff member: `key` is a STAFF username ("director",
    "intake", ...) or `clinician-0001` (numbered from 1)."""
    return f"{slug}-{key}"


def clinician_key(n: int) -> str:
    return f"clinician-{n:04d}"


def validate(patients: int, weeks: int) -> None:
    if not MIN_PATIENTS <= patients <= MAX_PATIENTS:
        raise SeedInputError(
            f"The number of patients must be between {MIN_PATIENTS} and {MAX_PATIENTS:,}."
        )
    if not MIN_WEEKS <= weeks <= MAX_WEEKS:
        raise SeedInputError(f"The number of weeks must be between {MIN_WEEKS} and {MAX_WEEKS}.")


def require_migrated() -> None:
    """Refuse plainly (status 2) to run against a database that is not migrated."""
    import importlib

    from django.core.management.base import CommandError
    from django.db.migrations.executor import MigrationExecutor

    # the loader re-imports migration modules already loaded; a finder cache
    # older than a fresh install can fail that ("spec not found")
    importlib.invalidate_caches()
    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        raise CommandError(
            "The database is not up to date; run `openiop migrate` first.", returncode=2
        )


def seed_organization(*, patients: int, weeks: int, seed: int = 1) -> SeedResult:
    """Create the benchmark organization `bench-s{seed}-p{patients}`.

    Returns `created=False` (and writes nothing) if it already exists.
    """
    validate(patients, weeks)
    started = time.perf_counter()
    slug = bench_slug(seed, patients)
    existing = Organization.objects.filter(slug=slug).first()
    if existing is not None:
        return SeedResult(existing, False, {}, time.perf_counter() - started)
    with context.bind(via="cli", purpose="operations"), transaction.atomic():
        org, counts = _Seeder(slug, patients, weeks, seed).run()
        audit_record(
            actor=None,
            action=Action.EXECUTE,
            event="seed",
            organization_id=org.pk,
            detail={"seed": seed, "weeks": weeks, "counts": counts},
            actor_name="openiop seed",
        )
    _analyze()
    return SeedResult(org, True, counts, time.perf_counter() - started)


SEEDED_MODELS = (
    Organization,
    Site,
    Program,
    Track,
    User,
    Membership,
    StaffCredential,
    Patient,
    Episode,
    Coverage,
    SupportPerson,
)


def _analyze() -> None:
    """Refresh PostgreSQL's planner statistics and visibility map after the bulk
    load, as autovacuum would soon do (it may be off): `VACUUM (ANALYZE)`, so
    that counts read from an index need not visit the table (index-only scans),
    or `ANALYZE` alone inside a transaction (tests), where VACUUM cannot run.
    SQLite keeps no statistics unless ANALYZE is run by hand, so it is left as
    a default deployment would have it."""
    if connection.vendor != "postgresql":
        return
    command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
    with connection.cursor() as cursor:
        for model in SEEDED_MODELS:
            cursor.execute(f"{command} {connection.ops.quote_name(model._meta.db_table)}")


class _Seeder:
    def __init__(self, slug: str, patients: int, weeks: int, seed: int):
        self.slug = slug
        self.n = patients
        self.weeks = weeks
        self.seed = seed
        # Content from the seed; public UUIDs from the slug, so that two sizes
        # seeded with the same seed never collide on the unique UUID columns.
        self.rng = random.Random(seed)
        self.uuid_rng = random.Random(f"openiop-seed/{slug}")
        self.today = timezone.localdate()
        self.counts: dict[str, int] = {}

    def uuid(self):
        return names.rng_uuid(self.uuid_rng)

    def run(self) -> tuple[Organization, dict[str, int]]:
        org = Organization.objects.create(
            name=f"Benchmark Org (synthetic) seed {self.seed}, {self.n:,} patients",
            slug=self.slug,
            uuid=self.uuid(),
        )
        self.org = org
        self._places()
        plan = self._plan()
        self._staff(plan)
        self._patients(plan)
        return org, self.counts

    # organization shape -------------------------------------------------

    def _places(self) -> None:
        sites = [
            Site(organization=self.org, uuid=self.uuid(), **s, **_place(s["zip_code"]))
            for s in SITES
        ]
        Site.objects.bulk_create(sites)
        programs = []
        for name, site_i, population, focus, level, _tracks in PROGRAMS:
            band = default_band(level, population)
            programs.append(
                Program(
                    organization=self.org,
                    uuid=self.uuid(),
                    site=sites[site_i],
                    name=name,
                    population=population,
                    focus=focus,
                    level_of_care=level,
                    min_weekly_hours=band.minimum,
                    max_weekly_hours=band.maximum,
                )
            )
        Program.objects.bulk_create(programs)
        tracks = []
        for program, (*_head, track_shapes) in zip(programs, PROGRAMS, strict=True):
            for t_name, kind, days, start, end, cap, *focus in track_shapes:
                tracks.append(
                    Track(
                        program=program,
                        uuid=self.uuid(),
                        name=t_name,
                        kind=kind,
                        weekdays=sorted(days),
                        start_time=start,
                        end_time=end,
                        capacity=cap,
                        focus=focus[0] if focus else "",
                    )
                )
        Track.objects.bulk_create(tracks)
        self.sites, self.programs = sites, programs
        self.tracks = {p.pk: [t for t in tracks if t.program_id == p.pk] for p in programs}
        self.counts.update(sites=len(sites), programs=len(programs), tracks=len(tracks))

    def _plan(self) -> tuple[bytearray, bytearray]:
        """Which program each patient goes to and whether they are discharged:
        decided first, so that the clinicians can be scaled to the open episodes."""
        rng = self.rng
        idx = range(len(PROGRAMS))
        program_of = bytearray(rng.choices(idx, weights=PROGRAM_WEIGHTS, k=self.n))
        discharged = bytearray(rng.random() < DISCHARGED_SHARE for _ in range(self.n))
        return program_of, discharged

    def _staff(self, plan) -> None:
        rng = self.rng
        program_of, discharged = plan
        open_per_program = [0] * len(PROGRAMS)
        for p_i, gone in zip(program_of, discharged, strict=True):
            if not gone:
                open_per_program[p_i] += 1
        password = make_password(BENCH_PASSWORD)  # hashed once, shared by all
        # (username key, display name, role, program index, licence)
        shapes = [
            (key, display.replace("(demo)", "(synthetic)"), role, p_i, lic)
            for key, display, role, p_i, lic in STAFF
            if role != "clinician"
        ]
        n = 0
        for p_i, open_count in enumerate(open_per_program):
            for _ in range(max(1, math.ceil(open_count / EPISODES_PER_CLINICIAN))):
                n += 1
                display = f"{rng.choice(names.GIVEN)} {rng.choice(names.FAMILY)} (synthetic)"
                shapes.append((clinician_key(n), display, "clinician", p_i, None))
        users = [
            User(
                username=bench_username(self.slug, key),
                uuid=self.uuid(),
                display_name=display,
                email=f"{bench_username(self.slug, key)}@example.test",
                password=password,
            )
            for key, display, _role, _p, _l in shapes
        ]
        User.objects.bulk_create(users, batch_size=BATCH)
        admin = users[0]
        memberships, credentials = [], []
        self.clinicians: dict[int, list[User]] = {p.pk: [] for p in self.programs}
        for user, (_key, _d, role, p_i, licence) in zip(users, shapes, strict=True):
            program = self.programs[p_i] if p_i is not None else None
            memberships.append(
                Membership(
                    user=user,
                    organization=self.org,
                    program=program,
                    role=role,
                    uuid=self.uuid(),
                    created_by=admin,
                )
            )
            if role in ("clinician", "program_director") and program is not None:
                self.clinicians[program.pk].append(user)
            licence = licence or (rng.choice(CLINICIAN_LICENCES) if role == "clinician" else None)
            if licence:
                credentials.append(
                    StaffCredential(
                        user=user,
                        organization=self.org,
                        license_type=licence,
                        number=f"BENCH-{rng.randint(10000, 99999)}",
                        state="OR",
                        expires_on=self.today + dt.timedelta(days=rng.randint(-30, 730)),
                        uuid=self.uuid(),
                        created_by=admin,
                    )
                )
        Membership.objects.bulk_create(memberships, batch_size=BATCH)
        StaffCredential.objects.bulk_create(credentials, batch_size=BATCH)
        self.admin = admin
        self.intake = next(
            u for u, s in zip(users, shapes, strict=True) if s[2] == "intake_coordinator"
        )
        self.counts.update(
            staff=len(users),
            clinicians=sum(1 for s in shapes if s[2] == "clinician"),
            memberships=len(memberships),
            credentials=len(credentials),
        )

    # patients -----------------------------------------------------------

    def _patients(self, plan) -> None:
        program_of, discharged = plan
        next_clinician = {p.pk: 0 for p in self.programs}
        totals = dict(patients=0, episodes=0, discharged=0, coverages=0, support_persons=0)
        for start in range(0, self.n, CHUNK):
            stop = min(start + CHUNK, self.n)
            rows = [
                self._patient_rows(i, program_of[i], discharged[i], next_clinician)
                for i in range(start, stop)
            ]
            patients = [r[0] for r in rows]
            Patient.objects.bulk_create(patients, batch_size=BATCH)
            for p, episode, coverage, support in rows:
                episode.patient_id = coverage.patient_id = support.patient_id = p.pk
            Episode.objects.bulk_create([r[1] for r in rows], batch_size=BATCH)
            Coverage.objects.bulk_create([r[2] for r in rows], batch_size=BATCH)
            SupportPerson.objects.bulk_create([r[3] for r in rows], batch_size=BATCH)
            totals["patients"] += len(rows)
            totals["episodes"] += len(rows)
            totals["discharged"] += sum(1 for r in rows if r[1].discharged_on)
            totals["coverages"] += len(rows)
            totals["support_persons"] += len(rows)
        self.counts.update(totals)

    def _patient_rows(self, i: int, p_i: int, gone: int, next_clinician: dict):
        rng, today = self.rng, self.today
        program = self.programs[p_i]
        adolescent = program.population == "adolescent"
        person = names.person(rng, adolescent=adolescent, today=today)
        patient = Patient(
            organization=self.org,
            uuid=self.uuid(),
            mrn=f"BENCH-{i + 1:07d}",
            created_by=self.intake,
            **person,
        )
        patient.search_name = search_name_for(patient)
        admitted = today - dt.timedelta(days=rng.randint(0, 7 * self.weeks - 1))
        clinicians = self.clinicians[program.pk]
        if gone:
            clinician = rng.choice(clinicians)
            span = (today - admitted).days
            discharged_on = admitted + dt.timedelta(days=rng.randint(min(span, 14), span))
            status, reason = EpisodeStatus.DISCHARGED, rng.choice(DISCHARGE_REASONS)
        else:
            k = next_clinician[program.pk]
            next_clinician[program.pk] = k + 1
            clinician = clinicians[k % len(clinicians)]
            discharged_on, status, reason = None, EpisodeStatus.ACTIVE, ""
        episode = Episode(
            organization=self.org,
            uuid=self.uuid(),
            program=program,
            track=rng.choice(self.tracks[program.pk]),
            primary_clinician=clinician,
            referral_source="school"
            if adolescent and rng.random() < 0.3
            else rng.choice(REFERRALS),
            admission_type=rng.choice(AdmissionType.values),
            admitted_on=admitted,
            status=status,
            discharged_on=discharged_on,
            discharge_reason=reason,
            created_by=self.intake,
        )
        payer_type, payer = rng.choice(names.PAYERS)
        coverage = Coverage(
            uuid=self.uuid(),
            payer_type=payer_type,
            payer_name=payer,
            member_id=f"BM{rng.randint(100000, 999999)}",
            is_primary=True,
            starts_on=admitted - dt.timedelta(days=rng.randint(0, 365)),
            created_by=self.intake,
        )
        consent = rng.random() < 0.7
        support = SupportPerson(
            uuid=self.uuid(),
            name=f"{rng.choice(names.GIVEN)} {person['legal_family_name']}",
            relationship="parent" if adolescent else rng.choice(names.RELATIONS),
            phone=f"555-02{rng.randint(0, 99):02d}",
            is_emergency_contact=True,
            involvement_consent=consent,
            consent_recorded_on=admitted if consent else None,
            created_by=self.intake,
        )
        return patient, episode, coverage, support


def _place(zip_code: str) -> dict:
    place = zip_lookup(zip_code)
    place.pop("zip_code")
    return place


def find_bench_staff(organization: Organization) -> dict[str, User]:
    """The seeded director of the first program and its first clinician."""
    slug = organization.slug
    wanted = {
        "director": bench_username(slug, "director"),
        "clinician": bench_username(slug, clinician_key(1)),
    }
    users = {u.username: u for u in User.objects.filter(username__in=wanted.values())}
    return {role: users[username] for role, username in wanted.items()}


def latest_bench_organization() -> Organization | None:
    return Organization.objects.filter(slug__startswith=BENCH_SLUG_PREFIX).order_by("-id").first()
