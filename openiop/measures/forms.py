from django import forms
from django.utils import timezone

from openiop.measures import instruments as ins
from openiop.measures.models import (
    DrugTestStatus,
    LinkPurpose,
    RecoveryReason,
    Specimen,
    SubstanceResult,
)
from openiop.measures.vocab import STANDARD_PANEL, SUBSTANCES, TRIGGERS

DATE = forms.DateInput(attrs={"type": "date"})
SCALE = [(n, str(n)) for n in range(11)]


def item_field_name(item_id: str) -> str:
    return f"item_{item_id}"


class AnswersForm(forms.Form):
    """One radio group per item of an instrument. Items are not required here:
    the scorer applies the instrument's own rule for missing items and names
    an item that must be answered."""

    def __init__(self, *args, definition: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.definition = definition
        for it in ins.items(definition):
            choices = [(str(o["value"]), o["label"]) for o in ins.options_of(definition, it)]
            self.fields[item_field_name(it["id"])] = forms.ChoiceField(
                label=f"{it['id']}. {it['text']}",
                choices=choices,
                required=False,
                widget=forms.RadioSelect(attrs={"class": "answer"}),
            )

    def answers(self) -> dict:
        return {
            it["id"]: (self.cleaned_data.get(item_field_name(it["id"])) or None)
            for it in ins.items(self.definition)
        }

    def item_fields(self):
        for it in ins.items(self.definition):
            yield it, self[item_field_name(it["id"])]

    def offer_clearing(self) -> None:
        """A radio answer cannot be un-ticked on a phone: an item refused (an
        answer to an item the instructions skip) gets a "leave unanswered"
        choice."""
        for name in self.errors:
            field = self.fields.get(name)
            offered = isinstance(field, forms.ChoiceField) and name.startswith("item_")
            if offered and all(value != "" for value, _ in field.choices):
                field.choices = [*field.choices, ("", "Leave unanswered")]


class StaffResponseForm(AnswersForm):
    administered_on = forms.DateField(label="Given on", widget=DATE, initial=timezone.localdate)
    episode = forms.ChoiceField(label="Episode of care", required=False)

    def __init__(self, *args, episodes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.episodes = {str(e.uuid): e for e in episodes}
        self.fields["episode"].choices = [
            (
                str(e.uuid),
                f"{e.program.name} from {e.admitted_on:%Y-%m-%d}"
                + ("" if e.is_open else " (discharged)"),
            )
            for e in episodes
        ]
        # date and episode first, then the items
        self.order_fields(["administered_on", "episode"])

    def chosen_episode(self):
        return self.episodes.get(self.cleaned_data.get("episode") or "")


class MarkInErrorForm(forms.Form):
    reason = forms.CharField(
        label="Why was it entered in error?",
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class LinkForm(forms.Form):
    purpose = forms.ChoiceField(label="Send", choices=LinkPurpose.choices)
    instrument = forms.ChoiceField(label="Questionnaire", required=False)
    hours = forms.IntegerField(
        label="Link works for (hours)", min_value=1, max_value=168, initial=72
    )

    def __init__(self, *args, instruments=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.instruments = {i.code: i for i in instruments}
        self.fields["instrument"].choices = [("", "-")] + [
            (i.code, f"{i.short_name}: {i.name}") for i in instruments
        ]

    def chosen_instrument(self):
        return self.instruments.get(self.cleaned_data.get("instrument") or "")


RESULT_CHOICES = [("", "not tested")] + list(SubstanceResult.choices)


class DrugTestForm(forms.Form):
    collected_on = forms.DateField(label="Date", widget=DATE, initial=timezone.localdate)
    status = forms.ChoiceField(choices=DrugTestStatus.choices, initial=DrugTestStatus.COLLECTED)
    specimen = forms.ChoiceField(
        choices=[("", "-"), *Specimen.choices], required=False, initial=Specimen.URINE
    )
    observed = forms.BooleanField(label="Collection was observed", required=False)
    note = forms.CharField(max_length=500, required=False)
    reset_recovery = forms.BooleanField(
        label="Reset the recovery start date to this day (positive, refused or missed test)",
        required=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for code, label in SUBSTANCES:
            self.fields[f"sub_{code}"] = forms.ChoiceField(
                label=label,
                choices=RESULT_CHOICES,
                required=False,
                initial="negative" if code in STANDARD_PANEL else "",
            )
            self.fields[f"exp_{code}"] = forms.BooleanField(
                label="expected (prescribed)", required=False
            )

    def substance_rows(self):
        for code, label in SUBSTANCES:
            yield code, label, self[f"sub_{code}"], self[f"exp_{code}"]

    def results(self) -> list[dict]:
        out = []
        for code, _label in SUBSTANCES:
            result = self.cleaned_data.get(f"sub_{code}")
            if result:
                out.append(
                    {
                        "substance": code,
                        "result": result,
                        "expected": self.cleaned_data.get(f"exp_{code}", False),
                    }
                )
        return out

    def head_fields(self):
        return [self[n] for n in ("collected_on", "status", "specimen", "observed")]


class RecoveryForm(forms.Form):
    started_on = forms.DateField(label="Recovery started on", widget=DATE)
    reason = forms.ChoiceField(choices=RecoveryReason.choices, initial=RecoveryReason.SELF_REPORT)
    note = forms.CharField(max_length=300, required=False)


class AcknowledgeForm(forms.Form):
    note = forms.CharField(
        label="What was done",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text="For example: called the patient, safety plan reviewed, "
        "appointment moved forward.",
    )


class CheckInForm(forms.Form):
    """Mood and cravings are asked for, except from someone who says no more
    than "I do not feel safe": that is sent at once, never held back."""

    # the crisis box first: on a phone it is not 36 controls down the page
    field_order = ["not_safe", "mood", "cravings", "triggers", "note"]

    mood = forms.TypedChoiceField(
        label="How is your mood today? (0 = very low, 10 = very good)",
        choices=SCALE,
        coerce=int,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect(attrs={"class": "scale"}),
    )
    cravings = forms.TypedChoiceField(
        label="How strong were your cravings today? (0 = none, 10 = very strong)",
        choices=SCALE,
        coerce=int,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect(attrs={"class": "scale"}),
    )
    triggers = forms.MultipleChoiceField(
        label="Did you meet any of these today?",
        choices=TRIGGERS,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    note = forms.CharField(
        label="Anything else you want your team to know? (optional)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 500}),
    )
    not_safe = forms.BooleanField(
        label="I do not feel safe right now",
        required=False,
        help_text="Your care team is alerted at once, even if you answer nothing else. If "
        "you are in danger now, call or text 988, or call 911.",
    )

    def clean_note(self):
        # a browser sends a line break as two characters but counts it as one
        note = (self.cleaned_data.get("note") or "").replace("\r\n", "\n")
        if len(note) > 500:
            raise forms.ValidationError(f"Keep the note under 500 characters (it has {len(note)}).")
        return note

    def says_not_safe(self) -> bool:
        """Whether "I do not feel safe" was ticked, whatever else is wrong: it
        is sent even when another answer has a mistake."""
        return self.is_bound and self["not_safe"].value() in (True, "on", "true", "1")

    def usable_data(self) -> dict:
        """The valid answers; with errors (and "not safe" ticked) the fields in
        error are left out rather than holding back the alert."""
        self.is_valid()
        data = {k: v for k, v in self.cleaned_data.items() if k not in self.errors}
        if self.errors:
            data["not_safe"] = True
        data.setdefault("mood", None)
        data.setdefault("cravings", None)
        return data

    def clean(self):
        data = super().clean()
        if not data.get("not_safe"):
            for name in ("mood", "cravings"):
                if data.get(name) is None and name not in self.errors:
                    self.add_error(name, "Choose a number from 0 to 10.")
        return data


class InstrumentForm(forms.Form):
    organization = forms.ChoiceField(required=False)
    code = forms.CharField(
        max_length=20, help_text="Lower-case letters, digits and _, e.g. sleep_diary."
    )
    short_name = forms.CharField(max_length=40, help_text="As shown in lists, e.g. SLEEP-5.")
    name = forms.CharField(max_length=200)
    timeframe = forms.CharField(
        label="Instructions for the patient", max_length=300, required=False
    )
    items_text = forms.CharField(
        label="Items, one per line", widget=forms.Textarea(attrs={"rows": 6})
    )
    options_text = forms.CharField(
        label="Answer options, one per line",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="A value and a label, e.g. 0 = Not at all.",
    )
    bands_text = forms.CharField(
        label="Bands, one per line",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="A range of totals and a label, e.g. 0-4 Minimal; they must cover every total.",
    )
    reverse_text = forms.CharField(
        label="Reverse-scored items", required=False, help_text="Item numbers, e.g. 3, 7."
    )
    max_missing = forms.IntegerField(
        label="Items that may be missing", min_value=0, max_value=20, initial=0
    )
    prorate = forms.BooleanField(label="Prorate the total when items are missing", required=False)
    alert_top_band = forms.BooleanField(
        label="A rise into the highest band raises a safety alert", required=False
    )
    source = forms.CharField(label="Source (publication or author)", max_length=500)
    licence = forms.CharField(label="Licence or permission", max_length=1000)

    def __init__(self, *args, organizations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.organizations = {str(o.uuid): o for o in organizations}
        if len(self.organizations) > 1:
            self.fields["organization"].choices = [
                (k, o.name) for k, o in self.organizations.items()
            ]
            self.fields["organization"].required = True
        else:
            del self.fields["organization"]

    def chosen_organization(self):
        if len(self.organizations) == 1:
            return next(iter(self.organizations.values()))
        return self.organizations.get(self.cleaned_data.get("organization") or "")

    def definition_data(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("organization", None)
        return data


class ScheduleForm(forms.Form):
    """One row per instrument: at admission, every N weeks, at discharge."""

    def __init__(self, *args, instruments=(), current=None, **kwargs):
        super().__init__(*args, **kwargs)
        current = current or {}
        self.instruments = list(instruments)
        for i in self.instruments:
            entry = current.get(i.pk)
            self.fields[f"adm_{i.pk}"] = forms.BooleanField(
                label="at admission", required=False, initial=bool(entry and entry.at_admission)
            )
            self.fields[f"weeks_{i.pk}"] = forms.IntegerField(
                label="every N weeks",
                required=False,
                min_value=1,
                max_value=26,
                initial=entry.every_weeks if entry else None,
            )
            self.fields[f"dis_{i.pk}"] = forms.BooleanField(
                label="at discharge", required=False, initial=bool(entry and entry.at_discharge)
            )

    def rows(self):
        for i in self.instruments:
            yield i, self[f"adm_{i.pk}"], self[f"weeks_{i.pk}"], self[f"dis_{i.pk}"]

    def wanted(self):
        for i in self.instruments:
            yield (
                i,
                self.cleaned_data.get(f"adm_{i.pk}", False),
                self.cleaned_data.get(f"weeks_{i.pk}"),
                self.cleaned_data.get(f"dis_{i.pk}", False),
            )
