"""Reads for measurement-based care, always from `visible_to` (or its
one-patient form `for_patient`), in a constant
number of queries per page."""

import datetime as dt
from collections import OrderedDict

from django.db.models import Case, Exists, OuterRef, Q, When
from django.http import Http404
from django.utils import timezone

from openiop.access.scope import can
from openiop.care.models import Episode
from openiop.measures import charts
from openiop.measures.models import (
    AlertRecipient,
    AlertStatus,
    AlertTier,
    CheckIn,
    DrugTest,
    Instrument,
    PatientLink,
    RecordStatus,
    RecoveryStart,
    Response,
    SafetyAlert,
)
from openiop.measures.schedule import measures_due
from openiop.patients.models import Patient

CHECKIN_DAYS = 60


def visible_patient(actor, patient_uuid) -> Patient:
    patient = Patient.objects.visible_to(actor, "view").filter(uuid=patient_uuid).first()
    if patient is None:
        raise Http404("No such patient, or not one you may see.")
    return patient


def responses_for(*, actor, patient):
    """A patient's final responses. Their instruments are not joined: each row
    would decode the instrument's whole definition; see `with_instruments`."""
    return Response.objects.for_patient(actor, patient).filter(status=RecordStatus.FINAL)


def with_instruments(responses):
    """Attach each response's instrument, loading each instrument once."""
    responses = list(responses)
    found = Instrument.objects.in_bulk({r.instrument_id for r in responses})
    for r in responses:
        r.instrument = found[r.instrument_id]
    return responses


def trends(*, actor, patient) -> list[dict]:
    """Per instrument (most recent first): its charts, latest response, count."""
    grouped: OrderedDict = OrderedDict()
    rows = (
        responses_for(actor=actor, patient=patient)
        .defer("answers")
        .order_by("administered_on", "administered_at", "id")
    )
    for r in with_instruments(rows):
        grouped.setdefault(r.instrument_id, []).append(r)
    out = []
    for rs in grouped.values():
        instrument = rs[-1].instrument
        out.append(
            {
                "instrument": instrument,
                "responses": rs,
                "latest": rs[-1],
                "first": rs[0],
                "count": len(rs),
                "charts": charts.response_charts(instrument, rs),
            }
        )
    out.sort(key=lambda t: t["latest"].administered_on, reverse=True)
    return out


def patient_measures(*, actor, patient, today: dt.date | None = None) -> dict:
    """Everything the patient's measures page shows."""
    today = today or timezone.localdate()
    ctx: dict = {"patient": patient, "today": today}
    if can(actor, "measure.view"):
        ctx["trends"] = trends(actor=actor, patient=patient)
        ctx["links"] = list(
            PatientLink.objects.for_patient(actor, patient)
            .select_related("instrument", "created_by")
            .defer("instrument__definition")[:8]
        )
        ctx["due"] = measures_due(
            actor=actor,
            today=today,
            episodes=Episode.objects.visible_to(actor, "view").filter(patient=patient),
        )
    if can(actor, "drug_test.view"):
        ctx["show_tests"] = True
        ctx["drug_tests"] = list(
            DrugTest.objects.for_patient(actor, patient).filter(record_status=RecordStatus.FINAL)[
                :12
            ]
        )
        ctx["recovery"] = RecoveryStart.objects.for_patient(actor, patient).first()
        if ctx["recovery"]:
            ctx["recovery_days"] = (today - ctx["recovery"].started_on).days
    if can(actor, "checkin.view"):
        checkins = list(
            CheckIn.objects.for_patient(actor, patient)
            .filter(day__gte=today - dt.timedelta(days=CHECKIN_DAYS - 1))
            .order_by("day")
        )
        ctx["show_checkins"] = bool(checkins)
        ctx["checkins"] = checkins
        ctx["checkin_chart"] = charts.checkin_chart(checkins)
        ctx["trigger_counts"] = _trigger_counts(checkins)
    if can(actor, "alert.view"):
        ctx["alerts"] = list(
            SafetyAlert.objects.for_patient(actor, patient)
            .select_related("acknowledged_by")
            .order_by("-status", "-created_at")[:10]
        )
    return ctx


def _trigger_counts(checkins) -> list[tuple[str, int]]:
    from openiop.measures.vocab import TRIGGER_LABELS

    counts: dict[str, int] = {}
    for c in checkins:
        for t in c.triggers:
            counts[t] = counts.get(t, 0) + 1
    return sorted(
        ((TRIGGER_LABELS.get(t, t), n) for t, n in counts.items()), key=lambda x: (-x[1], x[0])
    )


