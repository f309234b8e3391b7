"""Daily check-ins: mood and cravings (0-10) and the triggers met that day."""

from django.db import transaction

from openiop.audit.models import Action
from openiop.audit.services import audit_record
from openiop.core.errors import ApplicationError
from openiop.measures.models import CheckIn, CheckInSource
from openiop.measures.services.common import (
    PATIENT_SIGNED_IN,
    PATIENT_VIA_LINK,
    check_day,
    episode_for,
    local_today,
    require_on_patient,
)
from openiop.measures.vocab import TRIGGER_LABELS

MAX_NOTE = 500


def _scale(field: str, value, label: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10:
        raise ApplicationError.for_field(field, f"Choose {label} from 0 to 10.")
    return value


def checkin_record(
    *,
    actor,
    patient,
    mood,
    cravings,
    triggers=(),
    note: str = "",
    not_safe: bool = False,
    day=None,
    source: str = CheckInSource.STAFF,
    episode=None,
) -> CheckIn:
    """Save the day's check-in; a second one the same day replaces the first.

    `actor` is None for a patient using a one-time link; a signed-in patient
    passes their own user with source PORTAL.
    """
    if source == CheckInSource.STAFF:
        require_on_patient(actor, patient, "measure.record")
    elif source == CheckInSource.PORTAL:
        if actor is None or getattr(actor, "patient_record", None) != patient:
            raise ApplicationError("Only the patient can check in for themselves.")
    elif actor is not None:
        raise ApplicationError("A link check-in has no staff actor.")
    # "I do not feel safe" is enough on its own: it is never held back
    if not (not_safe and mood is None):
        mood = _scale("mood", mood, "a mood")
    if not (not_safe and cravings is None):
        cravings = _scale("cravings", cravings, "how strong the cravings were")
    triggers = list(dict.fromkeys(triggers or []))
    unknown = [t for t in triggers if t not in TRIGGER_LABELS]
    if unknown:
        raise ApplicationError.for_field("triggers", f"Unknown trigger {unknown[0]!r}.")
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise ApplicationError.for_field("note", f"Keep the note under {MAX_NOTE} characters.")
    episode = episode_for(patient, episode)
    day = check_day("day", day or local_today(episode, patient), patient, what="of the check-in")
    values = {
        "mood": mood,
        "cravings": cravings,
        "triggers": triggers,
        "note": note,
        "not_safe": bool(not_safe),
    }
    staff = actor if source == CheckInSource.STAFF else None
    actor_name = {CheckInSource.LINK: PATIENT_VIA_LINK, CheckInSource.PORTAL: PATIENT_SIGNED_IN}
    with transaction.atomic():
        existing = CheckIn.objects.select_for_update().filter(patient=patient, day=day).first()
        if existing is None:
            checkin = CheckIn.objects.create(
                organization_id=patient.organization_id,
                patient=patient,
                episode=episode,
                day=day,
                source=source,
                created_by=staff,
                **values,
            )
            action, changed = Action.CREATE, [k for k, v in values.items() if v or v == 0]
        else:
            # "I do not feel safe" said earlier today stays said: a later,
            # calmer check-in does not erase it (the alert points at it)
            values["not_safe"] = values["not_safe"] or existing.not_safe
            if existing.not_safe and existing.note and values["note"] != existing.note:
                # what they wrote with "not safe" is kept for whoever answers it,
                # and the newest words are never the ones cut
                later = f" / later: {values['note']}" if values["note"] else ""
                if len(later) < MAX_NOTE:
                    values["note"] = existing.note[: MAX_NOTE - len(later)] + later
            changed = [k for k, v in values.items() if getattr(existing, k) != v]
            for k, v in values.items():
                setattr(existing, k, v)
            existing.source = source
            existing.save()
            checkin, action = existing, Action.UPDATE
        audit_record(
            actor=actor if source != CheckInSource.LINK else None,
            action=action,
            event="checkin.record",
            obj=checkin,
            patient=patient,
            changed_fields=changed,
            detail={"source": source},
            actor_name=actor_name.get(source),
        )
        checkin.answered_alerts = []  # what this check-in's "not safe" reached
        if not_safe:
            checkin.answered_alerts = [
                _not_safe_alert(actor if source != CheckInSource.LINK else None, checkin, patient)
            ]
    return checkin


def _not_safe_alert(actor, checkin, patient):
    """ "I do not feel safe right now" pages the team: a new alert each time it
    is said, unless an alert of the day's check-in is still open (that one is
    returned: its people are already on it)."""
    from openiop.measures.models import AlertKind, AlertStatus, SafetyAlert
    from openiop.measures.services.alerts import alert_raise

    still_open = (
        SafetyAlert.objects.select_for_update()
        .filter(checkin=checkin, kind=AlertKind.CHECKIN_CRISIS, status=AlertStatus.OPEN)
        .first()
    )
    if still_open is not None:
        return still_open
    return alert_raise(
        actor=actor,
        patient=patient,
        kind=AlertKind.CHECKIN_CRISIS,
        summary=f"Check-in of {checkin.day:%Y-%m-%d}: does not feel safe right now",
        checkin=checkin,
    )
