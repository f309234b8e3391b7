"""What an import will do, item by item, decided once by the rules the writes
apply: the person's permissions (the ones the services require), the
program's admission rules (`care.services.admission_check`, the checks of
`episode_admit`) and what the patient already has (an open episode, its
diagnoses and treatment plan, their support persons).

The preview shows the decision; `import_run` decides again inside its
transaction and writes exactly what was decided, so the two cannot disagree.
What refuses the whole import raises (ApplicationError, PermissionDenied);
what is left out is a `Skip` with the reason."""

import datetime as dt
from dataclasses import dataclass, field

from openiop.access.scope import can
from openiop.access.services import require
from openiop.audit.models import Action
from openiop.core.errors import ApplicationError
from openiop.interop import import_extensions
from openiop.interop.services.import_report import Skip, grouped

HIDDEN_MATCH = (
    "A patient with this name and birth date is already registered in a program you do not "
    "work in; ask its staff to admit them."
)
NO_RECORD = "your role does not write the clinical record: a clinician can add it"


@dataclass
class ImportDecision:
    plan: object
    program: object
    admitted_on: dt.date
    patient: object = None  # the matching patient, or None: one is registered
    episode: object = None  # their open episode in the program, or None: an admission
    support_persons: list[dict] = field(default_factory=list)
    diagnoses: list[dict] = field(default_factory=list)
    goals: list[dict] = field(default_factory=list)
    extra: dict = field(default_factory=dict)
    not_imported: list[Skip] = field(default_factory=list)  # decided here, with the reason

    def skip(self, kind: str, reason: str, item: str = "") -> None:
        self.not_imported.append(Skip(kind, reason, item))

    @property
    def skipped(self) -> list[Skip]:
        """Everything not imported: what the Bundle's mapping left out, then this."""
        return [*self.plan.skipped, *self.not_imported]

    @property
    def skipped_groups(self):
        return grouped(self.skipped)

    @property
    def notes(self) -> list[str]:
        """What was decided here, worded for the result page."""
        return [
            f"{g.kind}: {g.count} not imported: {g.reason}." for g in grouped(self.not_imported)
        ]


def import_decide(
    *,
    actor,
    organization,
    plan,
    program,
    admitted_on: dt.date,
    admission_type: str = "step_down",
    referral_source: str = "inpatient",
    track=None,
    primary_clinician=None,
) -> ImportDecision:
    """What importing `plan` into `program` would write, and what not. No writes."""
    from openiop.care.models import Episode, EpisodeStatus
    from openiop.care.services import admission_check
    from openiop.patients.models import Patient

    where = {"organization_id": organization.pk, "program_id": program.pk}
    require(actor, "fhir.import", **where, action=Action.CREATE)
    if program.organization_id != organization.pk:
        raise ApplicationError.for_field("program", "Choose a program of this organization.")
    d = ImportDecision(plan=plan, program=program, admitted_on=admitted_on, patient=plan.match)
    admission = {
        "program": program,
        "admitted_on": admitted_on,
        "admission_type": admission_type,
        "referral_source": referral_source,
        "track": track,
        "primary_clinician": primary_clinician,
    }
    if d.patient is not None:
        if not Patient.objects.visible_to(actor, "view").filter(pk=d.patient.pk).exists():
            raise ApplicationError(HIDDEN_MATCH)
        d.episode = Episode.objects.filter(
            patient=d.patient, program=program, status=EpisodeStatus.ACTIVE
        ).first()
    else:
        require(actor, "patient.create", **where, action=Action.CREATE)
    if d.episode is None:
        require(actor, "episode.admit", **where, action=Action.CREATE)
        patient = d.patient or Patient(
            organization=organization, date_of_birth=plan.patient["date_of_birth"]
        )
        admission_check(patient=patient, **admission)
    else:
        d.skip(
            "Admission",
            f"the patient already has an open episode in {program.name}: the import adds to it",
            f"{program.name}, admitted {d.episode.admitted_on:%Y-%m-%d}",
        )
    _support_persons(d, actor, where)
    _clinical_record(d, actor, where)
    for label, items in plan.extra.items():
        need = import_extensions.requirement(label)
        if need is None or can(actor, need.permission, **where):
            d.extra[label] = items
        else:
            for x in items:
                d.skip(need.kind, need.reason, x.get("summary", ""))
    return d


def _support_persons(d: ImportDecision, actor, where: dict) -> None:
    from openiop.patients.models import Patient

    if not d.plan.support_persons:
        return
    if d.patient is None:
        allowed = can(actor, "patient.change", **where)
        known = set()
    else:
        allowed = Patient.objects.visible_to(actor, "change").filter(pk=d.patient.pk).exists()
        known = set(d.patient.support_persons.values_list("name", flat=True))
    for person in d.plan.support_persons:
        name = person["name"]
        if not allowed:
            d.skip("RelatedPerson", "your role does not change the patient's record", name)
        elif name in known:
            d.skip("RelatedPerson", "already a support person of this patient", name)
        else:
            d.support_persons.append(person)


def _clinical_record(d: ImportDecision, actor, where: dict) -> None:
    from openiop.care.plans.models import DiagnosisStatus
    from openiop.care.plans.plan_models import PlanStatus, TreatmentPlan

    writes = can(actor, "plan.change", **where)
    active, has_plan = set(), False
    if d.episode is not None:
        active = set(
            d.episode.diagnoses.filter(status=DiagnosisStatus.ACTIVE).values_list("code", flat=True)
        )
        has_plan = TreatmentPlan.objects.filter(episode=d.episode, status=PlanStatus.OPEN).exists()
    for x in d.plan.diagnoses:
        item = f"{x['code']} {x['description']}"
        if not writes:
            d.skip("Condition", NO_RECORD, item)
        elif x["code"] in active:
            d.skip("Condition", "already an active diagnosis of the open episode", item)
        else:
            d.diagnoses.append(x)
    for g in d.plan.goals:
        item = g["statement"][:120]
        if not writes:
            d.skip("Goal", NO_RECORD, item)
        elif has_plan:
            d.skip("Goal", "the episode already has a treatment plan: goals are not added", item)
        else:
            d.goals.append(g)