def chart_summary(*, actor, patient) -> dict:
    """The Measures card on the chart: latest score per instrument, the last
    drug test (a positive or missed one stands out), open alerts, recovery."""
    ctx: dict = {"patient": patient}
    if can(actor, "measure.view"):
        latest: OrderedDict = OrderedDict()
        recent = (
            responses_for(actor=actor, patient=patient)
            .defer("answers")
            .order_by("-administered_on", "-administered_at", "-id")[:60]
        )
        for r in recent:
            latest.setdefault(r.instrument_id, r)
        ctx["latest"] = with_instruments(list(latest.values())[:6])
    if can(actor, "drug_test.view"):
        tests = DrugTest.objects.for_patient(actor, patient).filter(
            record_status=RecordStatus.FINAL
        )
        ctx["last_test"] = tests.first()
        ctx["concern_tests_30"] = tests.filter(
            collected_on__gte=timezone.localdate() - dt.timedelta(days=30)
        ).exclude(outcome="negative")[:5]
        ctx["recovery"] = RecoveryStart.objects.for_patient(actor, patient).first()
        if ctx["recovery"]:
            ctx["recovery_days"] = (timezone.localdate() - ctx["recovery"].started_on).days
    if can(actor, "alert.view"):
        ctx["open_alerts"] = list(
            SafetyAlert.objects.for_patient(actor, patient).filter(status=AlertStatus.OPEN)[:5]
        )
    if can(actor, "checkin.view"):
        ctx["last_checkin"] = CheckIn.objects.for_patient(actor, patient).first()
    return ctx


def _for_user(qs, user):
    """Alerts addressed to the user, about a patient whose primary clinician the
    user now is (an alert follows the patient to a new clinician), or on the
    organization's safety queue (everyone's, until someone acknowledges it)."""
    routed = AlertRecipient.objects.filter(alert=OuterRef("pk"), user=user)
    return qs.filter(Q(Exists(routed)) | Q(episode__primary_clinician=user) | Q(on_queue=True))


def dashboard_alerts(*, user, limit: int = 10) -> tuple[list[SafetyAlert], int]:
    """Open alerts for the user's dashboard: safety alerts first, then flags for
    clinical attention, each oldest first (the longest waiting)."""
    qs = _for_user(
        SafetyAlert.objects.visible_to(user, "view").filter(status=AlertStatus.OPEN), user
    )
    tier_first = Case(When(tier=AlertTier.SAFETY, then=0), default=1)
    alerts = list(
        qs.select_related("patient", "program").order_by(tier_first, "created_at")[:limit]
    )
    count = len(alerts) if len(alerts) < limit else qs.count()
    return alerts, count


def alert_list(*, actor, status: str = "open", mine: bool = False):
    qs = SafetyAlert.objects.visible_to(actor, "view").select_related(
        "patient", "program", "acknowledged_by"
    )
    if status in AlertStatus.values:
        qs = qs.filter(status=status)
    if mine:
        qs = _for_user(qs, actor)
    if status == AlertStatus.OPEN:  # safety alerts first, each the longest waiting first
        return qs.order_by(Case(When(tier=AlertTier.SAFETY, then=0), default=1), "created_at", "id")
    return qs.order_by("-created_at", "-id")


def alert_detail(*, actor, alert_uuid) -> SafetyAlert:
    alert = (
        SafetyAlert.objects.visible_to(actor, "view")
        .filter(uuid=alert_uuid)
        .select_related(
            "patient",
            "program",
            "episode",
            "response__instrument",
            "assessment",
            "checkin",
            "acknowledged_by",
            "organization",
        )
        .prefetch_related("routing__user", "steps")
        .first()
    )
    if alert is None:
        raise Http404("No such alert, or not one you may see.")
    return alert


def dashboard_measures(user, ctx: dict) -> list[int]:
    """Add the user's open safety alerts and the measures due for their
    caseload to the dashboard context; return the patients shown (for audit)."""
    alerts, count = dashboard_alerts(user=user)
    ctx["safety_alerts"], ctx["safety_alerts_count"] = alerts, count
    if alerts:
        ctx["sections"].add("alerts")
    shown = [a.patient_id for a in alerts]
    if "caseload" in ctx["sections"] and can(user, "measure.view"):
        due = measures_due(
            actor=user,
            episodes=Episode.objects.visible_to(user, "view").filter(primary_clinician=user),
        )
        ctx["measures_due_count"] = len(due)
        ctx["measures_overdue_count"] = sum(1 for d in due if d.status == "overdue")
    return shown


def trend_for_review(*, actor, patient) -> list[dict]:
    """Every instrument's trend for a patient, newest first, for the treatment
    plan review (render with measures/_trend_chart.html, `trend=`). Empty if
    the actor may not see scores."""
    if not can(actor, "measure.view"):
        return []
    return trends(actor=actor, patient=patient)
