"""Nightly billing in the worker (django-tasks; `openiop worker`): for each
organization, evaluate the trailing 35 days and charge the ready days through
yesterday (both in the organization's zone), then come back at 02:00 the next
night in that zone.

Each organization has one chain of waiting jobs. The worker makes sure of it
when it starts (`ensure_nightly`: a job is enqueued for an organization with
none waiting), and every run does the same for every organization, so a new
organization is picked up the next night. Two chains for one organization (two
workers starting at once) fold into one: a run enqueues its successor only when
none is waiting. A run twice, or restarted after its worker died, does no
harm: evaluation recomputes days and `charges_create` charges a day once.
`openiop billing evaluate` and `openiop billing charges` do the same by hand.
"""

import datetime as dt
import logging
import zoneinfo

from django.utils import timezone
from django_tasks import default_task_backend, task

from openiop.core.clock import activated, organization_zone

log = logging.getLogger(__name__)

TRAILING_DAYS = 35
RUN_AT = dt.time(2, 0)


@task()
def nightly_billing(organization_id: int | None = None) -> dict:
    """Evaluate and charge one organization (every organization without one),
    then schedule the next night's run."""
    from openiop.organizations.models import Organization

    orgs = Organization.objects.order_by("pk")
    if organization_id is not None:
        orgs = orgs.filter(pk=organization_id)
    out = {}
    try:
        for org in orgs:
            out[str(org.pk)] = bill_organization(org)
    finally:  # a failed night still schedules the next (the job shows as failed)
        ensure_nightly()
    return out


def bill_organization(organization, *, today: dt.date | None = None) -> dict:
    """Evaluate the trailing days and charge the ready ones through yesterday."""
    from openiop.billing.services.authorizations import authorizations_expire
    from openiop.billing.services.charges import charges_create
    from openiop.billing.services.days import days_evaluate
    from openiop.core import context

    zone = organization_zone(organization.pk)
    with activated(zone), context.bind(via="job"):
        today = today or timezone.localdate()
        yesterday = today - dt.timedelta(days=1)
        start = yesterday - dt.timedelta(days=TRAILING_DAYS - 1)
        expired = authorizations_expire(organization_id=organization.pk, today=today)
        evaluated = days_evaluate(organization=organization, start=start, end=yesterday)
        charged = charges_create(organization=organization, through=yesterday)
    charged["amount"] = str(charged["amount"])
    return {"expired": expired, "evaluated": evaluated, "charged": charged}


def next_run_at(organization_id, *, now: dt.datetime | None = None) -> dt.datetime:
    """The next 02:00 in the organization's zone (an aware instant)."""
    zone = zoneinfo.ZoneInfo(organization_zone(organization_id))
    local = (now or timezone.now()).astimezone(zone)
    day = local.date() if local.time() < RUN_AT else local.date() + dt.timedelta(days=1)
    return dt.datetime.combine(day, RUN_AT, tzinfo=zone)


def ensure_nightly() -> int:
    """Enqueue the next night's run of every organization that has none
    waiting; how many were enqueued. Safe to call at every worker start."""
    from openiop.organizations.models import Organization

    if not default_task_backend.supports_defer:
        return 0  # a backend that cannot wait: `openiop billing` from cron instead
    waiting = _waiting_organizations()
    made = 0
    for org_id in Organization.objects.order_by("pk").values_list("pk", flat=True):
        if org_id in waiting:
            continue
        try:
            nightly_billing.using(run_after=next_run_at(org_id)).enqueue(organization_id=org_id)
            made += 1
        except Exception:  # noqa: BLE001 - the next start or run tries again
            log.warning("Could not schedule nightly billing", exc_info=True)
    return made


def _waiting_organizations() -> set[int]:
    """Organizations with a nightly run waiting in the database backend's table."""
    try:
        from django_tasks_db.models import DBTaskResult
    except ImportError:  # pragma: no cover - the database backend is a dependency
        return set()
    rows = DBTaskResult.objects.filter(
        task_path=nightly_billing.module_path, status="READY"
    ).values_list("args_kwargs", flat=True)
    return {(r.get("kwargs") or {}).get("organization_id") for r in rows} - {None}
