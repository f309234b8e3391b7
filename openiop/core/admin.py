"""Admin is for configuration by superusers; its changes join the audit trail."""

from django.contrib import admin

from openiop.audit.models import Action
from openiop.audit.services import audit_record


class AuditedAdmin(admin.ModelAdmin):
    def _audit(self, request, obj, action, fields=()):
        audit_record(
            actor=request.user,
            action=action,
            event=f"admin.{type(obj).__name__.lower()}.{action}",
            obj=obj,
            changed_fields=fields,
        )

    def log_addition(self, request, obj, message):
        self._audit(request, obj, Action.CREATE)
        return super().log_addition(request, obj, message)

    def log_change(self, request, obj, message):
        fields = []
        for part in message if isinstance(message, list) else []:
            fields += part.get("changed", {}).get("fields", [])
        self._audit(request, obj, Action.UPDATE, fields)
        return super().log_change(request, obj, message)

    def log_deletions(self, request, queryset):
        for obj in queryset:
            self._audit(request, obj, Action.DELETE)
        return super().log_deletions(request, queryset)


admin.site.site_header = "OpenIOP configuration"
