"""Billing pages: charges. The list (filters, totals), creating charges from the
ready days after a confirmation that shows how many and how much, and voiding
a day's charges with a reason. Codes, amounts, dates, the patient's name and
MRN: no clinical narrative."""

import datetime as dt

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone

from openiop.access.scope import can
from openiop.audit.services import audit_read
from openiop.billing import charge_selectors as sel
from openiop.billing.day_models import ChargeKind, DayStatus
from openiop.billing.services.charges import REASON_MAX, charge_void, charges_create
from openiop.billing.services.charges import charges_preview as preview
from openiop.core.decorators import requires
from openiop.core.errors import ApplicationError, Conflict
from openiop.core.forms import apply_errors
from openiop.core.pagination import paginate

DATE = forms.DateInput(attrs={"type": "date"})


class ChargeFilterForm(forms.Form):
    program = forms.ModelChoiceField(queryset=None, required=False, empty_label="All programs")
    payer = forms.ModelChoiceField(queryset=None, required=False, empty_label="All payers")
    date_from = forms.DateField(label="From", required=False, widget=DATE)
    date_to = forms.DateField(label="To", required=False, widget=DATE)
    kind = forms.ChoiceField(
        choices=[("", "Charges and voids"), *ChargeKind.choices], required=False
    )

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["program"].queryset = sel.programs_for(actor)
        self.fields["payer"].queryset = sel.payers_for(actor)

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_to"] < data["date_from"]:
            self.add_error("date_to", "The end date is before the start date.")
        return data


class ChargeCreateForm(forms.Form):
    through = forms.DateField(
        label="Charge ready days through", widget=DATE, help_text="Usually yesterday."
    )
    program = forms.ModelChoiceField(queryset=None, required=False, empty_label="All programs")

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["program"].queryset = sel.programs_for(actor, "billing.charge")

    def clean_through(self):
        through = self.cleaned_data["through"]
        if through >= timezone.localdate():
            raise forms.ValidationError("Charge days that are over: up to yesterday.")
        return through


class VoidForm(forms.Form):
    reason = forms.CharField(
        max_length=REASON_MAX,
        required=False,  # the service says what is missing, in its own words
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Why these charges are reversed (kept with the voiding entries).",
    )


@requires("billing.view")
def charge_list(request):
    form = ChargeFilterForm(request.GET or None, actor=request.user)
    form.is_valid()  # a bad filter is shown and left out; the valid ones still apply
    data = form.cleaned_data if form.is_bound else {}
    rows = sel.charge_list(
        actor=request.user,
        program=data.get("program"),
        payer=data.get("payer"),
        date_from=data.get("date_from"),
        date_to=data.get("date_to"),
        kind=data.get("kind", ""),
    )
    page = paginate(request, sel.charge_rows(rows), per_page=50)
    audit_read(
        actor=request.user,
        event="charge.list",
        patient_ids=[c.patient_id for c in page.object_list],
    )
    return render(
        request,
        "billing/charges_list.html",
        {
            "form": form,
            "page": page,
            "totals": sel.charge_totals(rows),
            "may_charge": can(request.user, "billing.charge"),
            "may_void": can(request.user, "billing.manage"),
            "billed": DayStatus.BILLED,
        },
    )


def _yesterday() -> dt.date:
    return timezone.localdate() - dt.timedelta(days=1)


def _organizations(actor, program):
    if program is not None:
        return [program.organization]
    return list(sel.organizations_for(actor, "billing.charge"))


@requires("billing.charge")
def charge_create(request):
    """GET: how many ready days and how much, with the button; POST: create."""
    if request.method == "POST":
        form = ChargeCreateForm(request.POST, actor=request.user)
        if form.is_valid():
            through, program = form.cleaned_data["through"], form.cleaned_data["program"]
            total = {"days": 0, "charges": 0, "skipped": 0, "amount": 0}
            try:
                for org in _organizations(request.user, program):
                    done = charges_create(
                        organization=org, through=through, program=program, actor=request.user
                    )
                    for k in total:
                        total[k] += done[k]
            except ApplicationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(
                    request,
                    f"Charged {total['days']} day(s) in {total['charges']} line(s), "
                    f"{total['amount']:.2f} in all."
                    + (
                        f" {total['skipped']} day(s) were charged meanwhile by another run."
                        if total["skipped"]
                        else ""
                    ),
                )
                return redirect("billing:charges")
        return render(request, "billing/charges_create.html", {"form": form, "summary": None})
    query = request.GET if "through" in request.GET else {"through": _yesterday()}
    form = ChargeCreateForm(query, actor=request.user)
    valid = form.is_valid()
    through = form.cleaned_data.get("through") if valid else None
    program = form.cleaned_data.get("program") if valid else None
    summary = None
    if valid:
        summary = {"days": 0, "lines": 0, "amount": 0}
        for org in _organizations(request.user, program):
            p = preview(actor=request.user, organization=org, through=through, program=program)
            for k in summary:
                summary[k] += p[k]
    return render(
        request,
        "billing/charges_create.html",
        {"form": form, "summary": summary, "through": through, "program": program},
    )


@requires("billing.manage")
def void(request, day_uuid):
    day, lines = sel.day_for_void(actor=request.user, day_uuid=day_uuid)
    if day is None:
        raise Http404
    form = VoidForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            voids = charge_void(
                actor=request.user, charge_or_day=day, reason=form.cleaned_data["reason"]
            )
        except Conflict as exc:
            messages.error(request, exc.message)
            return redirect("billing:charges")
        except ApplicationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(
                request,
                f"Voided {len(voids)} line(s) of {day.patient.display_name}'s "
                f"{day.date:%Y-%m-%d}; the day is held and will be evaluated again.",
            )
            return redirect("billing:charges")
    audit_read(actor=request.user, event="charge.read", obj=day, patient=day.patient)
    return render(
        request,
        "billing/charges_void.html",
        {"day": day, "lines": lines, "form": form, "billed": day.status == DayStatus.BILLED},
    )


urlpatterns = [
    path("charges/", charge_list, name="charges"),
    path("charges/create/", charge_create, name="charges_create"),
    path("charges/days/<uuid:day_uuid>/void/", void, name="charge_void"),
]
