from django.contrib import admin

from openiop.core.admin import AuditedAdmin
from openiop.organizations.models import Organization, Program, Room, Site, Track


@admin.register(Organization)
class OrganizationAdmin(AuditedAdmin):
    list_display = ["name", "slug"]


@admin.register(Site)
class SiteAdmin(AuditedAdmin):
    list_display = ["name", "organization", "city", "state", "time_zone"]


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
