"""`openiop demo`: one synthetic organization to click through, made idempotently.

It goes through the same services staff use, so the demo has a real audit trail.
"""

import datetime as dt
import random

from django.db import transaction
from django.utils import timezone

from openiop.accounts.models import Membership, StaffCredential, User
from openiop.care.models import EpisodeStatus
from openiop.care.services import episode_discharge
from openiop.demo import names
from openiop.demo.billing import build_billing
from openiop.demo.consent import build_consents
from openiop.demo.measures import build_measures_history
from openiop.demo.organization import PROGRAMS, SITES, STAFF
from openiop.demo.plans import build_plans
from openiop.demo.scheduling import build_scheduling_history
from openiop.organizations.models import Organization
from openiop.organizations.services import (
    organization_set_on_call,
    program_create,
    site_create,
    track_create,
)
from openiop.patients.services import coverage_add, patient_register, support_person_add
from openiop.scheduling.services.types import session_types_ensure

DEMO_SLUG = "demo"
DEMO_PASSWORD = "demo-password-2026"
DEMO_PATIENTS = 60


def demo_logins() -> list[tuple[str, str]]:
    return [(username, role) for username, _name, role, _p, _l in STAFF]


EXPIRY = {"clinician2": -5, "clinician": 12}  # days from today


@transaction.atomic
def build_demo(*, patients: int = DEMO_PATIENTS, seed: int = 2026) -> bool:
    """Create the demo organization; return False if it already exists."""
    if Organization.objects.filter(slug=DEMO_SLUG).exists():
        return False
    rng = random.Random(seed)
    today = timezone.localdate()
    org = Organization.objects.create(
        name="Demo Valley Recovery Collective (synthetic)", slug=DEMO_SLUG
    )
    password_hash = None
    users: dict[str, User] = {}
    for username, display, role, _p, _l in STAFF:
        given, _, family = display.removeprefix("Dr. ").removesuffix(" (demo)").rpartition(" ")
        user = User(
            username=username,
            display_name=display,
            first_name=given,
            last_name=family,  # a structured name: FHIR's Practitioner.name.family
            email=f"{username}@example.test",
            is_staff=role == "administrator",
            is_superuser=role == "administrator",
        )
        if password_hash is None:
            user.set_password(DEMO_PASSWORD)
            password_hash = user.password
        user.password = password_hash
        user.save()
        users[username] = user
    admin = users["admin"]
    Membership.objects.create(user=admin, organization=org, role="administrator")
    sites = [site_create(actor=admin, organization=org, **s) for s in SITES]
    programs = []
    for name, site_i, population, focus, level, tracks in PROGRAMS:
        program = program_create(
            actor=admin,
            organization=org,
            name=name,
            site=sites[site_i],
            population=population,
            focus=focus,
            level_of_care=level,
        )
        for t_name, kind, days, start, end, cap, *focus in tracks:
            track_create(
                actor=admin,
                program=program,
                name=t_name,
                kind=kind,
                weekdays=days,
                start_time=start,
                end_time=end,
                capacity=cap,
                focus=focus[0] if focus else "",
            )
        programs.append(program)
    for username, _d, role, program_i, licence in STAFF:
        if username != "admin":
            Membership.objects.create(
                user=users[username],
                organization=org,
                role=role,
                created_by=admin,
                program=programs[program_i] if program_i is not None else None,
            )
        if licence:
            StaffCredential.objects.create(
                user=users[username],
                organization=org,
                license_type=licence,
                number=f"DEMO-{rng.randint(10000, 99999)}",
                state="OR",
                created_by=admin,
                # one lapsed licence to show (a group leader others can cover), one
                # about to lapse; the rest current, so every program stays staffable
                expires_on=today
                + dt.timedelta(days=EXPIRY.get(username, rng.choice([200, 400, 700]))),
            )
    # the safety net's last step: an organization-wide prescriber and a pager address
    organization_set_on_call(
        actor=admin, organization=org, user=users["prescriber"], email="on-call@example.test"
    )
    _admit_patients(rng, org, programs, users, patients, today)
    # the session types say who may lead what: plans are written under those rules
    session_types_ensure(org)
    build_plans(org=org, rng=rng, today=today)
    build_measures_history(org, seed=seed, today=today)
    build_scheduling_history(org, seed=seed, today=today)
    build_consents(org=org, rng=rng, today=today)
    build_billing(org, rng, today)
    return True


def _clinicians_by_program(programs, users):
    by_program: dict[int, list[User]] = {p.pk: [] for p in programs}
    for username, _d, role, program_i, _l in STAFF:
        if role in ("clinician", "program_director") and program_i is not None:
            by_program[programs[program_i].pk].append(users[username])
    return by_program


def _admit_patients(rng, org, programs, users, count, today):
    intake = users["intake"]
    clinicians = _clinicians_by_program(programs, users)
    tracks = {p.pk: list(p.tracks.all()) for p in programs}
    for i in range(count):
        program = programs[i % len(programs)]
        person = names.person(rng, adolescent=program.population == "adolescent", today=today)
        admitted = today - dt.timedelta(days=rng.randint(0, 55))
        patient = patient_register(
            actor=intake,
            organization=org,
            mrn=f"DEMO-{i + 1:05d}",
            admission={
                "program": program,
                "track": rng.choice(tracks[program.pk]),
                "primary_clinician": rng.choice(clinicians[program.pk]),
                "admitted_on": admitted,
                "admission_type": rng.choice(["step_down", "step_up", "after_relapse", "direct"]),
                "referral_source": rng.choice(["self", "inpatient", "physician", "court"]),
            },
            **person,
        )
        payer_type, payer = rng.choice(names.PAYERS)
        coverage_add(
            actor=intake,
            patient=patient,
            payer_type=payer_type,
            payer_name=payer,
            member_id=f"DM{rng.randint(100000, 999999)}",
        )
        support_person_add(
            actor=intake,
            patient=patient,
            name=f"{rng.choice(names.GIVEN)} {person['legal_family_name']}",
            relationship="parent"
            if program.population == "adolescent"
            else rng.choice(names.RELATIONS),
            phone=f"555-02{rng.randint(0, 99):02d}",
            is_emergency_contact=True,
            involvement_consent=rng.random() < 0.7,
        )
        episode = patient.episodes.get(status=EpisodeStatus.ACTIVE)
        if (today - admitted).days > 40 and rng.random() < 0.5:
            episode_discharge(
                actor=episode.primary_clinician,
                episode=episode,
                discharged_on=admitted
                + dt.timedelta(days=rng.randint(30, (today - admitted).days)),
                reason=rng.choice(
                    ["completed", "completed", "left_against_advice", "stepped_down", "stepped_up"]
                ),
            )
