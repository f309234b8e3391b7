"""Loading what an export needs, in a fixed number of queries per chunk of
patients (whatever their number of episodes, diagnoses or goals).

`load_records` is used for one patient's Bundle (a chunk of one) and by the
bulk export (chunks of CHUNK patients, so memory stays flat). Callers pass
patients they already took from `visible_to`, or from the consents of an
external recipient; `scope` narrows what is loaded (categories, programs).
"""

from dataclasses import dataclass, field

from django.db.models import Prefetch

from openiop.accounts.models import StaffCredential
from openiop.care.models import Episode
from openiop.care.plans.models import Diagnosis
from openiop.care.plans.plan_models import (
    PlanGoal,
    PlanIntervention,
    PlanObjective,
    PlanProblem,
    PlanVersion,
    TreatmentPlan,
    VersionStatus,
)
from openiop.consent.models import Information, Part2Consent
from openiop.interop.fhir.common import is_part2_program
from openiop.patients.models import SupportPerson

ALL = frozenset(Information.values) - {Information.COUNSELING_NOTES}


@dataclass(frozen=True)
class Scope:
    """What may be exported of each patient: kinds of information, and (for a
    consent given by one program) only that program's episodes."""

    categories: frozenset = ALL
    program_ids: frozenset | None = None  # None: every program
    consents: bool = True  # include the patient's Part 2 consents
    # (category, programs): a kind of information read only from the episodes of
    # these programs (a staff role that reaches the patient in one program does
    # not open another program's plan); categories not named follow program_ids
    limits: tuple = ()

    def has(self, category: str) -> bool:
        return category in self.categories

    def programs_for(self, category: str) -> frozenset | None:
        for name, programs in self.limits:
            if name == category:
                return programs
        return self.program_ids

    def episodes_for(self, category: str, episodes_by_id: dict) -> dict:
        """The episodes whose `category` rows this scope reads."""
        programs = self.programs_for(category)
        if programs is None:
            return episodes_by_id
        return {k: e for k, e in episodes_by_id.items() if e.program_id in programs}


FULL = Scope()


@dataclass
class PatientRecord:
    patient: object
    support_persons: list = field(default_factory=list)
    episodes: list = field(default_factory=list)
    diagnoses: list = field(default_factory=list)
    plans: list = field(default_factory=list)  # (plan, version, problems)
    consents: list = field(default_factory=list)
    extra: dict = field(default_factory=dict)  # resources other apps add (scores ...)
    scope: Scope = FULL
    users: dict = field(default_factory=dict)  # staff other apps' resources reference

    @property
    def part2(self) -> bool:
        return any(is_part2_program(e.program) for e in self.episodes)

    def episode(self, episode_id):
        return next((e for e in self.episodes if e.pk == episode_id), None)


def _attach_places(episodes: list, cache: dict) -> None:
    """Give each episode its organization, program (with site), track and clinician
    from `cache`, loading the missing ones in one query per kind."""
    from openiop.accounts.models import User
    from openiop.organizations.models import Organization, Program, Track

    kinds = (
        ("organization", Organization.objects.all()),
        ("program", Program.objects.select_related("site")),
        ("track", Track.objects.all()),
        ("primary_clinician", User.objects.all()),
    )
    for name, qs in kinds:
        known = cache.setdefault(name, {})
        wanted = {getattr(ep, f"{name}_id") for ep in episodes} - set(known) - {None}
        if wanted:
            known.update(qs.in_bulk(list(wanted)))
        for ep in episodes:
            key = getattr(ep, f"{name}_id")
            if key is not None:
                setattr(ep, name, known[key])


def _plan_version(plan, drafts: dict) -> PlanVersion | None:
    return plan.current or drafts.get(plan.pk)


