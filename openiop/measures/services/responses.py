"""Recording responses (scored as they are saved) and the safety alerts they raise."""

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from openiop.audit.models import Action
from openiop.audit.services import audit_record
from openiop.core.errors import ApplicationError, Conflict, NotFound
from openiop.core.transitions import transition
from openiop.measures import scoring
from openiop.measures.models import (
    AlertKind,
    AlertStatus,
    Instrument,
    RecordStatus,
    Response,
    ResponseSource,
    SafetyAlert,
)
from openiop.measures.services.common import (
    PATIENT_VIA_LINK,
    check_day,
    episode_for,
    local_today,
    require_on_patient,
)

MIN_NOTE = 5


def instrument_by_code(*, actor, code: str, organization_id: int | None = None) -> Instrument:
    """An active instrument the actor may use, by code (404 if there is none)."""
    qs = Instrument.objects.visible_to(actor, "view").filter(code=(code or "")[:20], is_active=True)
    if organization_id is not None:
        qs = qs.filter(Q(organization__isnull=True) | Q(organization_id=organization_id))
    found = qs.order_by("organization_id", "id").first()
    if found is None:
        raise NotFound(
            f"There is no instrument with the code {code!r}. "
            "Shipped codes: phq9, gad7, audit, auditc, dast10, pcl5, bam."
        )
    return found


def patient_sex(patient) -> str | None:
    return patient.sex_at_birth if patient.sex_at_birth in ("female", "male") else None


def response_record(
    *,
    actor,
    patient,
    instrument: Instrument,
    answers,
    administered_on=None,
    episode=None,
    sex: str | None = None,
    source: str = ResponseSource.STAFF,
) -> Response:
    """Score and save a response, and raise its safety alerts, in one transaction.

    `actor` is None only for a patient's own submission through a one-time link
    (the link service has checked the link). Bad answers raise AnswerError and
    nothing is written.
    """
    if actor is not None:
        require_on_patient(actor, patient, "measure.record")
    elif source != ResponseSource.PATIENT_LINK:
        raise ApplicationError("A response needs someone who recorded it.")
    if not instrument.is_active:
        raise ApplicationError.for_field("instrument", "This instrument is no longer in use.")
    if instrument.organization_id not in (None, patient.organization_id):
        raise ApplicationError.for_field("instrument", "Choose an instrument of this organization.")
    episode = episode_for(patient, episode, actor=actor)
    if administered_on is None:
        administered_on = local_today(episode, patient)
    administered_on = check_day(
        "administered_on", administered_on, patient, what="it was given", episode=episode
    )
    if sex is None:
        sex = patient_sex(patient)
    result = scoring.score(instrument.definition, answers, sex=sex)
    with transaction.atomic():
        response = Response.objects.create(
            organization_id=patient.organization_id,
            patient=patient,
            episode=episode,
            instrument=instrument,
            administered_on=administered_on,
            answers=result.answers,
            sex=result.sex or "",
            total=result.total,
            band=result.band or "",
            band_label=result.band_label or "",
            severity=result.severity,
            scored=result.scored,
            result={k: v for k, v in result.as_dict().items() if k != "answers"},
            source=source,
            created_by=actor,
        )
        audit_record(
            actor=actor,
            action=Action.CREATE,
            event="measure.response.create",
            obj=response,
            patient=patient,
            changed_fields=["answers", "total", "band"],
            detail={"instrument": instrument.code, "source": source},
            actor_name=PATIENT_VIA_LINK if actor is None else None,
        )
        raise_alerts(actor=actor, response=response, result=result)
    return response


def response_mark_in_error(*, actor, response: Response, reason: str) -> Response:
    """Mark a response entered in error (it stays, out of trends and outcomes)."""
    require_on_patient(actor, response.patient, "measure.record", Action.UPDATE)
    reason = (reason or "").strip()
    if len(reason) < MIN_NOTE:
        raise ApplicationError.for_field("reason", "Say why it was entered in error.")
    if response.status == RecordStatus.ENTERED_IN_ERROR:
        raise Conflict("This response is already marked entered in error.")
    with transaction.atomic():
        transition(
            response,
            to=RecordStatus.ENTERED_IN_ERROR,
            from_=RecordStatus.FINAL,
            message="This response is already marked entered in error.",
            status_reason=reason[:300],
        )
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            event="measure.response.entered_in_error",
            obj=response,
            patient=response.patient,
            changed_fields=["status", "status_reason"],
        )
    return response


