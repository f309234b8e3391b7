from django import forms

from openiop.core import widgets
from openiop.directory import features as FT
from openiop.directory import matching
from openiop.directory.models import (
    ACCREDITATION_CHOICES,
    AGE_CHOICES,
    PAYMENT_CHOICES,
    SEX_CHOICES,
    SPECIALTY_CHOICES,
    TestimonialRelationship,
)
from openiop.directory.search import DEFAULT_RADIUS_MILES

CHECKS = widgets.CheckboxSelectMultiple
RADIUS_CHOICES = [(r, f"{r} miles") for r in (5, 10, 25, 50, 100, 250, 500)]
LANGUAGE_CHOICES = [("", "English (all programs)")] + sorted(
    FT.LANGUAGES.items(), key=lambda kv: kv[1]
)


def _group(name: str, exclude=()) -> list[tuple[str, str]]:
    return [(f.slug, f.label) for f in FT.BY_GROUP[name] if f.slug not in exclude]


class SearchForm(forms.Form):
    """The finder's filters (GET). The same names as the API's query parameters."""

    near = forms.CharField(
        label="ZIP code or city",
        max_length=80,
        required=False,
        widget=forms.TextInput(
            attrs={"placeholder": "97201 or Portland, OR", "autocomplete": "postal-code"}
        ),
    )
    radius_miles = forms.TypedChoiceField(
        label="Within",
        choices=RADIUS_CHOICES,
        coerce=int,
        initial=DEFAULT_RADIUS_MILES,
        required=False,
        widget=widgets.Select,
    )
    level_of_care = forms.MultipleChoiceField(
        label="Level of care", choices=_group("level_of_care"), widget=CHECKS, required=False
    )
    focus = forms.MultipleChoiceField(
        label="Treats", choices=_group("focus"), widget=CHECKS, required=False
    )
    schedule = forms.MultipleChoiceField(
        label="Sessions",
        choices=_group("schedule"),
        widget=CHECKS,
        required=False,
        help_text="Only programs that publish their tracks list session times.",
    )
    payment = forms.MultipleChoiceField(
        label="Payment", choices=_group("payment"), widget=CHECKS, required=False
    )
    age = forms.MultipleChoiceField(
        label="Ages accepted", choices=_group("age"), widget=CHECKS, required=False
    )
    sex = forms.MultipleChoiceField(
        label="Sex accepted", choices=_group("sex"), widget=CHECKS, required=False
    )
    language = forms.ChoiceField(
        label="Language", choices=LANGUAGE_CHOICES, required=False, widget=widgets.Select
    )
    special = forms.MultipleChoiceField(
        label="Special programs", choices=_group("special"), widget=CHECKS, required=False
    )
    family = forms.BooleanField(label="Family counseling or a family program", required=False)
    telehealth = forms.BooleanField(label="Telehealth", required=False)
    outcomes = forms.BooleanField(label="Publishes measured outcomes", required=False)
    accreditation = forms.MultipleChoiceField(
        label="Accreditation (any of)",
        choices=_group("accreditation"),
        widget=CHECKS,
        required=False,
    )
    services = forms.MultipleChoiceField(
        label="Services", choices=_group("services"), widget=CHECKS, required=False
    )
    sort = forms.ChoiceField(
        label="Sort by",
        choices=[("distance", "Distance"), ("fit", "Best fit")],
        required=False,
        initial="distance",
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        if self.is_bound and not self.data.get("radius_miles"):
            # the menu shows the radius the search uses when none was asked for
            self.data = self.data.copy()
            self.data["radius_miles"] = str(DEFAULT_RADIUS_MILES)

    def filters(self) -> dict[str, list[str]]:
        d = self.cleaned_data
        out = {
            g: d.get(g) or []
            for g in (
                "level_of_care",
                "focus",
                "schedule",
                "payment",
                "age",
                "sex",
                "special",
                "accreditation",
                "services",
            )
        }
        if d.get("family"):
            out["family"] = ["family_counseling"]
        if d.get("telehealth"):
            out["telehealth"] = ["telehealth"]
        if d.get("outcomes"):
            out["outcomes"] = ["published"]
        return out

    def active_count(self) -> int:
        if not self.is_bound or not hasattr(self, "cleaned_data"):
            return 0
        n = sum(len(v) for v in self.filters().values())
        return n + (1 if self.cleaned_data.get("language") else 0)


class MatchForm(forms.Form):
    """The guided match: eight short questions."""

    near = forms.CharField(
        label="Where do you live or work?",
        help_text="A ZIP code or a city, e.g. 97201 or Portland, OR.",
        max_length=80,
    )
    max_miles = forms.TypedChoiceField(
        label="How far can you travel, several times a week?",
        choices=[(d, f"{d} miles") for d in matching.DISTANCES],
        coerce=int,
        initial=25,
    )
    times = forms.MultipleChoiceField(
        label="When could you attend?",
        choices=list(matching.TIMES.items()),
        widget=CHECKS,
        required=False,
        help_text="Choose all that work for you.",
    )
    need = forms.ChoiceField(
        label="What is it for?", choices=list(matching.NEEDS.items()), widget=forms.RadioSelect
    )
    age = forms.ChoiceField(
        label="Age of the person who needs care",
        choices=list(matching.AGES.items()),
        widget=forms.RadioSelect,
    )
    insurance = forms.ChoiceField(
        label="How will care be paid for?",
        choices=list(matching.INSURANCE.items()),
        widget=forms.RadioSelect,
    )
    family = forms.ChoiceField(
        label="Should family be involved in treatment?",
        choices=list(matching.FAMILY.items()),
        widget=forms.RadioSelect,
        initial="no",
    )
    language = forms.ChoiceField(
        label="Preferred language",
        choices=[("english", "English")] + sorted(FT.LANGUAGES.items(), key=lambda kv: kv[1]),
        initial="english",
    )


class ProfileForm(forms.Form):
    """What a director publishes about a program on the finder."""

    listed = forms.BooleanField(
        label="List this program on the public program finder", required=False
    )
    summary = forms.CharField(
        label="Summary for the public",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        required=False,
    )
    phone = forms.CharField(
        label="Intake phone",
        max_length=40,
        required=False,
        help_text="Defaults to the site's phone.",
    )
    website = forms.URLField(max_length=300, required=False, assume_scheme="https")
    payments = forms.MultipleChoiceField(
        label="Payment accepted", choices=PAYMENT_CHOICES, widget=CHECKS, required=False
    )
    insurance_plans = forms.CharField(
        label="Insurance plans in network",
        max_length=500,
        required=False,
        help_text="e.g. Oregon Health Plan, Providence, Regence, Kaiser",
    )
    self_pay_weekly_rate = forms.DecimalField(
        label="Self-pay rate per week (USD)",
        min_value=0,
        max_value=100_000,
        decimal_places=2,
        required=False,
    )
    sliding_scale = forms.BooleanField(label="Sliding fee scale by income", required=False)
    typical_weeks_min = forms.IntegerField(
        label="Typical stay: from (weeks)", min_value=1, max_value=104, initial=8
    )
    typical_weeks_max = forms.IntegerField(
        label="to (weeks)", min_value=1, max_value=104, initial=12
    )
    languages = forms.MultipleChoiceField(
        label="Languages besides English",
        choices=sorted(FT.LANGUAGES.items(), key=lambda kv: kv[1]),
        widget=CHECKS,
        required=False,
    )
    telehealth = forms.BooleanField(label="Offers telehealth sessions", required=False)
    accreditations = forms.MultipleChoiceField(
        label="Accreditation", choices=ACCREDITATION_CHOICES, widget=CHECKS, required=False
    )
    family_program = forms.BooleanField(label="Has a family program", required=False)
    family_program_description = forms.CharField(
        label="Family program, in a sentence or two",
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=1000,
        required=False,
    )
    specialties = forms.MultipleChoiceField(
        label="Specialties and services", choices=SPECIALTY_CHOICES, widget=CHECKS, required=False
    )
    ages = forms.MultipleChoiceField(
        label="Ages accepted",
        choices=AGE_CHOICES,
        widget=CHECKS,
        required=False,
        help_text="Leave empty to follow the program's population.",
    )
    sexes = forms.MultipleChoiceField(
        label="Sex accepted",
        choices=SEX_CHOICES,
        widget=CHECKS,
        required=False,
        help_text="Leave empty for everyone.",
    )


class WaitTimeForm(forms.Form):
    wait_days = forms.IntegerField(
        label="Days from first call to first group, today",
        min_value=0,
        max_value=365,
        help_text="0 means admissions this week.",
    )


class TestimonialForm(forms.Form):
    author_name = forms.CharField(
        label="Your first name or initials",
        max_length=40,
        help_text="Shown with your words, e.g. Maria, Maria G. or M.G. No full names.",
    )
    relationship = forms.ChoiceField(
        label="How do you know the program?",
        choices=TestimonialRelationship.choices,
        widget=forms.RadioSelect,
    )
    body = forms.CharField(
        label="Your experience",
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=2000,
        help_text="No contact details: no email addresses, phone numbers or web addresses.",
    )
    consent = forms.BooleanField(
        label="I agree that the program may publish these words with my first name or initials.",
        required=False,
    )


class DirectoryNameForm(forms.Form):
    show_name_in_directory = forms.BooleanField(
        label="Show my name and licence on the public pages of the programs I work in",
        required=False,
    )
