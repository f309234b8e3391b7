from django import forms

from openiop.organizations.levels import LEVELS
from openiop.organizations.models import WEEKDAYS, Focus, Population, Site, TrackKind

TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


class ProgramForm(forms.Form):
    name = forms.CharField(max_length=200)
    site = forms.ModelChoiceField(queryset=Site.objects.none())
    population = forms.ChoiceField(choices=Population.choices)
    focus = forms.ChoiceField(choices=Focus.choices)
    level_of_care = forms.ChoiceField(choices=list(LEVELS.items()))
    min_weekly_hours = forms.DecimalField(min_value=0, max_value=60, decimal_places=2)
    max_weekly_hours = forms.DecimalField(
        min_value=0, max_value=60, decimal_places=2, required=False
    )
    plan_review_days = forms.IntegerField(
        min_value=7, max_value=180, label="Treatment plan review every (days)"
    )
    min_age = forms.IntegerField(
        min_value=0,
        max_value=120,
        required=False,
        label="Youngest age admitted",
        help_text="On the admission date. Blank: 18 for adults, 12 for adolescents.",
    )
    max_age = forms.IntegerField(
        min_value=0,
        max_value=120,
        required=False,
        label="Oldest age admitted",
        help_text="Blank: no limit for adults, 17 for adolescents.",
    )
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    is_active = forms.BooleanField(required=False, label="Taking admissions")
    alert_minutes_open = forms.IntegerField(
        min_value=1,
        max_value=240,
        initial=30,
        label="Escalate an unacknowledged safety alert after (minutes, in session)",
    )
    alert_minutes_closed = forms.IntegerField(
        min_value=1,
        max_value=240,
        initial=15,
        label="... outside the program's hours (minutes)",
    )

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = Site.objects.filter(organization=organization)


class TrackForm(forms.Form):
    name = forms.CharField(max_length=100)
    kind = forms.ChoiceField(choices=TrackKind.choices)
    weekdays = forms.TypedMultipleChoiceField(
        choices=[(i + 1, d) for i, d in enumerate(WEEKDAYS)],
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
    )
    start_time = forms.TimeField(widget=TIME)
    end_time = forms.TimeField(widget=TIME)
    capacity = forms.IntegerField(min_value=1, max_value=200, initial=12)
    focus = forms.ChoiceField(
        choices=[("", "The program's focus")] + Focus.choices,
        required=False,
        help_text="A dual diagnosis track in a substance use program: co-occurring. "
        "The finder lists what the tracks offer.",
    )
    is_active = forms.BooleanField(required=False, initial=True, label="Active")


class OnCallForm(forms.Form):
    on_call_user = forms.ChoiceField(
        label="On-call person",
        required=False,
        help_text="Told last, when the program's team and the directors have not acknowledged "
        "a safety alert. Only people with an organization-wide clinical role are listed: they "
        "can open every alert.",
    )
    on_call_email = forms.CharField(
        label="On-call address",
        required=False,
        max_length=254,
        help_text="Paged with the on-call person: a pager's email or a shared inbox. It is also "
        "paged at once when nobody holds a clinical role to receive an alert.",
    )

    def __init__(self, *args, candidates=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.people = {str(u.uuid): u for u in candidates}
        self.fields["on_call_user"].choices = [("", "Nobody")] + [
            (key, u.get_display_name()) for key, u in self.people.items()
        ]

    def chosen_user(self):
        return self.people.get(self.cleaned_data.get("on_call_user") or "")
