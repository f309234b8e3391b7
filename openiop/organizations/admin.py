from django import forms
from django.contrib import admin

from openiop.core.admin import AuditedAdmin
from openiop.core.errors import ApplicationError
from openiop.organizations.models import Organization, Program, Room, Site, Track
from openiop.organizations.services import zip_lookup


@admin.register(Organization)
class OrganizationAdmin(AuditedAdmin):
    list_display = ["name", "slug", "on_call_user", "on_call_email"]
    fields = ["name", "slug", "requires_supervisor_signature", "on_call_user", "on_call_email"]


class SiteForm(forms.ModelForm):
    """City, state, time zone and coordinates come from the ZIP code."""

    class Meta:
        model = Site
        fields = ["organization", "name", "street", "zip_code", "phone"]

    def clean_zip_code(self):
        try:
            self.place = zip_lookup(self.cleaned_data["zip_code"])
        except ApplicationError as exc:
            raise forms.ValidationError(exc.message) from None
        return self.place["zip_code"]

    def save(self, commit=True):
        for key, value in self.place.items():
            setattr(self.instance, key, value)
        return super().save(commit)


@admin.register(Site)
class SiteAdmin(AuditedAdmin):
    form = SiteForm
    list_display = ["name", "organization", "city", "state", "time_zone"]
    readonly_fields = ["city", "state", "time_zone", "latitude", "longitude"]


@admin.register(Room)
class RoomAdmin(AuditedAdmin):
    list_display = ["name", "site", "capacity", "is_active"]


class TrackInline(admin.TabularInline):
    model = Track
    extra = 0


@admin.register(Program)
class ProgramAdmin(AuditedAdmin):
    list_display = ["name", "organization", "level_of_care", "population", "focus", "is_active"]
    inlines = [TrackInline]
