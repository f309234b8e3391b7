from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from openiop.accounts.models import Membership, StaffCredential, User
from openiop.core.admin import AuditedAdmin


class MembershipInline(admin.TabularInline):
    model = Membership
    fk_name = "user"
    extra = 0
    exclude = ["created_by"]


class CredentialInline(admin.TabularInline):
    model = StaffCredential
    fk_name = "user"
    extra = 0
    exclude = ["created_by"]


@admin.register(User)
class UserAdmin(AuditedAdmin, BaseUserAdmin):
    list_display = ["username", "display_name", "is_active", "locked_until"]
    fieldsets = BaseUserAdmin.fieldsets + (
        ("OpenIOP", {"fields": ("display_name", "locked_until", "show_name_in_directory")}),
    )
    inlines = [MembershipInline, CredentialInline]
