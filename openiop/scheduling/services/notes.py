"""Session notes. A group note: the group part written once, then a short
individual part per attendee, linked to that attendee's plan objectives. An
individual or family session: a DAP note. Only the person who ran the
session signs; a signed note is immutable, later words are addenda."""

import difflib
import re

from django.db import transaction
from django.utils import timezone

from openiop.access.services import require
from openiop.audit.models import Action
from openiop.audit.services import audit_record
from openiop.billing.services.days import recheck_later
from openiop.care.plans.plan_models import PlanObjective, PlanStatus
from openiop.core.errors import ApplicationError, Conflict
from openiop.core.transitions import transition
from openiop.scheduling.models import (
    ATTENDED,
    Note,
    NoteAddendum,
    NoteEntry,
    NoteKind,
    NoteStatus,
    RosterStatus,
    Session,
    SessionStatus,
)

SIMILAR = 0.85  # individual parts alike beyond this ratio are flagged before signing
MAX_TEXT = 10_000


def _require(actor, session, action) -> None:
    require(
        actor,
        "note.write",
        organization_id=session.organization_id,
        program_id=session.program_id,
        action=action,
    )


def objectives_for(patient_ids, program_id) -> dict[int, list[PlanObjective]]:
    """Each patient's objectives in the signed plan in effect (for this program)."""
    out: dict[int, list] = {pid: [] for pid in patient_ids}
    rows = _objective_rows(patient_ids, program_id)
    for pid, objective in rows:
        out.setdefault(pid, []).append(objective)
    return out


def _objective_rows(patient_ids, program_id):
    from django.db.models import F

    qs = (
        PlanObjective.objects.filter(
            goal__problem__version__plan__patient_id__in=list(patient_ids),
            goal__problem__version__plan__status=PlanStatus.OPEN,
            goal__problem__version__plan__episode__program_id=program_id,
            goal__problem__version__plan__current_id=F("goal__problem__version_id"),
        )
        .annotate(patient_id=F("goal__problem__version__plan__patient_id"))
        .order_by("goal__problem__position", "goal__position", "position", "id")
    )
    return [(o.patient_id, o) for o in qs]


def note_start(*, actor, session: Session) -> Note:
    _require(actor, session, Action.CREATE)
    if session.status != SessionStatus.SCHEDULED:
        raise ApplicationError("This session was cancelled.")
    existing = session.notes.first()
    if existing is not None:
        return existing
    if session.session_type.is_group:
        attendees = list(
            session.attendance.filter(status__in=ATTENDED).values_list("patient_id", flat=True)
        )
        if not attendees:
            raise ApplicationError(
                "Mark attendance first: the note has an individual part for each attendee."
            )
        kind = NoteKind.GROUP
    else:
        attendees = list(
            session.roster.filter(status=RosterStatus.ENROLLED).values_list("patient_id", flat=True)
        )
        if not attendees:
            raise ApplicationError("Nobody is on this session's roster.")
        kind = NoteKind.DAP
    with transaction.atomic():
        note = Note.objects.create(
            organization_id=session.organization_id,
            program_id=session.program_id,
            session=session,
            kind=kind,
            topic=session.topic,
            participants=len(attendees),
            created_by=actor,
        )
        NoteEntry.objects.bulk_create(
            [
                NoteEntry(organization_id=session.organization_id, note=note, patient_id=pid)
                for pid in attendees
            ]
        )
        audit_record(
            actor=actor, action=Action.CREATE, event="note.start", obj=note, patient_ids=attendees
        )
    return note


def _text(value, field: str, *, limit: int = MAX_TEXT) -> str:
    value = (value or "").strip()
    if len(value) > limit:
        raise ApplicationError.for_field(field, f"At most {limit} characters.")
    return value


def note_save(
    *,
    actor,
    note: Note,
    revision: int,
    topic: str = "",
    interventions: str = "",
    group_part: str = "",
    data: str = "",
    assessment: str = "",
    plan: str = "",
    entries: dict[int, tuple[str, list[int]]] | None = None,
) -> Note:
    """Save a draft. `entries`: patient id -> (individual part, objective ids)."""
    _require(actor, note.session, Action.UPDATE)
    if note.is_signed:
        raise ApplicationError("A signed note cannot change; add an addendum.")
    if revision != note.revision:
        raise Conflict(
            "Someone saved this note since you opened it; reload it to see their changes."
        )
    rows = {e.patient_id: e for e in note.entries.all()}
    entries = entries or {}
    unknown = set(entries) - set(rows)
    if unknown:
        raise ApplicationError.for_field("entries", "An individual part names a non-attendee.")
    allowed = objectives_for(rows, note.program_id)
    cleaned = {}
    for pid, (text, objective_ids) in entries.items():
        valid = {o.pk: o for o in allowed.get(pid, [])}
        bad = [i for i in objective_ids if i not in valid]
        if bad:
            raise ApplicationError.for_field(
                f"objectives_{pid}", "Choose objectives of this patient's plan in effect."
            )
        cleaned[pid] = (
            _text(text, f"entry_{pid}", limit=2000),
            [valid[i] for i in objective_ids],
        )
    fields = {
        "topic": _text(topic, "topic", limit=200),
        "interventions": _text(interventions, "interventions"),
        "group_part": _text(group_part, "group_part"),
        "data": _text(data, "data"),
        "assessment": _text(assessment, "assessment"),
        "plan": _text(plan, "plan"),
    }
    with transaction.atomic():
        updated = Note.objects.filter(pk=note.pk, revision=revision).update(
            revision=revision + 1, updated_at=timezone.now(), **fields
        )
        if not updated:
            raise Conflict(
                "Someone saved this note since you opened it; reload it to see their changes."
            )
        for pid, (text, objectives) in cleaned.items():
            entry = rows[pid]
            entry.text = text
            entry.objective_keys = [str(o.key) for o in objectives]
            entry.save(update_fields=["text", "objective_keys", "updated_at"])
            entry.objectives.set(objectives)
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            event="note.save",
            obj=note,
            patient_ids=list(rows),
            changed_fields=[k for k, v in fields.items() if v != getattr(note, k)],
        )
    note.refresh_from_db()
    return note


