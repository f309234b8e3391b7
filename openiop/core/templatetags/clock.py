"""`{{ instant|stamp }}`: a moment in the request's (the site's) zone with its
abbreviation, "2026-11-01 01:30 PST". Django's "T" format leaves the zone
out exactly when it matters (the repeated hour of a DST change); the zone's
own name for the moment does not. A builtin: no {% load %} needed."""

import datetime as dt

from django import template
from django.utils import timezone

register = template.Library()


@register.filter
def stamp(value, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if not isinstance(value, dt.datetime):
        return ""
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    return f"{local.strftime(fmt)} {local.tzname() or ''}".strip()
