"""Forms of the clinical record. They only parse; the services validate."""

from django import forms
from django.utils import timezone

from openiop.accounts.models import User
from openiop.care.models import DischargeReason
from openiop.care.plans import asam
from openiop.care.plans.discharge_models import AftercareKind, GoalOutcome, StepDown
from openiop.care.plans.models import RiskLevel
from openiop.care.plans.plan_models import (
    Modality,
    ObjectiveStatus,
    Period,
    ReviewOutcome,
    SignatureMethod,
    SignatureRole,
)

DATE = forms.DateInput(attrs={"type": "date"})
AREA = forms.Textarea(attrs={"rows": 3})
SMALL = forms.Textarea(attrs={"rows": 2})


class RevisionForm(forms.Form):
    revision = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class AssessmentForm(forms.Form):
    assessed_on = forms.DateField(widget=DATE, initial=timezone.localdate)
    presenting_problems = forms.CharField(
        widget=AREA, label="Presenting problems", help_text="In the patient's own words."
    )
    strengths = forms.CharField(widget=SMALL, required=False)
    substance_use_history = forms.CharField(widget=AREA, required=False)
    mental_health_history = forms.CharField(widget=AREA, required=False)
    risk_level = forms.ChoiceField(
        choices=[("", "Choose...")] + RiskLevel.choices, label="Risk screening"
    )
    risk_notes = forms.CharField(
        widget=SMALL,
        required=False,
        label="Risk notes",
        help_text="Required for moderate or high risk: what and the safety response.",
    )
    living_situation = forms.CharField(widget=SMALL, required=False)
    supports = forms.CharField(widget=SMALL, required=False, label="Supports")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for code, name, hint in asam.DIMENSIONS:
            self.fields[f"dimension_{code}"] = forms.TypedChoiceField(
                choices=asam.RATINGS,
                coerce=int,
                widget=forms.RadioSelect,
                label=f"{code}. {name}",
                help_text=hint,
            )
            self.fields[f"dimension_{code}_note"] = forms.CharField(
                widget=SMALL, required=False, label=f"Dimension {code} note"
            )

    def text_fields(self):
        return [self[f] for f in AssessmentForm.base_fields]

    def dimension_rows(self):
        return [(self[f"dimension_{c}"], self[f"dimension_{c}_note"]) for c in asam.DIMENSION_CODES]

    def service_data(self) -> dict:
        data = {f: self.cleaned_data[f] for f in AssessmentForm.base_fields}
        data["dimensions"] = {
            c: {
                "rating": self.cleaned_data[f"dimension_{c}"],
                "note": self.cleaned_data[f"dimension_{c}_note"],
            }
            for c in asam.DIMENSION_CODES
        }
        return data

    @staticmethod
    def initial_from(a) -> dict:
        initial = {f: getattr(a, f) for f in AssessmentForm.base_fields}
        for c in asam.DIMENSION_CODES:
            entry = a.dimensions.get(c) or {}
            initial[f"dimension_{c}"] = entry.get("rating")
            initial[f"dimension_{c}_note"] = entry.get("note", "")
        return initial


class CompleteAssessmentForm(forms.Form):
    chosen_level = forms.ChoiceField(choices=list(asam.LEVELS.items()), label="Level of care")
    override_reason = forms.CharField(
        widget=SMALL,
        required=False,
        label="Reason for another level",
        help_text="Required when you choose a level other than the recommendation.",
    )


