from django import forms

from openiop.audit.models import Outcome


class AuditSearchForm(forms.Form):
    patient = forms.CharField(
        required=False, max_length=100, label="Patient (name, MRN or date of birth)"
    )
    user = forms.CharField(required=False, label="Username")
    date_from = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    outcome = forms.ChoiceField(required=False, choices=[("", "Any")] + Outcome.choices)

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_to"] < data["date_from"]:
            self.add_error("date_to", "The end date is before the start date.")
        return data
