"""A small synthetic scheduling world on top of the fixed cast: session types,
rooms, licences, working hours, the evening track's recurring groups and seven
patients in program A who can come on weekday evenings."""

import datetime as dt
from types import SimpleNamespace

from django.utils import timezone

from openiop.accounts.models import StaffCredential
from openiop.organizations.models import Room
from openiop.scheduling.models import SessionType
from openiop.scheduling.services.availability import (
    Window,
    availability_replace,
    staff_hours_replace,
)
from openiop.scheduling.services.sessions import series_create
from openiop.scheduling.services.types import session_types_ensure
from tests.factories import EpisodeFactory, PatientFactory

EVENINGS = [Window(d, dt.time(17), dt.time(21)) for d in range(4)]
WORKDAY = [Window(d, dt.time(8), dt.time(21)) for d in range(5)]


def next_monday(today: dt.date | None = None) -> dt.date:
    today = today or timezone.localdate()
    return today + dt.timedelta(days=7 - today.weekday())


def licence(user, org, kind: str) -> None:
    StaffCredential.objects.create(
        user=user,
        organization=org,
        license_type=kind,
        number=f"TEST-{user.pk}",
        state="OR",
        expires_on=timezone.localdate() + dt.timedelta(days=400),
    )


def world(cast, *, patients: int = 7, series: bool = True) -> SimpleNamespace:
    if hasattr(cast, "_scheduling"):
        return cast._scheduling
    org, program = cast.org, cast.program_a
    session_types_ensure(org)
    types = {t.code: t for t in SessionType.objects.filter(organization=org)}
    site = program.site
    group_room = Room.objects.create(site=site, name="Group Room Alder", capacity=12)
    office = Room.objects.create(site=site, name="Office 1", capacity=3)
    licence(cast.clinician_a, org, "LCSW")
    licence(cast.director_a, org, "LMFT")
    licence(cast.prescriber_a, org, "PMHNP")
    for user in (cast.clinician_a, cast.director_a, cast.prescriber_a):
        staff_hours_replace(actor=cast.director_a, user=user, organization=org, windows=WORKDAY)
    start = timezone.localdate() - dt.timedelta(days=60)
    made = []
    if series:
        for day in (0, 2, 3):
            made.append(
                series_create(
                    actor=cast.director_a,
                    program=program,
                    session_type=types["group_therapy"],
                    weekday=day,
                    start_time=dt.time(18),
                    starts_on=start,
                    track=cast.track_a,
                    room=group_room,
                )
            )
    episodes = [cast.episode_a]
    for _ in range(patients - 1):
        episodes.append(
            EpisodeFactory(
                program=program,
                track=cast.track_a,
                primary_clinician=cast.clinician_a,
                patient=PatientFactory(organization=org),
            )
        )
    for ep in episodes:
        availability_replace(actor=cast.director_a, patient=ep.patient, windows=EVENINGS)
    w = SimpleNamespace(
        types=types,
        group_room=group_room,
        office=office,
        series=made,
        episodes=episodes,
        patients=[ep.patient for ep in episodes],
    )
    cast._scheduling = w
    return w


def signed_plan_with(cast, episode, interventions, *, objectives: int = 1):
    """A signed plan in effect, written directly (the plan services are tested in
    their own files): one problem, one goal, `objectives` objectives; the
    interventions (modality, sessions, period, minutes, responsible) hang off
    the first objective. Returns the objectives."""
    from openiop.care.plans.plan_models import (
        PlanGoal,
        PlanIntervention,
        PlanObjective,
        PlanProblem,
        PlanVersion,
        TreatmentPlan,
        VersionStatus,
    )

    today = timezone.localdate()
    plan = TreatmentPlan.objects.create(
        organization=episode.organization, episode=episode, patient=episode.patient
    )
    version = PlanVersion.objects.create(
        plan=plan,
        number=1,
        status=VersionStatus.SIGNED,
        effective_on=today - dt.timedelta(days=7),
    )
    plan.current = version
    plan.save()
    problem = PlanProblem.objects.create(version=version, statement="Synthetic problem.")
    goal = PlanGoal.objects.create(problem=problem, statement="Synthetic goal.")
    made = [
        PlanObjective.objects.create(
            goal=goal,
            position=i,
            statement=f"Synthetic objective {i + 1}.",
            target_on=today + dt.timedelta(days=30),
        )
        for i in range(objectives)
    ]
    for modality, sessions, period, minutes, responsible in interventions:
        PlanIntervention.objects.create(
            objective=made[0],
            modality=modality,
            sessions=sessions,
            period=period,
            minutes=minutes,
            responsible=responsible,
        )
    return made