class DiagnosisForm(forms.Form):
    code = forms.CharField(
        max_length=10,
        label="ICD-10-CM code",
        help_text="Type a code or words; choose from the matches.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    is_primary = forms.BooleanField(required=False, label="Primary diagnosis")
    diagnosed_on = forms.DateField(widget=DATE, initial=timezone.localdate)
    note = forms.CharField(max_length=300, required=False)


class StartPlanForm(forms.Form):
    template = forms.ModelChoiceField(
        queryset=None, required=False, empty_label="A blank plan", label="Start from"
    )

    def __init__(self, *args, templates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["template"].queryset = templates
        self.fields["template"].label_from_instance = lambda t: f"{t.name} - {t.presentation}"


class ProblemForm(RevisionForm):
    statement = forms.CharField(widget=AREA, label="Problem")
    diagnoses = forms.ModelMultipleChoiceField(
        queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )
    asam_dimensions = forms.MultipleChoiceField(
        choices=[(c, f"{c}. {n}") for c, n, _ in asam.DIMENSIONS],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="ASAM dimensions",
    )

    def __init__(self, *args, diagnoses, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["diagnoses"].queryset = diagnoses
        self.fields["diagnoses"].label_from_instance = lambda d: f"{d.code} {d.description}"


class GoalForm(RevisionForm):
    statement = forms.CharField(
        widget=AREA, label="Goal", help_text="In the patient's own words, in quotes."
    )


class ObjectiveForm(RevisionForm):
    statement = forms.CharField(
        widget=AREA, label="Objective", help_text="Measurable: what, how much, by when."
    )
    target_on = forms.DateField(widget=DATE, required=False, label="Target date")
    status = forms.ChoiceField(choices=ObjectiveStatus.choices, initial="not_started")


class LeadsSelect(forms.Select):
    """A staff select whose options say which ruled modalities each may lead."""

    def __init__(self, leads: dict[int, list[str]], ruled=(), *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.leads = leads
        self.attrs["data-leads-for"] = "id_modality"
        # the modalities with a licence rule, whether or not anyone offered holds it
        self.attrs["data-ruled"] = " ".join(sorted(ruled))

    def create_option(self, name, value, *args, **kwargs):
        option = super().create_option(name, value, *args, **kwargs)
        pk = getattr(value, "value", value)
        if pk in self.leads:
            option["attrs"]["data-leads"] = " ".join(self.leads[pk])
        return option


class InterventionForm(RevisionForm):
    modality = forms.ChoiceField(choices=[("", "Choose...")] + Modality.choices)
    topic = forms.CharField(
        max_length=120,
        required=False,
        help_text="For a workshop: relapse prevention, life skills, nature of addiction...",
    )
    description = forms.CharField(widget=SMALL, required=False)
    sessions = forms.IntegerField(required=False, min_value=1, max_value=21, label="How many")
    period = forms.ChoiceField(
        choices=[("", "Choose...")] + Period.choices, required=False, label="How often"
    )
    minutes = forms.IntegerField(
        required=False,
        min_value=5,
        max_value=480,
        label="Minutes per session",
        help_text="Leave empty for the usual length (group 90, individual 50...).",
    )
    responsible = forms.ModelChoiceField(queryset=User.objects.none(), label="Responsible staff")
    support_persons = forms.ModelMultipleChoiceField(
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Family or support persons taking part",
        help_text="Family therapy only; listed are those the patient consented to involve.",
    )

    def __init__(self, *args, staff, support_persons, leads=None, ruled=(), **kwargs):
        super().__init__(*args, **kwargs)
        # which modalities with a licence rule each person may lead: the page
        # offers only them (plans.js); the service refuses the rest
        self.fields["responsible"].widget = LeadsSelect(leads or {}, ruled)
        self.fields["responsible"].queryset = staff
        self.fields["responsible"].label_from_instance = lambda u: u.get_display_name()
        self.fields["support_persons"].queryset = support_persons


class SignForm(RevisionForm):
    role = forms.ChoiceField(choices=SignatureRole.choices, widget=forms.HiddenInput)
    method = forms.ChoiceField(
        choices=[(SignatureMethod.TYPED, "Typed name"), (SignatureMethod.DRAWN, "Drawn")],
        required=False,
        widget=forms.RadioSelect,
        initial=SignatureMethod.TYPED,
    )
    typed_name = forms.CharField(max_length=150, required=False, label="Patient types their name")
    drawing = forms.CharField(required=False, widget=forms.HiddenInput)


class ReviseForm(RevisionForm):
    reason = forms.CharField(max_length=300, label="What changes and why")


class TemplateFromPlanForm(forms.Form):
    name = forms.CharField(max_length=150)
    presentation = forms.CharField(max_length=200, help_text="Who the template is for.")
    description = forms.CharField(widget=SMALL, required=False)


class ReviewForm(RevisionForm):
    reviewed_on = forms.DateField(widget=DATE, initial=timezone.localdate, label="Review date")
    patient_participated = forms.BooleanField(required=False, initial=True)
    summary = forms.CharField(widget=AREA, label="Progress summary")
    outcome = forms.ChoiceField(choices=ReviewOutcome.choices, widget=forms.RadioSelect)
    revise_reason = forms.CharField(
        max_length=250, required=False, label="If revising: what will change"
    )

    def __init__(self, *args, objectives, **kwargs):
        super().__init__(*args, **kwargs)
        self.objectives = objectives
        for o in objectives:
            status = getattr(o, "latest_status", None) or o.status
            self.fields[f"objective_{o.uuid}"] = forms.ChoiceField(
                choices=ObjectiveStatus.choices, initial=status, label=o.statement
            )
            self.fields[f"objective_{o.uuid}_note"] = forms.CharField(
                max_length=2000, required=False, label="Note"
            )

    def objective_rows(self):
        return [
            (o, self[f"objective_{o.uuid}"], self[f"objective_{o.uuid}_note"])
            for o in self.objectives
        ]

    def progress(self) -> dict:
        return {
            str(o.uuid): {
                "status": self.cleaned_data[f"objective_{o.uuid}"],
                "note": self.cleaned_data[f"objective_{o.uuid}_note"],
            }
            for o in self.objectives
        }


class RelapseForm(forms.Form):
    revision = forms.IntegerField(widget=forms.HiddenInput, required=False)
    triggers = forms.CharField(widget=AREA, help_text="People, places, feelings, times of day.")
    warning_signs = forms.CharField(widget=AREA, label="Warning signs")
    coping_strategies = forms.CharField(widget=AREA, label="What I will do instead")
    people_to_call = forms.CharField(
        widget=AREA,
        label="People to call",
        help_text="One person on each line: name, relationship, phone.",
    )
    safe_places = forms.CharField(widget=SMALL, required=False, label="Safe places")
    reasons = forms.CharField(widget=SMALL, required=False, label="Why my recovery matters")


AFTERCARE_ROWS = 5


class DischargeSummaryForm(forms.Form):
    discharged_on = forms.DateField(widget=DATE, initial=timezone.localdate)
    discharge_reason = forms.ChoiceField(choices=[("", "Choose...")] + DischargeReason.choices)
    services_received = forms.CharField(widget=forms.Textarea(attrs={"rows": 6}))
    clinical_summary = forms.CharField(
        widget=AREA, help_text="Course of treatment, response, risk at discharge."
    )
    diagnoses = forms.ModelMultipleChoiceField(
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Diagnoses at discharge",
        help_text="Diagnoses left unticked are marked resolved.",
    )
    step_down = forms.ChoiceField(
        choices=[("", "Choose...")] + StepDown.choices, label="Step-down level of care"
    )
    medication_continuity = forms.CharField(
        widget=SMALL,
        required=False,
        help_text="Who prescribes after discharge, refills, bridge supply.",
    )
    patient_instructions = forms.CharField(
        widget=SMALL,
        required=False,
        label="For the patient",
        help_text="Plain words; printed on the patient's copy.",
    )

    def __init__(self, *args, diagnoses, goals, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["diagnoses"].queryset = diagnoses
        self.fields["diagnoses"].label_from_instance = lambda d: f"{d.code} {d.description}"
        self.goals = goals
        for i, g in enumerate(goals):
            self.fields[f"goal_{i}"] = forms.ChoiceField(
                choices=[("", "Choose...")] + GoalOutcome.choices, label=g.statement
            )
            self.fields[f"goal_{i}_note"] = forms.CharField(
                max_length=2000, required=False, label="Note"
            )
        for i in range(AFTERCARE_ROWS):
            self.fields[f"aftercare_{i}_kind"] = forms.ChoiceField(
                choices=AftercareKind.choices, required=False, label="Kind"
            )
            self.fields[f"aftercare_{i}_name"] = forms.CharField(
                max_length=200, required=False, label="Who or what"
            )
            self.fields[f"aftercare_{i}_when"] = forms.CharField(
                max_length=120, required=False, label="When"
            )
            self.fields[f"aftercare_{i}_contact"] = forms.CharField(
                max_length=200, required=False, label="Contact"
            )

    MAIN = ("discharged_on", "discharge_reason", "services_received", "clinical_summary")

    def main_fields(self):
        return [self[f] for f in self.MAIN]

    def goal_rows(self):
        return [(g, self[f"goal_{i}"], self[f"goal_{i}_note"]) for i, g in enumerate(self.goals)]

    def aftercare_rows(self):
        return [
            [self[f"aftercare_{i}_{f}"] for f in ("kind", "name", "when", "contact")]
            for i in range(AFTERCARE_ROWS)
        ]

    def later_fields(self):
        return [
            self[f]
            for f in ("diagnoses", "step_down", "medication_continuity", "patient_instructions")
        ]

    def service_data(self) -> dict:
        c = self.cleaned_data
        return {
            "discharged_on": c["discharged_on"],
            "reason": c["discharge_reason"],
            "services_received": c["services_received"],
            "clinical_summary": c["clinical_summary"],
            "goal_progress": [
                {"goal": g.statement, "outcome": c[f"goal_{i}"], "note": c[f"goal_{i}_note"]}
                for i, g in enumerate(self.goals)
            ],
            "diagnoses": list(c["diagnoses"]),
            "step_down": c["step_down"],
            "medication_continuity": c["medication_continuity"],
            "patient_instructions": c["patient_instructions"],
            "aftercare": [
                {f: c[f"aftercare_{i}_{f}"] for f in ("kind", "name", "when", "contact")}
                for i in range(AFTERCARE_ROWS)
            ],
        }


class SafetyPlanForm(forms.Form):
    """The safety plan's sections, in the patient's words (one item a line)."""

    revision = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        from openiop.care.plans.safety_models import SECTIONS

        super().__init__(*args, **kwargs)
        for name, label, required in SECTIONS:
            self.fields[name] = forms.CharField(
                label=label,
                widget=AREA,
                required=required,
                help_text="One item on each line." if name != "reasons" else "",
            )


class SafetyPlanSignForm(forms.Form):
    ROLES = [("patient", "Patient"), ("clinician", "Clinician")]

    revision = forms.IntegerField(widget=forms.HiddenInput)
    role = forms.ChoiceField(choices=ROLES)
    typed_name = forms.CharField(
        max_length=150, required=False, label="Patient's typed name (for the patient's signature)"
    )

    def __init__(self, *args, signed=(), **kwargs):
        """Offers only the signatures the version still needs."""
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [(r, label) for r, label in self.ROLES if r not in signed]
        if "patient" in signed:
            del self.fields["typed_name"]

    @property
    def complete(self) -> bool:
        return not self.fields["role"].choices
