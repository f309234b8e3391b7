"""Forms of the authorization pages (the rules are the services')."""

from django import forms

from openiop.billing.authorization_selectors import WARNINGS
from openiop.billing.models import AuthorizationStatus, Payer, UnitKind
from openiop.billing.services.authorization_checks import MAX_UNITS, reviewer_choices
from openiop.organizations.levels import LEVELS

DATE = forms.DateInput(attrs={"type": "date"})
UNITS = {"min_value": 0, "max_value": MAX_UNITS}


def _user_label(u) -> str:
    return u.get_display_name()


class _ReviewerMixin:
    def _reviewers(self, program):
        field = self.fields["reviewer"]
        field.queryset = reviewer_choices(program)
        field.label_from_instance = _user_label


class AuthorizationForm(_ReviewerMixin, forms.Form):
    payer = forms.ModelChoiceField(queryset=Payer.objects.none())
    level_of_care = forms.ChoiceField(choices=list(LEVELS.items()), label="Level of care")
    unit_kind = forms.ChoiceField(choices=UnitKind.choices, label="Counted in")
    requested_units = forms.IntegerField(label="Days or units requested", **UNITS)
    starts_on = forms.DateField(widget=DATE, label="First day")
    ends_on = forms.DateField(widget=DATE, label="Last day")
    reviewer = forms.ModelChoiceField(
        queryset=None,
        required=False,
        label="Our reviewer",
        help_text="Who presents the concurrent reviews to the payer.",
    )
    payer_reviewer = forms.CharField(
        max_length=150,
        required=False,
        label="The payer's care manager",
        help_text="Name and phone number.",
    )
    without_coverage = forms.BooleanField(
        required=False,
        label="No coverage on file yet",
        help_text="Request anyway; add the coverage before the days are billed.",
    )

    def __init__(self, *args, episode, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["payer"].queryset = Payer.objects.filter(
            organization_id=episode.organization_id, is_active=True
        )
        self.fields["level_of_care"].initial = episode.program.level_of_care
        self._reviewers(episode.program)


class DecideForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[
            ("approved", "Approved"),
            ("partial", "Partially approved"),
            ("denied", "Denied"),
        ],
        widget=forms.RadioSelect,
    )
    number = forms.CharField(
        max_length=50, required=False, label="Authorization number", help_text="The payer's."
    )
    units = forms.IntegerField(required=False, label="Days or units approved", **UNITS)
    starts_on = forms.DateField(
        widget=DATE, required=False, label="First day", help_text="If the payer changed it."
    )
    ends_on = forms.DateField(
        widget=DATE, required=False, label="Last day", help_text="If the payer changed it."
    )
    next_review_on = forms.DateField(widget=DATE, required=False, label="Next concurrent review")


class UpdateForm(_ReviewerMixin, forms.Form):
    starts_on = forms.DateField(widget=DATE, label="First day")
    ends_on = forms.DateField(widget=DATE, label="Last day")
    units = forms.IntegerField(label="Days or units", **UNITS)
    next_review_on = forms.DateField(widget=DATE, required=False, label="Next concurrent review")
    reviewer = forms.ModelChoiceField(queryset=None, required=False, label="Our reviewer")
    payer_reviewer = forms.CharField(
        max_length=150, required=False, label="The payer's care manager"
    )

    def __init__(self, *args, authorization, **kwargs):
        super().__init__(*args, **kwargs)
        self._reviewers(authorization.episode.program)
        if not authorization.is_authorized:
            self.fields["units"].label = "Days or units requested"
            del self.fields["next_review_on"]


class RenewForm(_ReviewerMixin, forms.Form):
    requested_units = forms.IntegerField(label="Days or units requested", **UNITS)
    starts_on = forms.DateField(widget=DATE, label="First day")
    ends_on = forms.DateField(widget=DATE, label="Last day")
    reviewer = forms.ModelChoiceField(queryset=None, required=False, label="Our reviewer")
    payer_reviewer = forms.CharField(
        max_length=150, required=False, label="The payer's care manager"
    )
    without_coverage = AuthorizationForm.base_fields["without_coverage"]

    def __init__(self, *args, previous, **kwargs):
        super().__init__(*args, **kwargs)
        self._reviewers(previous.episode.program)


class ListFilter(forms.Form):
    status = forms.ChoiceField(
        choices=[("", "Any status"), *AuthorizationStatus.choices], required=False
    )
    payer = forms.ModelChoiceField(queryset=None, required=False, empty_label="Any payer")
    program = forms.ModelChoiceField(queryset=None, required=False, empty_label="Any program")
    warning = forms.ChoiceField(choices=[("", "Any"), *WARNINGS], required=False)

    def __init__(self, *args, payers, programs, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["payer"].queryset = payers
        self.fields["program"].queryset = programs