def _normal(text: str) -> str:
    return re.sub(r"\s+", " ", text.lower()).strip()


def similar_pairs(entries) -> list[tuple[object, object, int]]:
    """Pairs of individual parts that read near-identically, with their % likeness."""
    items = [(e, _normal(e.text)) for e in entries if e.text.strip()]
    out = []
    for i, (a, ta) in enumerate(items):
        for b, tb in items[i + 1 :]:
            ratio = difflib.SequenceMatcher(None, ta, tb).ratio()
            if ratio >= SIMILAR:
                out.append((a, b, round(ratio * 100)))
    return out


def similar_by_entry(pairs) -> dict[int, int]:
    """Each entry of a near-identical pair with its highest likeness (%)."""
    out: dict[int, int] = {}
    for a, b, pct in pairs:
        for e in (a, b):
            out[e.pk] = max(out.get(e.pk, 0), pct)
    return out


def note_sign(*, actor, note: Note, confirm_similar: bool = False) -> Note:
    session = note.session
    _require(actor, session, Action.UPDATE)
    if note.is_signed:
        raise ApplicationError("This note is signed already.")
    if session.facilitator_id != actor.pk:
        raise ApplicationError("Only the clinician who ran the session signs its note.")
    entries = list(note.entries.select_related("patient"))
    pairs = []
    if note.kind == NoteKind.GROUP:
        missing = [f for f in ("topic", "group_part") if not getattr(note, f).strip()]
        if missing:
            raise ApplicationError.for_field(missing[0], "Write this before signing.")
        empty = [e for e in entries if not e.text.strip()]
        if empty:
            raise ApplicationError.for_field(
                f"entry_{empty[0].patient_id}",
                f"Write the individual part for {empty[0].patient.mrn} before signing.",
            )
        pairs = similar_pairs(entries)
        if pairs and not confirm_similar:
            a, b, pct = pairs[0]
            more = f" (and {len(pairs) - 1} more pairs)" if len(pairs) > 1 else ""
            raise ApplicationError.for_field(
                "confirm_similar",
                f"The individual parts for {a.patient.mrn} and {b.patient.mrn} are {pct}% "
                f"alike{more}. Individual parts should say what was true of each person; "
                "edit them, or confirm that they are right as written.",
            )
    else:
        missing = [f for f in ("data", "assessment", "plan") if not getattr(note, f).strip()]
        if missing:
            raise ApplicationError.for_field(missing[0], "Write this before signing.")
    attended = session.attendance.filter(status__in=ATTENDED).count()
    with transaction.atomic():
        extra = {"participants": attended} if note.kind == NoteKind.GROUP else {}
        transition(
            note,
            to=NoteStatus.SIGNED,
            from_=NoteStatus.DRAFT,
            message="This note was signed a moment ago.",
            signed_by=actor,
            signed_at=timezone.now(),
            **extra,
        )
        for entry_id, pct in similar_by_entry(pairs).items():
            NoteEntry.objects.filter(pk=entry_id).update(similar_percent=pct)
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            event="note.sign",
            obj=note,
            patient_ids=[e.patient_id for e in entries],
            changed_fields=["status"],
            detail={"similar_confirmed": bool(confirm_similar)},
        )
        recheck_later(session.attendance.values_list("episode_id", flat=True))
    return note


def note_addendum(*, actor, note: Note, text: str) -> NoteAddendum:
    _require(actor, note.session, Action.CREATE)
    if not note.is_signed:
        raise ApplicationError("Edit the draft itself; addenda follow a signed note.")
    text = _text(text, "text", limit=4000)
    if not text:
        raise ApplicationError.for_field("text", "Write the addendum.")
    with transaction.atomic():
        addendum = NoteAddendum.objects.create(note=note, author=actor, text=text, created_by=actor)
        audit_record(
            actor=actor,
            action=Action.CREATE,
            event="note.addendum",
            obj=note,
            patient_ids=list(note.entries.values_list("patient_id", flat=True)),
        )
    return addendum
