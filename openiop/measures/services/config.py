"""An organization's own instruments, and each program's schedule of measures."""

import re

from django.db import IntegrityError, transaction

from openiop.access.scope import grant
from openiop.access.services import deny, require
from openiop.audit.models import Action
from openiop.audit.services import audit_record
from openiop.core.errors import ApplicationError
from openiop.measures import instruments as ins
from openiop.measures.models import Instrument, MeasureSchedule
from openiop.organizations.models import Program

DUPLICATE_CODE = "This organization already has an instrument with that code."
LINE_OPTION = re.compile(r"^\s*(-?\d{1,3})\s*(?:=|:|-|\s)\s*(.+?)\s*$")
LINE_BAND = re.compile(r"^\s*(\d{1,4})\s*(?:-|to)\s*(\d{1,4})\s*(?:=|:)?\s*(.+?)\s*$")


def _may_manage(actor, organization) -> None:
    g = grant(actor, "instrument.manage")
    if organization.pk in g.organization_ids:
        return
    if (
        g.program_ids
        and Program.objects.filter(organization=organization, id__in=g.program_ids).exists()
    ):
        return
    deny(actor, "instrument.manage", action=Action.CREATE)


def _lines(text: str) -> list[str]:
    return [line for line in (text or "").splitlines() if line.strip()]


def definition_from_form(
    *,
    code: str,
    short_name: str,
    name: str,
    timeframe: str,
    items_text: str,
    options_text: str,
    bands_text: str,
    reverse_text: str = "",
    max_missing: int = 0,
    prorate: bool = False,
    alert_top_band: bool = False,
    licence: str,
    source: str,
) -> dict:
    """Build a summed instrument (one set of answer options) from plain text:
    one item per line, options as "0 = Never", bands as "0-4 Minimal"."""
    items = [
        {"id": str(n), "text": text.strip(), "options": "answers"}
        for n, text in enumerate(_lines(items_text), 1)
    ]
    if not items:
        raise ApplicationError.for_field("items_text", "Write one item per line.")
    options = []
    for n, line in enumerate(_lines(options_text), 1):
        m = LINE_OPTION.match(line)
        if not m:
            raise ApplicationError.for_field(
                "options_text", f"Line {n}: write a value and its label, e.g. 0 = Not at all."
            )
        options.append({"value": int(m.group(1)), "label": m.group(2)})
    bands = []
    for n, line in enumerate(_lines(bands_text), 1):
        m = LINE_BAND.match(line)
        if not m:
            raise ApplicationError.for_field(
                "bands_text", f"Line {n}: write a range and its label, e.g. 0-4 Minimal."
            )
        label = m.group(3)
        bands.append(
            {
                "code": re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")[:30] or f"band{n}",
                "label": label,
                "min": int(m.group(1)),
                "max": int(m.group(2)),
                "severity": n - 1,
            }
        )
    if bands and alert_top_band:
        bands[-1]["alert"] = True
    reverse = [r.strip() for r in (reverse_text or "").replace(";", ",").split(",") if r.strip()]
    return {
        "schema": 1,
        "code": (code or "").strip().lower(),
        "short_name": (short_name or "").strip(),
        "name": (name or "").strip(),
        "version": 1,
        "measures": "",
        "timeframe": (timeframe or "").strip(),
        "source": (source or "").strip(),
        "licence": (licence or "").strip(),
        "loinc": {"panel": "", "total": "", "items": {}},
        "option_sets": {"answers": options},
        "items": items,
        "scoring": {
            "method": "sum",
            "reverse": reverse,
            "max_missing": max_missing,
            "missing": "prorate" if prorate and max_missing else "none",
            "missing_rule": (
                f"Scored with at most {max_missing} item(s) missing"
                + (", prorated." if prorate and max_missing else ".")
            ),
        },
        "bands": bands,
        "bands_source": "Defined by the organization.",
        "alerts": [],
        "subscales": [],
    }


