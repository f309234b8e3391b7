from django import forms
from django.db.models import Q
from django.utils import timezone

from openiop.access.scope import grant
from openiop.accounts.models import Membership, User
from openiop.care.models import AdmissionType, DischargeReason, ReferralSource
from openiop.organizations.models import Program, Track
from openiop.patients.models import ContactRelationship, PayerType, Sex
from openiop.patients.services import PATIENT_FIELDS

DATE = forms.DateInput(attrs={"type": "date"})


class PatientForm(forms.Form):
    legal_given_name = forms.CharField(max_length=100)
    legal_family_name = forms.CharField(max_length=100)
    preferred_name = forms.CharField(max_length=100, required=False)
    pronouns = forms.CharField(max_length=40, required=False)
    date_of_birth = forms.DateField(widget=DATE)
    sex_at_birth = forms.ChoiceField(choices=Sex.choices, initial=Sex.UNKNOWN)
    mrn = forms.CharField(
        label="MRN", max_length=30, required=False, help_text="Leave empty to assign one."
    )
    phone = forms.CharField(max_length=30, required=False)
    email = forms.EmailField(required=False)
    street = forms.CharField(max_length=200, required=False)
    city = forms.CharField(max_length=100, required=False)
    state = forms.CharField(max_length=2, required=False)
    zip_code = forms.CharField(label="ZIP code", max_length=10, required=False)
    preferred_language = forms.CharField(max_length=40, initial="English")

    def patient_data(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k in PATIENT_FIELDS}


class AdmissionFields(forms.Form):
    program = forms.ModelChoiceField(queryset=Program.objects.none())
    track = forms.ModelChoiceField(queryset=Track.objects.none(), required=False)
    primary_clinician = forms.ModelChoiceField(queryset=User.objects.none(), required=False)
    admitted_on = forms.DateField(widget=DATE, initial=timezone.localdate)
    admission_type = forms.ChoiceField(choices=AdmissionType.choices)
    referral_source = forms.ChoiceField(choices=ReferralSource.choices)

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        g = grant(actor, "episode.admit")
        programs = Program.objects.filter(is_active=True).filter(
            Q(organization_id__in=g.organization_ids) | Q(id__in=g.program_ids)
        )
        self.fields["program"].queryset = programs
        self.fields["track"].queryset = Track.objects.filter(
            program__in=programs, is_active=True
        ).select_related("program")
        self.fields["track"].label_from_instance = _track_label
        self.fields["primary_clinician"].queryset = clinical_staff(programs)

    def admission_data(self) -> dict:
        return {k: self.cleaned_data[k] for k in AdmissionFields.base_fields}


class RegisterForm(PatientForm, AdmissionFields):
    """Register a patient and admit them in one step (what intake does)."""

    field_order = [*PatientForm.base_fields, *AdmissionFields.base_fields]


class DischargeForm(forms.Form):
    discharged_on = forms.DateField(widget=DATE, initial=timezone.localdate)
    discharge_reason = forms.ChoiceField(choices=DischargeReason.choices)


class EpisodeForm(forms.Form):
    track = forms.ModelChoiceField(queryset=Track.objects.none(), required=False)
    primary_clinician = forms.ModelChoiceField(queryset=User.objects.none(), required=False)

    def __init__(self, *args, actor, episode, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["track"].queryset = Track.objects.filter(
            program=episode.program, is_active=True
        )
        self.fields["primary_clinician"].queryset = clinical_staff(
            Program.objects.filter(pk=episode.program_id)
        )


def _track_label(t: Track) -> str:
    return f"{t.program.name} / {t.name} ({t.days_label} {t.hours_label})"


CLINICAL_ROLES = ["clinician", "program_director", "prescriber"]


def clinical_staff(programs):
    """Active clinical staff of the given programs (by program or organization role)."""
    programs = list(programs.values_list("id", "organization_id"))
    ids = [p for p, _ in programs]
    orgs = {o for _, o in programs}
    members = Membership.objects.filter(is_active=True, role__in=CLINICAL_ROLES).filter(
        Q(program_id__in=ids) | Q(organization_id__in=orgs, program__isnull=True)
    )
    return User.objects.filter(is_active=True, pk__in=members.values("user_id")).order_by(
        "display_name", "username"
    )


class SupportPersonForm(forms.Form):
    name = forms.CharField(max_length=150)
    relationship = forms.ChoiceField(choices=ContactRelationship.choices)
    phone = forms.CharField(max_length=30, required=False)
    email = forms.EmailField(required=False)
    is_emergency_contact = forms.BooleanField(required=False, label="Emergency contact")
    involvement_consent = forms.BooleanField(
        required=False, label="Patient consents to involving this person in treatment"
    )


class CoverageForm(forms.Form):
    payer = forms.ModelChoiceField(
        queryset=None,
        required=False,
        to_field_name="uuid",
        empty_label="Not in the list",
        help_text="The payer as billing knows it; its name and kind fill the fields below.",
    )
    payer_type = forms.ChoiceField(choices=[("", "---------"), *PayerType.choices], required=False)
    payer_name = forms.CharField(max_length=150, required=False)
    member_id = forms.CharField(max_length=40, required=False)
    group_number = forms.CharField(max_length=40, required=False)
    is_primary = forms.BooleanField(required=False, initial=True, label="Primary coverage")
    starts_on = forms.DateField(widget=DATE, required=False)
    ends_on = forms.DateField(widget=DATE, required=False)

    def __init__(self, *args, organization_id=None, current_payer_id=None, **kwargs):
        from openiop.billing.models import Payer

        super().__init__(*args, **kwargs)
        # the organization's active payers, and the one the coverage names (so
        # editing a coverage of a payer deactivated since keeps its link)
        self.fields["payer"].queryset = Payer.objects.filter(
            Q(is_active=True) | Q(pk=current_payer_id), organization_id=organization_id
        ).order_by("name")
