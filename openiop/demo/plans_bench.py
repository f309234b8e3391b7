"""`openiop bench plans`: server time and SQL queries of the patient chart
with its active plan, the plan page and the "reviews due" list, in the newest
benchmark organization (seeded first if there is none; its plans seeded
first if it has none). Runs in-process with Django's test client against the
database DATABASE_URL names, as a clinician and the program director."""

import logging
import sys

from django.conf import settings
from django.db import connection
from django.test import Client, override_settings

from openiop.care.models import EpisodeStatus
from openiop.care.plans.plan_models import PlanStatus, TreatmentPlan
from openiop.demo.bench import percentile, time_page
from openiop.demo.plans_seed import organization_has_plans, seed_plans
from openiop.demo.seed import find_bench_staff, latest_bench_organization, seed_organization
from openiop.patients.models import Patient

DEFAULT_REQUESTS = 200


def bench_plans(*, requests: int = DEFAULT_REQUESTS, log=None) -> dict:
    log = log or (lambda msg: sys.stderr.write(msg + "\n"))
    org = latest_bench_organization()
    if org is None:
        log("No benchmark organization: seeding one (10,000 patients, 26 weeks, seed 1)...")
        org = seed_organization(patients=10_000, weeks=26, seed=1).organization
    seeded = None
    if not organization_has_plans(org):
        log(f"Seeding treatment plans for every episode of {org.slug}...")
        seeded = seed_plans(org, log=log)
    staff = find_bench_staff(org)
    clinician = staff["clinician"]
    plan = (
        TreatmentPlan.objects.filter(
            organization=org,
            status=PlanStatus.OPEN,
            current__isnull=False,
            episode__primary_clinician=clinician,
            episode__status=EpisodeStatus.ACTIVE,
        )
        .select_related("episode__patient")
        .order_by("id")
        .first()
    )
    pages = {
        "chart_with_plan": f"/patients/{plan.episode.patient.uuid}/",
        "plan": f"/care/plans/{plan.uuid}/",
        "reviews_due": "/care/reviews-due/",
        "reviews_due_week": "/care/reviews-due/?show=week",
    }
    hosts = [*settings.ALLOWED_HOSTS, "testserver"]
    request_log = logging.getLogger("django.request")
    level = request_log.level
    request_log.setLevel(logging.ERROR)
    results: dict[str, dict] = {}
    try:
        with override_settings(
            ALLOWED_HOSTS=hosts, REQUIRE_2FA=False
        ):  # benchmark accounts have no second factor: sign-in is not what is timed
            for name, url in pages.items():
                by_role, times, queries = {}, [], []
                for role in ("clinician", "director"):
                    client = Client()
                    client.force_login(staff[role])
                    role_url = url
                    if name.startswith("reviews_due") and role == "director":
                        sep = "&" if "?" in url else "?"
                        role_url = f"{url}{sep}clinician={clinician.uuid}"
                    r = time_page(client, role_url, requests)
                    times += r.pop("_times", [])
                    by_role[role] = r
                    if r["status"] == 200:
                        queries.append(r["queries"])
                        log(f"{name} as {role}: p95 {r['p95_ms']} ms, {r['queries']} queries")
                results[name] = {
                    "url": url,
                    "p50_ms": round(percentile(times, 0.50), 1) if times else None,
                    "p95_ms": round(percentile(times, 0.95), 1) if times else None,
                    "queries": max(queries) if queries else None,
                    "by_role": by_role,
                }
    finally:
        request_log.setLevel(level)
    plans = TreatmentPlan.objects.filter(organization=org)
    return {
        "benchmark": "plans",
        "database": connection.vendor,
        "organization": org.slug,
        "patients": Patient.objects.filter(organization=org).count(),
        "plans": plans.count(),
        "open_plans": plans.filter(status=PlanStatus.OPEN).count(),
        "objectives": _objectives(org),
        "plans_seeded_now": seeded,
        "requests_per_role": requests,
        "debug": settings.DEBUG,
        "pages": results,
    }


def _objectives(org) -> int:
    from openiop.care.plans.plan_models import PlanObjective

    return PlanObjective.objects.filter(goal__problem__version__plan__organization=org).count()
