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


def _sign_in_instead(request, extra_context=None):
    """The admin has no sign-in of its own: the application's sign-in (lockout,
    audit, second factor) is the only one, and brings the user back here."""
    from urllib.parse import urlencode

    from django.shortcuts import redirect
    from django.urls import reverse

    target = request.GET.get("next") or reverse("admin:index")
    return redirect(f"{reverse('accounts:login')}?{urlencode({'next': target})}")


admin.site.login = _sign_in_instead
