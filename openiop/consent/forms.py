from django import forms
from django.utils import timezone

from openiop.consent.models import (
    ExternalRecipient,
    Information,
    Part2Consent,
    Purpose,
    RecipientKind,
    RecipientScope,
    SignerRole,
)

DATE = forms.DateInput(attrs={"type": "date"})


class ConsentForm(forms.Form):
    program = forms.ModelChoiceField(
        queryset=None,
        required=False,
        label="Who may disclose",
        empty_label="The whole organization",
        help_text="Or only one program the patient is in.",
    )
    categories = forms.MultipleChoiceField(
        choices=Information.choices,
        widget=forms.CheckboxSelectMultiple,
        label="Information that may be disclosed",
        help_text="Identity and enrollment always travel with the rest. SUD counseling notes "
        "need a consent of their own.",
    )
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Specific description of the information",
        help_text="As the patient agreed to it, e.g. “diagnoses and PHQ-9 scores from the "
        "2026 admission”.",
    )
    recipient_scope = forms.ChoiceField(
        choices=RecipientScope.choices, widget=forms.RadioSelect, label="Recipients"
    )
    recipient = forms.ModelChoiceField(
        queryset=None, required=False, label="Which recipient", help_text="For a named consent."
    )
    purpose = forms.ChoiceField(choices=Purpose.choices)
    purpose_detail = forms.CharField(max_length=300, required=False, label="Purpose, in words")
    expires_on = forms.DateField(widget=DATE, required=False, label="Expires on")
    expires_at_discharge = forms.BooleanField(
        required=False,
        label="Expires when the patient is discharged from the current admission",
        help_text="OpenIOP stops disclosures under it after the discharge date.",
    )
    expiry_event = forms.CharField(
        max_length=200,
        required=False,
        label="Or expires on this event",
        help_text="Another event, in words (staff revoke the consent when it happens).",
    )
    signer_name = forms.CharField(max_length=150, label="Signer's typed full name")
    signer_role = forms.ChoiceField(choices=SignerRole.choices, label="Signed by")
    signed_on = forms.DateField(widget=DATE, initial=timezone.localdate, label="Date signed")
    attestation = forms.BooleanField(
        required=False,
        label="The signer read this consent (or had it read to them), understood it, and "
        "typed their name as their signature.",
    )

    def __init__(self, *args, patient, programs, recipients, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["program"].queryset = programs
        self.fields["recipient"].queryset = recipients
        self.initial.setdefault("categories", [Information.DEMOGRAPHICS])


class RevokeForm(forms.Form):
    revoked_on = forms.DateField(widget=DATE, initial=timezone.localdate, label="Revoked on")
    note = forms.CharField(
        max_length=300, required=False, label="How the patient revoked it (optional)"
    )


class ReleaseForm(forms.Form):
    consent = forms.ModelChoiceField(queryset=None, label="Under the consent")
    recipient = forms.ModelChoiceField(queryset=None, label="To")
    categories = forms.MultipleChoiceField(
        choices=[c for c in Information.choices if c[0] != Information.COUNSELING_NOTES],
        widget=forms.CheckboxSelectMultiple,
        label="Information",
    )
    output = forms.ChoiceField(
        choices=[("print", "A printed record"), ("download", "A FHIR Bundle (JSON file)")],
        widget=forms.RadioSelect,
        initial="print",
        label="As",
    )

    def __init__(self, *args, consents, recipients, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["consent"].queryset = consents
        self.fields["consent"].label_from_instance = _consent_label
        self.fields["recipient"].queryset = recipients
        self.initial.setdefault("categories", [Information.DEMOGRAPHICS])


def _consent_label(c: Part2Consent) -> str:
    return f"Signed {c.signed_on:%Y-%m-%d}, to {c.recipient_label}"


class RecipientForm(forms.Form):
    name = forms.CharField(max_length=200)
    kind = forms.ChoiceField(choices=RecipientKind.choices)
    contact = forms.CharField(max_length=300, required=False, help_text="Address, phone or email.")


class TokenForm(forms.Form):
    days = forms.IntegerField(min_value=1, max_value=365, initial=365, label="Valid for (days)")


def recipient_choices(qs):
    return qs.filter(is_active=True).order_by("name")


__all__ = [
    "ConsentForm",
    "RevokeForm",
    "ReleaseForm",
    "RecipientForm",
    "TokenForm",
    "ExternalRecipient",
]
