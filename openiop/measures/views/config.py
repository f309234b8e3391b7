"""Instruments (shipped and an organization's own) and each program's schedule."""

from django.contrib import messages
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render

from openiop.access.scope import grant
from openiop.core.decorators import requires
from openiop.core.errors import ApplicationError
from openiop.core.forms import apply_errors
from openiop.core.pagination import paginate
from openiop.measures import instruments as ins
from openiop.measures import services
from openiop.measures.forms import InstrumentForm, ScheduleForm
from openiop.measures.models import Instrument, MeasureSchedule
from openiop.organizations.models import Organization, Program


@requires("instrument.view")
def instrument_list(request):
    qs = Instrument.objects.visible_to(request.user, "view").order_by(
        "organization_id", "short_name"
    )
    programs = Program.objects.visible_to(request.user, "view").order_by("name")
    g = grant(request.user, "measure_schedule.manage")
    return render(
        request,
        "measures/instruments.html",
        {
            "page": paginate(request, qs),
            "schedulable": [
                p for p in programs if g.covers(organization_id=p.organization_id, program_id=p.pk)
            ],
            "can_add": bool(grant(request.user, "instrument.manage")),
        },
    )


@requires("instrument.view")
def instrument_detail(request, instrument_uuid):
    instrument = (
        Instrument.objects.visible_to(request.user, "view").filter(uuid=instrument_uuid).first()
    )
    if instrument is None:
        raise Http404("No such instrument.")
    d = instrument.definition
    items = [
        {**it, "option_list": ins.options_of(d, it), "reverse": it["id"] in ins.reverse_items(d)}
        for it in d["items"]
    ]
    return render(
        request,
        "measures/instrument_detail.html",
        {
            "instrument": instrument,
            "d": d,
            "items": items,
            "band_sets": ins.band_sets(d),
            "range": ins.total_range(d) if d["scoring"]["method"] == "sum" else None,
        },
    )


def _manageable_orgs(actor):
    g = grant(actor, "instrument.manage")
    program_orgs = Program.objects.filter(id__in=g.program_ids).values("organization_id")
    return list(
        Organization.objects.filter(id__in=g.organization_ids)
        | Organization.objects.filter(id__in=program_orgs)
    )


@requires("instrument.manage")
def instrument_new(request):
    orgs = _manageable_orgs(request.user)
    form = InstrumentForm(request.POST or None, organizations=orgs)
    if request.method == "POST" and form.is_valid():
        try:
            definition = services.definition_from_form(**form.definition_data())
            instrument = services.instrument_create(
                actor=request.user,
                organization=form.chosen_organization(),
                definition=definition,
            )
        except ApplicationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"{instrument.short_name} added.")
            return redirect("measures:instrument", instrument_uuid=instrument.uuid)
    return render(request, "measures/instrument_form.html", {"form": form})


@requires("measure_schedule.manage")
def schedule_edit(request, program_uuid):
    program = Program.objects.visible_to(request.user, "view").filter(uuid=program_uuid).first()
    if program is None:
        raise Http404("No such program.")
    if not grant(request.user, "measure_schedule.manage").covers(
        organization_id=program.organization_id, program_id=program.pk
    ):
        raise Http404("No such program that you may change.")
    instruments = list(
        Instrument.objects.filter(is_active=True)
        .filter(Q(organization__isnull=True) | Q(organization_id=program.organization_id))
        .order_by("short_name")
    )
    current = {m.instrument_id: m for m in MeasureSchedule.objects.filter(program=program)}
    form = ScheduleForm(request.POST or None, instruments=instruments, current=current)
    if request.method == "POST" and form.is_valid():
        try:
            services.schedule_save(actor=request.user, program=program, rows=list(form.wanted()))
        except ApplicationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"Schedule of measures for {program.name} saved.")
            return redirect("measures:schedule", program_uuid=program.uuid)
    return render(request, "measures/schedule.html", {"program": program, "form": form})
