"""Recording responses (scored as they are saved) and the safety alerts they raise."""

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from openiop.accounts.models import Membership
from openiop.accounts.roles import Role
from openiop.audit.models import Action
from openiop.audit.services import audit_record
from openiop.core.errors import ApplicationError, Conflict, NotFound
from openiop.core.transitions import transition
from openiop.measures import scoring
from openiop.measures.models import (
    AlertKind,
    AlertRecipient,
    AlertStatus,
    Instrument,
    RecipientReason,
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
        administered_on = local_today(episode)
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


def _previous(response: Response) -> Response | None:
    return (
        Response.objects.filter(
            patient_id=response.patient_id,
            instrument_id=response.instrument_id,
            status=RecordStatus.FINAL,
            scored=True,
        )
        .exclude(pk=response.pk)
        .filter(
            Q(administered_on__lt=response.administered_on)
            | Q(administered_on=response.administered_on, id__lt=response.pk)
        )
        .order_by("-administered_on", "-id")
        .only("band", "severity")
        .first()
    )


def _alerts_to_raise(response: Response, result: scoring.Score) -> list[tuple[str, str]]:
    definition = response.instrument.definition
    name = response.instrument.short_name
    wanted = []
    items = {it["id"]: it for it in definition["items"]}
    for code in result.alerts:
        rule = next(r for r in definition.get("alerts", []) if r["code"] == code)
        value = result.answers.get(rule["item"])
        options = definition["option_sets"][items[rule["item"]]["options"]]
        answer = next((o["label"] for o in options if o["value"] == value), value)
        kind = AlertKind.SELF_HARM_ITEM if code == "self_harm_item" else AlertKind.ITEM
        wanted.append((kind, f'{rule["label"]}: "{answer}"'))
    if result.severe_band:
        previous = _previous(response)
        if previous is None or previous.band != result.band:
            was = f" (was {previous.band_label or 'not scored'})" if previous else " (first score)"
            wanted.append(
                (
                    AlertKind.SEVERE_BAND,
                    f"{name} {result.total}: {result.band_label}{was}",
                )
            )
    return wanted


def _recipients(episode, organization_id) -> list[tuple[int, str]]:
    """Who is told: the primary clinician and the program's directors; if
    there are none, the program's clinicians."""
    out: list[tuple[int, str]] = []
    if episode is None:
        return out
    clinician = episode.primary_clinician
    if clinician is not None and clinician.is_active:
        out.append((clinician.pk, RecipientReason.PRIMARY_CLINICIAN))
    in_program = Q(program_id=episode.program_id) | Q(program__isnull=True)
    members = Membership.objects.filter(
        in_program, organization_id=organization_id, is_active=True, user__is_active=True
    )
    for uid in members.filter(role=Role.PROGRAM_DIRECTOR).values_list("user_id", flat=True):
        out.append((uid, RecipientReason.PROGRAM_DIRECTOR))
    if not out:
        for uid in members.filter(role=Role.CLINICIAN).values_list("user_id", flat=True):
            out.append((uid, RecipientReason.PROGRAM_CLINICIAN))
    seen, unique = set(), []
    for uid, reason in out:
        if uid not in seen:
            seen.add(uid)
            unique.append((uid, reason))
    return unique


def raise_alerts(*, actor, response: Response, result: scoring.Score) -> list[SafetyAlert]:
    """Open the alerts a response calls for (inside the caller's transaction)."""
    raised = []
    episode = response.episode
    for kind, summary in _alerts_to_raise(response, result):
        alert = SafetyAlert.objects.create(
            organization_id=response.organization_id,
            patient_id=response.patient_id,
            episode=episode,
            program_id=episode.program_id if episode else None,
            response=response,
            kind=kind,
            summary=summary[:200],
            created_by=actor,
        )
        recipients = _recipients(episode, response.organization_id)
        AlertRecipient.objects.bulk_create(
            [AlertRecipient(alert=alert, user_id=uid, reason=reason) for uid, reason in recipients]
        )
        audit_record(
            actor=actor,
            action=Action.CREATE,
            event="safety_alert.raise",
            obj=alert,
            patient=response.patient,
            detail={"kind": kind, "recipients": len(recipients), "routed": bool(recipients)},
            actor_name=PATIENT_VIA_LINK if actor is None else None,
        )
        raised.append(alert)
    return raised


def alert_acknowledge(*, actor, alert: SafetyAlert, note: str) -> SafetyAlert:
    """Close an alert with a note of what was done. Refuses a second acknowledgement."""
    if not SafetyAlert.objects.visible_to(actor, "acknowledge").filter(pk=alert.pk).exists():
        from openiop.access.services import deny

        deny(actor, "alert.acknowledge", action=Action.UPDATE)
    note = (note or "").strip()
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
            updated_at=now,
        )
        if not updated:
            alert.refresh_from_db()
            who = alert.acknowledged_by.get_display_name() if alert.acknowledged_by else "someone"
            raise Conflict(
                f"This alert was already acknowledged by {who} "
                f"at {alert.acknowledged_at:%Y-%m-%d %H:%M} UTC."
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