def load_records(
    patients, *, scope: Scope = FULL, cache: dict | None = None
) -> list[PatientRecord]:
    """The records of these patients (already loaded with their organization).

    Programs, tracks, sites and clinicians are shared by many episodes: they are
    loaded once each (and kept in `cache` across the chunks of a bulk export)."""
    patients = list(patients)
    if not patients:
        return []
    ids = [p.pk for p in patients]
    records = {p.pk: PatientRecord(patient=p, scope=scope) for p in patients}
    episodes = Episode.objects.filter(patient_id__in=ids)
    if scope.program_ids is not None:
        episodes = episodes.filter(program_id__in=scope.program_ids)
    episodes = list(episodes.order_by("admitted_on", "id"))
    _attach_places(episodes, cache if cache is not None else {})
    by_id = {}
    for ep in episodes:
        records[ep.patient_id].episodes.append(ep)
        by_id[ep.pk] = ep
    for s in SupportPerson.objects.filter(patient_id__in=ids).order_by("id"):
        records[s.patient_id].support_persons.append(s)
    if scope.has(Information.DIAGNOSES):
        diagnosed = scope.episodes_for(Information.DIAGNOSES, by_id)
        for d in Diagnosis.objects.filter(episode_id__in=list(diagnosed)).order_by(
            "diagnosed_on", "id"
        ):
            records[d.patient_id].diagnoses.append(d)
    if scope.has(Information.PLAN):
        _load_plans(records, scope.episodes_for(Information.PLAN, by_id))
    if scope.consents:
        for c in (
            Part2Consent.objects.filter(patient_id__in=ids)
            .select_related("recipient", "program", "organization")
            .order_by("signed_on", "id")
        ):
            records[c.patient_id].consents.append(c)
    from openiop.interop import extensions

    for loader in extensions.loaders():
        loader(records, by_id, scope)
    return [records[p.pk] for p in patients]


def _load_plans(records: dict, episodes_by_id: dict) -> None:
    plans = list(
        TreatmentPlan.objects.filter(episode_id__in=list(episodes_by_id))
        .select_related("current")
        .order_by("id")
    )
    if not plans:
        return
    drafts = {}
    for v in PlanVersion.objects.filter(
        plan_id__in=[p.pk for p in plans if p.current_id is None],
        status__in=[VersionStatus.DRAFT, VersionStatus.AWAITING],
    ).order_by("number"):
        drafts[v.plan_id] = v
    versions = {}
    for plan in plans:
        v = _plan_version(plan, drafts)
        if v is not None:
            versions[v.pk] = (plan, v)
    interventions = PlanIntervention.objects.select_related("responsible").prefetch_related(
        "support_persons"
    )
    problems = (
        PlanProblem.objects.filter(version_id__in=list(versions))
        .prefetch_related(
            "diagnoses",
            Prefetch(
                "goals",
                queryset=PlanGoal.objects.prefetch_related(
                    Prefetch(
                        "objectives",
                        queryset=PlanObjective.objects.prefetch_related(
                            Prefetch("interventions", queryset=interventions)
                        ),
                    )
                ),
            ),
        )
        .order_by("position", "id")
    )
    by_version: dict[int, list] = {vid: [] for vid in versions}
    for problem in problems:
        by_version[problem.version_id].append(problem)
    for vid, (plan, version) in versions.items():
        plan.episode = episodes_by_id[plan.episode_id]
        records[plan.patient_id].plans.append((plan, version, by_version[vid]))


def practitioners_for(records, organization_id: int) -> list:
    """The staff the records reference, each with their credentials (two queries)."""
    users = {}
    for r in records:
        for ep in r.episodes:
            if ep.primary_clinician_id:
                users[ep.primary_clinician_id] = ep.primary_clinician
        for _plan, _version, problems in r.plans:
            for problem in problems:
                for goal in problem.goals.all():
                    for objective in goal.objectives.all():
                        for iv in objective.interventions.all():
                            users[iv.responsible_id] = iv.responsible
        users.update(r.users)
    creds: dict[int, list] = {}
    for c in StaffCredential.objects.filter(
        user_id__in=list(users), organization_id=organization_id
    ).order_by("expires_on", "id"):
        creds.setdefault(c.user_id, []).append(c)
    return [(u, creds.get(uid, [])) for uid, u in users.items()]