# safety alerts ---------------------------------------------------------------


def _previous_in_episode(response: Response) -> Response | None:
    """The last scored response to the same instrument in the same episode: a
    rise is judged within the current treatment, not against a score from an
    earlier admission."""
    if response.episode_id is None:
        return None
    return (
        Response.objects.filter(
            patient_id=response.patient_id,
            instrument_id=response.instrument_id,
            episode_id=response.episode_id,
            status=RecordStatus.FINAL,
            scored=True,
        )
        .exclude(pk=response.pk)
        .filter(
            Q(administered_on__lt=response.administered_on)
            | Q(administered_on=response.administered_on, id__lt=response.pk)
        )
        .order_by("-administered_on", "-id")
        .only("band", "severity", "total", "band_label")
        .first()
    )


def _alerts_to_raise(response: Response, result: scoring.Score) -> list[tuple[str, str]]:
    definition = response.instrument.definition
    name = response.instrument.short_name
    wanted = []
    items = {it["id"]: it for it in definition["items"]}
    for code in result.alerts:
        rule = next(
            r for r in definition.get("alerts", []) if code in (r["code"], r.get("when_unanswered"))
        )
        if code == rule.get("when_unanswered"):
            wanted.append((AlertKind.SELF_HARM_UNANSWERED, rule["unanswered_label"]))
            continue
        value = result.answers.get(rule["item"])
        options = definition["option_sets"][items[rule["item"]]["options"]]
        answer = next((o["label"] for o in options if o["value"] == value), value)
        kind = AlertKind.SELF_HARM_ITEM if code == "self_harm_item" else AlertKind.ITEM
        wanted.append((kind, f'{rule["label"]}: "{answer}"'))
    if result.total is None:
        return wanted
    previous = _previous_in_episode(response)
    rise = definition.get("attention_rise", {}).get("points")
    if result.severe_band and (previous is None or previous.band != result.band):
        was = f" (was {previous.band_label or 'not scored'})" if previous else " (first score)"
        wanted.append((AlertKind.SEVERE_BAND, f"{name} {result.total}: {result.band_label}{was}"))
    elif (
        rise
        and previous is not None
        and previous.total is not None
        and result.total - previous.total >= rise
    ):
        wanted.append(
            (
                AlertKind.LARGE_RISE,
                f"{name} up {result.total - previous.total} points: "
                f"{previous.total} to {result.total}",
            )
        )
    return wanted


def raise_alerts(*, actor, response: Response, result: scoring.Score) -> list[SafetyAlert]:
    """Open the alerts a response calls for (inside the caller's transaction)."""
    from openiop.measures.services.alerts import alert_raise

    return [
        alert_raise(
            actor=actor,
            patient=response.patient,
            kind=kind,
            summary=summary,
            response=response,
        )
        for kind, summary in _alerts_to_raise(response, result)
    ]


def alert_acknowledge(*, actor, alert: SafetyAlert, note: str) -> SafetyAlert:
    """Close an alert with a note of what was done. Refuses a second acknowledgement."""
    if not SafetyAlert.objects.visible_to(actor, "acknowledge").filter(pk=alert.pk).exists():
        from openiop.access.services import deny

        deny(actor, "alert.acknowledge", action=Action.UPDATE)
    note = (note or "").strip()
    if len(note) > 2000:
        raise ApplicationError.for_field("note", "Keep the note under 2,000 characters.")
    if len(note) < MIN_NOTE:
        raise ApplicationError.for_field(
            "note", "Write what was done (a few words at least) before acknowledging."
        )
    now = timezone.now()
    with transaction.atomic():
        updated = SafetyAlert.objects.filter(pk=alert.pk, status=AlertStatus.OPEN).update(
            status=AlertStatus.ACKNOWLEDGED,
            acknowledged_by=actor,
            acknowledged_at=now,
            acknowledgement_note=note[:2000],
            next_escalation_at=None,
            updated_at=now,
        )
        if not updated:
            alert.refresh_from_db()
            who = alert.acknowledged_by.get_display_name() if alert.acknowledged_by else "someone"
            raise Conflict(
                f"This alert was already acknowledged by {who} "
                f"at {timezone.localtime(alert.acknowledged_at):%Y-%m-%d %H:%M %Z}."
            )
        alert.refresh_from_db()
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            event="safety_alert.acknowledge",
            obj=alert,
            patient=alert.patient,
            changed_fields=["status", "acknowledged_by", "acknowledgement_note"],
        )
    return alert
