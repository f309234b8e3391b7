"""Forms of the scheduling pages. Field checks that need the database live in
the services; these only parse."""

import datetime as dt

from django import forms

from openiop.core.errors import ApplicationError
from openiop.scheduling.localtime import monday
from openiop.scheduling.models import LeaveKind, RoomKind, TimeOfDay
from openiop.scheduling.services.availability import DAYS, Window
from openiop.scheduling.services.repair import KINDS

SLOTS = 2  # windows a day on the weekly grid


def date_from_url(value: str) -> dt.date:
    """A date from an address (YYYY-MM-DD), within years a calendar can show and
    step through (1900-2200); ValueError otherwise."""
    day = dt.date.fromisoformat(value)
    if not 1900 <= day.year <= 2200:
        raise ValueError("out of range")
    return day


def week_from(value: str | None, default: dt.date) -> dt.date:
    """A week's Monday from ?week=YYYY-MM-DD (any day of it), or the default."""
    try:
        return monday(date_from_url(value)) if value else monday(default)
    except ValueError:
        return monday(default)


def _time(value: str, field: str) -> dt.time | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return dt.time.fromisoformat(value)
    except ValueError:
        raise ApplicationError.for_field(field, f"'{value}' is not a time (HH:MM).") from None


def windows_from_post(data, *, with_notes: bool = False) -> list[Window]:
    """The weekly grid (d<day>_<slot>_start/_end/_note) as windows; a half-filled
    row is an error, an empty one is skipped."""
    out = []
    for day in range(7):
        for slot in range(SLOTS):
            key = f"d{day}_{slot}"
            start = _time(data.get(f"{key}_start", ""), "windows")
            end = _time(data.get(f"{key}_end", ""), "windows")
            if start is None and end is None:
                continue
            if start is None or end is None:
                raise ApplicationError.for_field(
                    "windows", f"{DAYS[day]}: give both a start and an end time."
                )
            note = (data.get(f"{key}_note", "") or "").strip() if with_notes else ""
            out.append(Window(day, start, end, note))
    return out


def grid_rows(rows, *, with_notes: bool = False, data=None) -> list[dict]:
    """The grid's rows for the template, from saved rows (or the posted data)."""
    by_day: dict[int, list] = {d: [] for d in range(7)}
    if data is not None:
        for day in range(7):
            for slot in range(SLOTS):
                key = f"d{day}_{slot}"
                by_day[day].append(
                    {
                        "key": key,
                        "start": data.get(f"{key}_start", ""),
                        "end": data.get(f"{key}_end", ""),
                        "note": data.get(f"{key}_note", ""),
                    }
                )
    else:
        for r in rows:
            by_day[r.weekday].append(
                {
                    "start": f"{r.start_time:%H:%M}",
                    "end": f"{r.end_time:%H:%M}",
                    "note": getattr(r, "note", ""),
                }
            )
        for day, slots in by_day.items():
            slots[:] = slots[:SLOTS] + [{"start": "", "end": "", "note": ""}] * (
                SLOTS - len(slots[:SLOTS])
            )
            for i, s in enumerate(slots):
                slots[i] = {**s, "key": f"d{day}_{i}"}
    return [{"day": DAYS[d], "slots": by_day[d], "notes": with_notes} for d in range(7)]


