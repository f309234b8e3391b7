"""Session notes: the list, writing a group note (group part once, individual
parts per attendee with their plan objectives) or a DAP note, signing (with
the near-identical warning), addenda after signing."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from openiop.audit.services import audit_read
from openiop.core.decorators import requires
from openiop.core.errors import ApplicationError
from openiop.core.pagination import paginate
from openiop.scheduling import selectors
from openiop.scheduling.models import Note, NoteKind
from openiop.scheduling.services import notes as note_services


@requires("note.view")
def notes(request):
    mine = request.GET.get("mine") == "1"
    qs = selectors.notes_list(request.user, mine=request.user if mine else None)
    status = request.GET.get("status")
    if status in ("draft", "signed"):
        qs = qs.filter(status=status)
    return render(
        request,
        "scheduling/notes.html",
        {"page": paginate(request, qs), "mine": mine, "status": status},
    )


def _note(request, note_uuid, action="view") -> Note:
    note = (
        Note.objects.visible_to(request.user, action)
        .select_related("session__session_type", "session__facilitator", "signed_by", "program")
        .filter(uuid=note_uuid)
        .first()
    )
    if note is None:
        raise Http404("No such note, or not one you may see.")
    return note


@require_POST
@requires("note.write")
def note_start(request, session_uuid):
    session = selectors.session_for(request.user, session_uuid)
    try:
        note = note_services.note_start(actor=request.user, session=session)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("scheduling:session", session_uuid=session.uuid)
    return redirect("scheduling:note", note_uuid=note.uuid)


def _entries_from_post(request, entries) -> dict:
    out = {}
    for e in entries:
        ids = []
        for raw in request.POST.getlist(f"objectives_{e.patient_id}"):
            try:
                ids.append(int(raw))
            except ValueError:
                raise ApplicationError.for_field(
                    f"objectives_{e.patient_id}", "Choose objectives from the list."
                ) from None
        out[e.patient_id] = (request.POST.get(f"entry_{e.patient_id}", ""), ids)
    return out


@requires("note.view")
def note_detail(request, note_uuid):
    note = _note(request, note_uuid)
    entries = list(note.entries.select_related("patient").prefetch_related("objectives"))
    objectives = note_services.objectives_for([e.patient_id for e in entries], note.program_id)
    error, fields, warn = "", {}, None
    if request.method == "POST":
        note = _note(request, note_uuid, "write")
        action = request.POST.get("action", "save")
        try:
            if action == "addendum":
                note_services.note_addendum(
                    actor=request.user, note=note, text=request.POST.get("text", "")
                )
                messages.success(request, "Addendum added.")
                return redirect("scheduling:note", note_uuid=note.uuid)
            try:
                revision = int(request.POST.get("revision", ""))
            except ValueError:
                raise ApplicationError("Reload the note and try again.") from None
            note = note_services.note_save(
                actor=request.user,
                note=note,
                revision=revision,
                topic=request.POST.get("topic", ""),
                interventions=request.POST.get("interventions", ""),
                group_part=request.POST.get("group_part", ""),
                data=request.POST.get("data", ""),
                assessment=request.POST.get("assessment", ""),
                plan=request.POST.get("plan", ""),
                entries=_entries_from_post(request, entries),
            )
            if action == "sign":
                note_services.note_sign(
                    actor=request.user,
                    note=note,
                    confirm_similar=request.POST.get("confirm_similar") == "1",
                )
                messages.success(request, "Note signed.")
            else:
                messages.success(request, "Draft saved.")
            return redirect("scheduling:note", note_uuid=note.uuid)
        except ApplicationError as exc:
            error, fields = exc.message, exc.fields
            warn = "confirm_similar" in fields
            note.refresh_from_db()
            entries = list(note.entries.select_related("patient").prefetch_related("objectives"))
    posted = request.POST if request.method == "POST" and error else None
    rows = []
    for e in entries:
        chosen = {o.pk for o in e.objectives.all()}
        if posted is not None:
            chosen = {int(x) for x in posted.getlist(f"objectives_{e.patient_id}") if x.isdigit()}
        rows.append(
            {
                "entry": e,
                "text": posted.get(f"entry_{e.patient_id}", e.text) if posted else e.text,
                "objectives": [
                    {"o": o, "checked": o.pk in chosen} for o in objectives.get(e.patient_id, [])
                ],
                "errors": fields.get(f"entry_{e.patient_id}", [])
                + fields.get(f"objectives_{e.patient_id}", []),
            }
        )
    similar = note_services.similar_pairs(entries) if note.kind == NoteKind.GROUP else []
    audit_read(
        actor=request.user, event="note.view", obj=note, patient_ids=[e.patient_id for e in entries]
    )
    value = (lambda f: posted.get(f, getattr(note, f))) if posted else (lambda f: getattr(note, f))
    return render(
        request,
        "scheduling/note.html",
        {
            "note": note,
            "session": note.session,
            "rows": rows,
            "error": error,
            "fields": fields,
            "warn": warn,
            "similar": similar,
            "v": {
                f: value(f)
                for f in ("topic", "interventions", "group_part", "data", "assessment", "plan")
            },
            "can_sign": note.session.facilitator_id == request.user.pk,
            "addenda": note.addenda.select_related("author"),
        },
        status=400 if error else 200,
    )
