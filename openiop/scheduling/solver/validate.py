"""Check an `Instance` before solving; the first problem raises `InstanceError`.

Each message is one sentence that names the record and what is wrong, so the
Django side can show it beside the field (or as the API's field error) and
write nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from openiop.scheduling.solver.clock import zone
from openiop.scheduling.solver.model import (
    Instance,
    InstanceError,
    Interval,
    Modality,
    RoomKind,
)
from openiop.scheduling.solver.windows import subtract

MAX_NEED_COUNT = 14


def check_windows(windows: Iterable[Interval], *, owner: str, field: str) -> None:
    """Refuse overlapping windows: they are almost always a data-entry mistake."""
    ordered = sorted(windows)
    for a, b in zip(ordered, ordered[1:], strict=False):
        if a.overlaps(b):
            raise InstanceError(
                f"{owner} has overlapping availability windows: {a.label()} and {b.label()}.",
                field=field,
            )


def _unique(ids: Iterable[str], what: str) -> None:
    dupes = [i for i, n in Counter(ids).items() if n > 1]
    if dupes:
        raise InstanceError(f"Two {what} share the id '{dupes[0]}'.", field=what)


def validate(instance: Instance) -> None:
    inst = instance
    if inst.week.weekday() != 0:
        raise InstanceError(
            f"A week starts on a Monday; {inst.week:%Y-%m-%d} is not one.", field="week"
        )
    _unique((s.id for s in inst.sites), "sites")
    _unique((r.id for r in inst.rooms), "rooms")
    _unique((c.id for c in inst.clinicians), "clinicians")
    _unique((p.id for p in inst.programs), "programs")
    _unique((t.code for t in inst.session_types), "session_types")
    _unique((o.id for o in inst.offers), "offers")
    _unique((p.id for p in inst.patients), "patients")
    for site in inst.sites:
        zone(site.time_zone)
    for room in inst.rooms:
        where = f"rooms[{room.id}]"
        if room.site_id not in inst.site:
            raise InstanceError(
                f"Room {room.name} names an unknown site.", field=f"{where}.site_id"
            )
        if room.capacity < 1:
            raise InstanceError(
                f"Room {room.name} must seat at least one person.", field=f"{where}.capacity"
            )
        if room.open_hours is not None:
            check_windows(room.open_hours, owner=f"Room {room.name}", field=f"{where}.open_hours")
    if not any(c.availability for c in inst.clinicians):
        raise InstanceError(
            f"The week of {inst.week:%Y-%m-%d} has no staff with working hours: "
            "nobody can run a session.",
            field="clinicians",
        )
    if not any(subtract(c.availability, c.leave) for c in inst.clinicians):
        raise InstanceError(
            f"The week of {inst.week:%Y-%m-%d} has no staff: every clinician is on leave "
            "or has no working hours.",
            field="clinicians",
        )
    for c in inst.clinicians:
        where = f"clinicians[{c.id}]"
        check_windows(c.availability, owner=f"Clinician {c.name}", field=f"{where}.availability")
        unknown = sorted(set(c.site_ids) - set(inst.site))
        if unknown:
            raise InstanceError(
                f"Clinician {c.name} works at an unknown site '{unknown[0]}'.",
                field=f"{where}.site_ids",
            )
        if c.max_weekly_minutes is not None and c.max_weekly_minutes < 0:
            raise InstanceError(
                f"Clinician {c.name} has a negative weekly cap.",
                field=f"{where}.max_weekly_minutes",
            )
    for p in inst.programs:
        where = f"programs[{p.id}]"
        if p.site_id not in inst.site:
            raise InstanceError(
                f"Program {p.name} names an unknown site.", field=f"{where}.site_id"
            )
        if p.min_weekly_minutes < 0 or (
            p.max_weekly_minutes is not None and p.max_weekly_minutes < p.min_weekly_minutes
        ):
            raise InstanceError(
                f"Program {p.name}'s weekly hours band is out of order.",
                field=f"{where}.max_weekly_minutes",
            )
    for t in inst.tracks:
        if t.program_id not in inst.program:
            raise InstanceError(
                f"Track {t.name} names an unknown program.", field=f"tracks[{t.id}].program_id"
            )
    _validate_offers(inst)
    _validate_patients(inst)
    for prev in inst.previous:
        if prev.offer_id is None and (prev.session_type is None or prev.interval is None):
            raise InstanceError(
                "A previous assignment needs either a group offer or a session type and time.",
                field="previous",
            )


def _validate_offers(inst: Instance) -> None:
    for o in inst.offers:
        where = f"offers[{o.id}]"
        stype = inst.session_type.get(o.session_type)
        if stype is None:
            raise InstanceError(
                f"Group offer {o.id} has an unknown session type '{o.session_type}'.",
                field=f"{where}.session_type",
            )
        if not stype.is_group:
            raise InstanceError(
                f"Group offer {o.id} is for '{stype.name}', which is not a group.",
                field=f"{where}.session_type",
            )
        if o.program_id not in inst.program:
            raise InstanceError(
                f"Group offer {o.id} names an unknown program.", field=f"{where}.program_id"
            )
        if o.interval.minutes != stype.duration_min:
            raise InstanceError(
                f"Group offer {o.id} lasts {o.interval.minutes} minutes but a {stype.name} "
                f"lasts {stype.duration_min}.",
                field=f"{where}.interval",
            )
        if o.track_id is not None and o.track_id not in inst.track:
            raise InstanceError(
                f"Group offer {o.id} names an unknown track.", field=f"{where}.track_id"
            )
        if o.room_id is not None:
            room = inst.room.get(o.room_id)
            if room is None or room.kind != RoomKind.GROUP:
                raise InstanceError(
                    f"Group offer {o.id} names a room that is not a group room.",
                    field=f"{where}.room_id",
                )
            if room.site_id != inst.program[o.program_id].site_id:
                raise InstanceError(
                    f"Group offer {o.id} is in a room at another site.", field=f"{where}.room_id"
                )
        if o.facilitator_id is not None and o.facilitator_id not in inst.clinician:
            raise InstanceError(
                f"Group offer {o.id} names an unknown facilitator.", field=f"{where}.facilitator_id"
            )
        if o.locked_members and (
            o.facilitator_id is None or (o.room_id is None and not o.telehealth)
        ):
            raise InstanceError(
                f"Running group {o.id} must name its facilitator and room.",
                field=f"{where}.locked_members",
            )


def _validate_patients(inst: Instance) -> None:
    for p in inst.patients:
        where = f"patients[{p.id}]"
        who = f"Patient {p.display}"
        if p.program_id not in inst.program:
            raise InstanceError(f"{who} is in an unknown program.", field=f"{where}.program_id")
        check_windows(p.availability, owner=who, field=f"{where}.availability")
        if p.track_id is not None and p.track_id not in inst.track:
            raise InstanceError(f"{who} prefers an unknown track.", field=f"{where}.track_id")
        seen: set[str] = set()
        for need in p.needs:
            stype = inst.session_type.get(need.session_type)
            if stype is None:
                raise InstanceError(
                    f"{who} has a need for an unknown session type '{need.session_type}'.",
                    field=f"{where}.needs",
                )
            if need.session_type in seen:
                raise InstanceError(
                    f"{who} lists '{stype.name}' twice; give one need with a count.",
                    field=f"{where}.needs",
                )
            seen.add(need.session_type)
            if not 1 <= need.count <= MAX_NEED_COUNT:
                raise InstanceError(
                    f"{who} needs {need.count} '{stype.name}' a week; "
                    f"a count is 1 to {MAX_NEED_COUNT}.",
                    field=f"{where}.needs",
                )
            if need.duration_min is not None:
                if stype.modality == Modality.GROUP:
                    raise InstanceError(
                        f"{who}: a group lasts as long as its offer; drop the duration.",
                        field=f"{where}.needs",
                    )
                if not 5 <= need.duration_min <= 24 * 60:
                    raise InstanceError(
                        f"{who} needs a '{stype.name}' of {need.duration_min} minutes; a session "
                        "must last 5 minutes to one day.",
                        field=f"{where}.needs",
                    )
            if (
                need.preferred_clinician_id is not None
                and need.preferred_clinician_id not in inst.clinician
            ):
                raise InstanceError(f"{who} prefers an unknown clinician.", field=f"{where}.needs")
