"""Configuration of the clinical record for superusers: a program's plan
settings (supervisor signature, level-of-care rules) and plan templates.
Changes join the audit trail (AuditedAdmin)."""

from django import forms
from django.contrib import admin

from openiop.care.plans import asam
from openiop.care.plans.library_loader import validate_content
from openiop.care.plans.models import PlanSettings, PlanTemplate
from openiop.core.admin import AuditedAdmin
from openiop.core.errors import ApplicationError


class PlanSettingsForm(forms.ModelForm):
    class Meta:
        model = PlanSettings
        fields = ["program", "requires_supervisor_signature", "loc_rules"]

    def clean_loc_rules(self):
        rules = self.cleaned_data["loc_rules"]
        if rules:
            try:
                asam.validate_rules(rules)
            except asam.RulesError as exc:
                raise forms.ValidationError(str(exc)) from None
        return rules


@admin.register(PlanSettings)
class PlanSettingsAdmin(AuditedAdmin):
    form = PlanSettingsForm
    list_display = ["program", "requires_supervisor_signature"]


class PlanTemplateForm(forms.ModelForm):
    class Meta:
        model = PlanTemplate
        fields = [
            "organization",
            "key",
            "name",
            "presentation",
            "description",
            "content",
            "is_active",
        ]

    def clean_content(self):
        content = self.cleaned_data["content"]
        try:
            validate_content(content)
        except ApplicationError as exc:
            raise forms.ValidationError(exc.message) from None
        return content


@admin.register(PlanTemplate)
class PlanTemplateAdmin(AuditedAdmin):
    form = PlanTemplateForm
    list_display = ["name", "organization", "built_in", "is_active"]
    list_filter = ["built_in", "is_active"]
