"""The concurrent review packet: what a payer's care manager asks for when an
authorization is reviewed, read from the record (nothing is typed for it).

ASAM ratings at admission and at the latest assessment with the change per
dimension, diagnoses, attendance and hours per week against the program's
band (the hours ledger), instrument trends, progress per objective of the
signed plan in effect, the plan's signatures, and discharge planning. A fixed
number of queries whatever the length of the record.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Case, OuterRef, Subquery, When

from openiop.billing.authorization_selectors import standing
from openiop.billing.selectors import authorization_used
from openiop.care.plans.asam import DIMENSION_CODES, DIMENSION_NAMES, LEVELS
from openiop.care.plans.discharge_models import DischargeSummary
from openiop.care.plans.models import Assessment, AssessmentStatus, Diagnosis, DiagnosisStatus
from openiop.care.plans.plan_models import (
    ObjectiveProgress,
    PlanObjective,
    PlanReview,
    PlanSignature,
    PlanStatus,
    TreatmentPlan,
)

LEDGER_WEEKS = 8


@dataclass
class AsamRow:
    code: str
    name: str
    admission: int | None
    latest: int | None

    @property
    def change(self) -> int | None:
        if self.admission is None or self.latest is None:
            return None
        return self.latest - self.admission


@dataclass
class Packet:
    authorization: object
    episode: object
    patient: object
    standing: object
    history: list = field(default_factory=list)
    admission: Assessment | None = None
    latest: Assessment | None = None
    asam: list[AsamRow] = field(default_factory=list)
    diagnoses: list = field(default_factory=list)
    ledger: object = None
    trend: list = field(default_factory=list)
    plan: TreatmentPlan | None = None
    objectives: list = field(default_factory=list)
    signatures: list = field(default_factory=list)
    last_review: PlanReview | None = None
    summary: object = None
    aftercare: list = field(default_factory=list)

    @property
    def level_change(self) -> tuple[str, str] | None:
        if not self.admission or not self.latest:
            return None
        levels = (_level(self.admission), _level(self.latest))
        return levels if levels[0] != levels[1] else None

    @property
    def expected_end(self) -> dt.date | None:
        """The last target date of the plan's objectives still open."""
        open_ = [o.target_on for o in self.objectives if o.shown_status not in ("met",)]
        return max(open_) if open_ else None


def _level(a: Assessment) -> str:
    code = a.chosen_level or a.recommended_level
    return LEVELS.get(code, code or "not recorded")


def _assessments(episode) -> tuple[Assessment | None, Assessment | None]:
    rows = Assessment.objects.filter(episode=episode, status=AssessmentStatus.COMPLETED).only(
        "assessed_on", "dimensions", "chosen_level", "recommended_level", "episode_id"
    )
    first = rows.order_by("assessed_on", "id").first()
    last = rows.order_by("-assessed_on", "-id").first()
    return first, last


def _asam(first, last) -> list[AsamRow]:
    if first is None:
        return []
    return [
        AsamRow(code, DIMENSION_NAMES[code], first.rating(code), last.rating(code))
        for code in DIMENSION_CODES
    ]


def _objectives(version) -> list[PlanObjective]:
    """Objectives of the version, each with its latest progress (status, note, date)."""
    last = ObjectiveProgress.objects.filter(objective_key=OuterRef("key")).order_by(
        "-review__reviewed_on", "-id"
    )
    rows = list(
        PlanObjective.objects.filter(goal__problem__version=version)
        .select_related("goal__problem")
        .annotate(
            progress_status=Subquery(last.values("status")[:1]),
            progress_note=Subquery(last.values("note")[:1]),
            progress_on=Subquery(last.values("review__reviewed_on")[:1]),
        )
        .order_by("goal__problem__position", "goal__position", "position", "id")
    )
    for o in rows:
        o.shown_status = o.progress_status or o.status
    return rows


def review_packet(*, actor, authorization, today: dt.date) -> Packet:
    """Everything the packet shows, from the record."""
    from openiop.measures.selectors import trend_for_review
    from openiop.scheduling.ledger import hours_ledger

    episode = authorization.episode
    patient = authorization.patient
    chain = list(
        type(authorization)
        .objects.filter(episode=episode, payer_id=authorization.payer_id)
        .exclude(status="denied")
        .order_by("starts_on", "id")
    )
    used = authorization_used([a.pk for a in chain] or [authorization.pk])
    for a in chain:
        a.standing = standing(a, used.get(a.pk, 0), today)
    authorization.standing = standing(authorization, used.get(authorization.pk, 0), today)
    packet = Packet(
        authorization=authorization,
        episode=episode,
        patient=patient,
        standing=authorization.standing,
        history=chain,
    )
    packet.admission, packet.latest = _assessments(episode)
    packet.asam = _asam(packet.admission, packet.latest)
    packet.diagnoses = list(
        Diagnosis.objects.filter(episode=episode)
        .exclude(status=DiagnosisStatus.ENTERED_IN_ERROR)
        .order_by("status", "-is_primary", "code")
    )
    packet.ledger = hours_ledger(episode, weeks=LEDGER_WEEKS, today=today)
    packet.trend = trend_for_review(actor=actor, patient=patient)
    plan = (
        TreatmentPlan.objects.filter(episode=episode, current__isnull=False)
        .select_related("current")
        # the open plan first, else the last one
        .order_by(Case(When(status=PlanStatus.OPEN, then=0), default=1), "-created_at", "-id")
        .first()
    )
    packet.plan = plan
    if plan is not None:
        packet.objectives = _objectives(plan.current)
        packet.signatures = list(PlanSignature.objects.filter(version=plan.current))
        packet.last_review = PlanReview.objects.filter(plan=plan).first()
    packet.summary = DischargeSummary.objects.filter(episode=episode).first()
    if packet.summary is not None:
        packet.aftercare = list(packet.summary.aftercare_items.all())
    return packet
