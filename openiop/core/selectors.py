"""What each role's dashboard shows, from the apps' selectors (constant queries)."""

import datetime as dt

from django.conf import settings
from django.db.models import Exists, OuterRef
from django.utils import timezone

from openiop.access.scope import can, scope_for
from openiop.accounts.models import StaffCredential, User
from openiop.audit.models import AuditEvent, Outcome
from openiop.audit.services import audit_read
from openiop.care.selectors import caseload, census_summary


def dashboard_for(user) -> dict:
    today = timezone.localdate()
    ctx: dict = {"today": today, "sections": set()}
    shown_patients: list[int] = []
    if can(user, "caseload.view"):
        mine = caseload(actor=user, clinician=user)
        ctx["caseload_count"] = mine.count()
        ctx["caseload"] = list(mine[:10])
        shown_patients += [ep.patient_id for ep in ctx["caseload"]]
        ctx["sections"].add("caseload")
    if can(user, "plan.review"):
        from openiop.care.plans.selectors import dashboard_reviews

        dashboard_reviews(user, ctx, today)
    if can(user, "schedule.view"):
        from openiop.scheduling.selectors import dashboard_schedule

        dashboard_schedule(user, ctx, today)
    if can(user, "caseload.view") or can(user, "billing.view"):
        from openiop.billing.worklist import dashboard_billing

        dashboard_billing(user, ctx)
    if can(user, "census.view") or can(user, "program.manage"):
        ctx["census"] = census_summary(actor=user, today=today)
        ctx["sections"].add("census")
    if can(user, "patient.create"):
        ctx["sections"].add("intake")
    if can(user, "alert.view"):
        from openiop.measures.selectors import dashboard_measures

        shown_patients += dashboard_measures(user, ctx)
    horizon = today + dt.timedelta(days=settings.CREDENTIAL_EXPIRY_WARNING_DAYS)
    # a licence renewed since (a later one of the same kind and state) is not news
    renewed = StaffCredential.objects.filter(
        user=OuterRef("user"),
        organization=OuterRef("organization"),
        license_type=OuterRef("license_type"),
        state=OuterRef("state"),
        expires_on__gt=horizon,
    )
    creds = (
        StaffCredential.objects.filter(expires_on__lte=horizon)
        .exclude(Exists(renewed))
        .select_related("user")
    )
    if can(user, "staff.view"):
        creds = creds.filter(
            user__in=User.objects.visible_to(user, "view"),
            organization_id__in=scope_for(user).organization_ids,
        )
    else:
        creds = creds.filter(user=user)
    ctx["expiring_credentials"] = list(creds.order_by("expires_on")[:20])
    if can(user, "audit.view"):
        since = timezone.now() - dt.timedelta(days=1)
        recent = AuditEvent.objects.visible_to(user, "view").filter(occurred_at__gte=since)
        ctx["audit_denied_24h"] = recent.exclude(outcome=Outcome.SUCCESS).count()
        ctx["audit_events_24h"] = recent.count()
        ctx["sections"].add("audit")
    if shown_patients:
        audit_read(actor=user, event="dashboard.view", patient_ids=shown_patients)
    return ctx