class PlanWeekForm(forms.Form):
    program = forms.ModelChoiceField(queryset=None, empty_label=None)
    week = forms.DateField(
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Any day of the week; the week runs Monday to Sunday.",
    )
    time_limit_s = forms.IntegerField(
        label="Time for the optimizer (seconds)", min_value=1, max_value=120, initial=10
    )

    def __init__(self, *args, programs, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["program"].queryset = programs

    def clean_week(self):
        week = self.cleaned_data["week"]
        try:
            return date_from_url(week.isoformat())
        except ValueError:
            raise forms.ValidationError("Choose a week between 1900 and 2200.") from None


class RepairForm(forms.Form):
    kind = forms.ChoiceField(label="What changed", choices=list(KINDS.items()))
    user = forms.ModelChoiceField(queryset=None, required=False, label="Clinician")
    room = forms.ModelChoiceField(queryset=None, required=False, label="Room")
    patient = forms.ModelChoiceField(queryset=None, required=False, label="Patient")
    starts_on = forms.DateField(
        required=False, label="First day", widget=forms.DateInput(attrs={"type": "date"})
    )
    ends_on = forms.DateField(
        required=False, label="Last day", widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, staff, rooms, patients, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = staff
        self.fields["room"].queryset = rooms
        self.fields["patient"].queryset = patients
        self.fields["patient"].label_from_instance = lambda p: f"{p.display_name} ({p.mrn})"


class SessionForm(forms.Form):
    program = forms.ModelChoiceField(queryset=None, empty_label=None)
    session_type = forms.ModelChoiceField(queryset=None, empty_label=None)
    date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    start_time = forms.TimeField(widget=forms.TimeInput(attrs={"type": "time"}))
    duration_min = forms.IntegerField(
        label="Minutes", required=False, min_value=1, help_text="Empty: the type's usual length."
    )
    room = forms.ModelChoiceField(queryset=None, required=False)
    telehealth_url = forms.URLField(label="Telehealth link", required=False, assume_scheme="https")
    facilitator = forms.ModelChoiceField(queryset=None, required=False)
    topic = forms.CharField(required=False, max_length=120)

    def __init__(self, *args, programs, types, rooms, staff, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["program"].queryset = programs
        self.fields["session_type"].queryset = types
        self.fields["room"].queryset = rooms
        self.fields["facilitator"].queryset = staff


class SeriesForm(forms.Form):
    session_type = forms.ModelChoiceField(queryset=None, empty_label=None)
    track = forms.ModelChoiceField(queryset=None, required=False)
    weekday = forms.TypedChoiceField(choices=list(enumerate(DAYS)), coerce=int)
    start_time = forms.TimeField(widget=forms.TimeInput(attrs={"type": "time"}))
    room = forms.ModelChoiceField(
        queryset=None, required=False, help_text="Empty: let the optimizer choose."
    )
    facilitator = forms.ModelChoiceField(
        queryset=None, required=False, help_text="Empty: let the optimizer choose."
    )
    telehealth_url = forms.URLField(label="Telehealth link", required=False, assume_scheme="https")
    starts_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, types, tracks, rooms, staff, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["session_type"].queryset = types
        self.fields["track"].queryset = tracks
        self.fields["room"].queryset = rooms
        self.fields["facilitator"].queryset = staff


class SessionTypeForm(forms.Form):
    name = forms.CharField(max_length=100)
    duration_min = forms.IntegerField(label="Minutes", min_value=1)
    min_size = forms.IntegerField(label="Fewest patients", min_value=1)
    max_size = forms.IntegerField(label="Most patients", min_value=1)
    credentials = forms.CharField(
        required=False,
        label="Licences that may lead it",
        help_text="Separated by commas, e.g. LCSW, LPC, LMFT. Empty: any clinician.",
    )
    telehealth_ok = forms.BooleanField(required=False, label="May be held by telehealth")
    curriculum = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 6}), help_text="One topic a line."
    )
    is_active = forms.BooleanField(required=False, label="In use")

    def data_for_service(self) -> dict:
        d = dict(self.cleaned_data)
        d["credentials"] = sorted({c.strip() for c in d["credentials"].split(",") if c.strip()})
        d["curriculum"] = [t.strip() for t in d["curriculum"].splitlines() if t.strip()]
        return d


class PreferenceForm(forms.Form):
    time_of_day = forms.ChoiceField(
        label="Prefers", choices=[("", "No preference"), *TimeOfDay.choices], required=False
    )
    telehealth_ok = forms.BooleanField(required=False, label="Telehealth is fine")


class LeaveForm(forms.Form):
    starts_on = forms.DateField(label="First day", widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label="Last day", widget=forms.DateInput(attrs={"type": "date"}))
    kind = forms.ChoiceField(choices=LeaveKind.choices)


class RoomForm(forms.Form):
    kind = forms.ChoiceField(choices=RoomKind.choices)


class ClosureForm(forms.Form):
    starts_on = forms.DateField(label="First day", widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label="Last day", widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(max_length=200, required=False)