def instrument_create(*, actor, organization, definition: dict) -> Instrument:
    """Add an organization's own instrument after checking its definition."""
    _may_manage(actor, organization)
    try:
        ins.validate_definition(definition)
    except ins.DefinitionError as exc:
        raise ApplicationError(
            "The instrument cannot be scored as defined: " + exc.problems[0],
            fields={"definition": exc.problems},
        ) from None
    code = definition["code"]
    if code in ins.SHIPPED_CODES:
        raise ApplicationError.for_field("code", f"{code!r} is the code of a shipped instrument.")
    if Instrument.objects.filter(organization=organization, code=code).exists():
        raise ApplicationError.for_field("code", DUPLICATE_CODE)
    try:
        with transaction.atomic():
            instrument = Instrument.objects.create(
                organization=organization,
                code=code,
                short_name=definition["short_name"][:40],
                name=definition["name"][:200],
                definition=definition,
                licence=definition["licence"],
                source=definition["source"],
                created_by=actor,
            )
            audit_record(
                actor=actor,
                action=Action.CREATE,
                event="instrument.create",
                obj=instrument,
                organization_id=organization.pk,
                detail={"code": code, "items": len(definition["items"])},
            )
    except IntegrityError:
        raise ApplicationError.for_field("code", DUPLICATE_CODE) from None
    return instrument


def instrument_set_active(*, actor, instrument: Instrument, active: bool) -> Instrument:
    if instrument.is_shipped:
        raise ApplicationError("Shipped instruments stay available; leave them off a schedule.")
    _may_manage(actor, instrument.organization)
    with transaction.atomic():
        instrument.is_active = bool(active)
        instrument.save(update_fields=["is_active", "updated_at"])
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            event="instrument.update",
            obj=instrument,
            changed_fields=["is_active"],
        )
    return instrument


def schedule_set(
    *,
    actor,
    program: Program,
    instrument: Instrument,
    at_admission: bool,
    every_weeks: int | None,
    at_discharge: bool,
) -> MeasureSchedule | None:
    """Give `instrument` in `program` at admission, every N weeks and/or at
    discharge; with none of the three the instrument leaves the schedule."""
    require(
        actor,
        "measure_schedule.manage",
        organization_id=program.organization_id,
        program_id=program.pk,
        action=Action.UPDATE,
    )
    if instrument.organization_id not in (None, program.organization_id):
        raise ApplicationError.for_field("instrument", "Choose an instrument of this organization.")
    weeks_ok = every_weeks is None or (
        isinstance(every_weeks, int)
        and not isinstance(every_weeks, bool)
        and 1 <= every_weeks <= 26
    )
    if not weeks_ok:
        raise ApplicationError.for_field(
            "every_weeks", "Repeat every 1 to 26 weeks, or leave it empty."
        )
    entry = MeasureSchedule.objects.filter(program=program, instrument=instrument).first()
    wanted = bool(at_admission or every_weeks or at_discharge)
    with transaction.atomic():
        if not wanted:
            if entry is not None:
                audit_record(
                    actor=actor,
                    action=Action.DELETE,
                    event="measure_schedule.remove",
                    obj=entry,
                    detail={"instrument": instrument.code},
                )
                entry.delete()
            return None
        if entry is None:
            entry = MeasureSchedule(
                organization_id=program.organization_id,
                program=program,
                instrument=instrument,
                created_by=actor,
            )
            action = Action.CREATE
        else:
            action = Action.UPDATE
        entry.at_admission = bool(at_admission)
        entry.every_weeks = every_weeks
        entry.at_discharge = bool(at_discharge)
        entry.save()
        audit_record(
            actor=actor,
            action=action,
            event="measure_schedule.set",
            obj=entry,
            changed_fields=["at_admission", "every_weeks", "at_discharge"],
            detail={"instrument": instrument.code},
        )
    return entry


def schedule_save(*, actor, program: Program, rows) -> list[MeasureSchedule]:
    """Set the whole schedule of a program at once: every row or none.
    `rows`: (instrument, at_admission, every_weeks, at_discharge)."""
    with transaction.atomic():
        saved = [
            schedule_set(
                actor=actor,
                program=program,
                instrument=instrument,
                at_admission=adm,
                every_weeks=weeks,
                at_discharge=dis,
            )
            for instrument, adm, weeks, dis in rows
        ]
    return [s for s in saved if s is not None]
