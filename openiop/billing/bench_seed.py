"""Billing data for a benchmark organization (`openiop seed` makes it): one
month of billable days to evaluate, fast and repeatable.

Like `openiop seed` it writes rows with `bulk_create` in batches, not through
the services, and records one audit event for the run. All synthetic; dates
are relative to today. The "month" is the five full weeks before this week
(Monday to Sunday, so that every week's days-per-week check sees its whole
week). It adds:

* a billing profile (hospital outpatient, type of bill 13X);
* payers: Medicare, a Medicaid plan, two commercial plans, TRICARE (the seeded
  coverages name it) and self-pay, each with rules for level 2.1: a per-diem
  H0015 / revenue code 0906 for every focus and S9480 / 0905 for mental health
  programs; Medicare per service, in two tiers, with condition code 92 and a
  certification every 60 days; a rule service for every session type;
* the coverages linked to their payer (a few lapse during the month);
* treatment plans and diagnoses (`demo/plans_seed.py`) if the organization has
  none; a few episodes lose their primary diagnosis;
* the month's sessions, attendance and notes (`bench_seed_sessions.py`);
* authorizations (most approved for the month, some running out of units or
  ending during it, some only requested, some missing) and Medicare
  certifications (most signed, some lapsing, a few drafts or missing).
"""

import datetime as dt
import random
import sys
import time
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Q

from openiop.accounts.models import User
from openiop.audit.models import Action
from openiop.audit.services import audit_record
from openiop.billing.models import (
    Authorization,
    AuthorizationStatus,
    BillingMethod,
    BillingProfile,
    BillingRule,
    Certification,
    CertificationKind,
    CertificationStatus,
    Payer,
    ProviderKind,
    RuleService,
    UnitKind,
)
from openiop.care.models import Episode
from openiop.care.plans.models import Diagnosis
from openiop.core import context
from openiop.demo.plans_seed import organization_has_plans, seed_plans
from openiop.demo.seed import bench_username
from openiop.patients.models import Coverage, PayerType
from openiop.scheduling import localtime
from openiop.scheduling.services.types import session_types_ensure

BATCH = 2000
MONTH_WEEKS = 5
LEVEL = "2.1"


def bench_month(today: dt.date) -> tuple[dt.date, dt.date]:
    """The benchmark's month: the five full weeks (Monday-Sunday) before today's week."""
    start = localtime.monday(today) - dt.timedelta(weeks=MONTH_WEEKS)
    return start, start + dt.timedelta(days=7 * MONTH_WEEKS - 1)


# (the seeded coverage's payer name, payer, payer id, kind, H0015 rate, S9480 rate)
PAYERS = [
    ("Medicare (demo)", "Medicare (synthetic)", "MCR01", PayerType.MEDICARE, None, None),
    ("Oregon Health Plan (demo)", "State Medicaid (synthetic)", "MCD01", PayerType.MEDICAID,
     "165.00", "185.00"),
    ("Example Mutual Health (demo)", "Example Mutual Health (synthetic)", "EMH01",
     PayerType.COMMERCIAL, "250.00", "290.00"),
    ("Sample Blue Plan (demo)", "Sample Blue Plan (synthetic)", "SBP01", PayerType.COMMERCIAL,
     "240.00", "280.00"),
    ("TRICARE (demo)", "TRICARE (synthetic)", "TRI01", PayerType.TRICARE, "230.00", "260.00"),
    ("Self-pay", "Self-pay (synthetic)", "", PayerType.SELF_PAY, "150.00", "150.00"),
]  # fmt: skip
MEDICARE_NAME = PAYERS[0][1]
# Medicare IOP per day, 3 services or 4 and more (synthetic, near the 2024 hospital rates)
MEDICARE_TIERS = (Decimal("260.00"), Decimal("300.00"))
# session type -> (counts toward the day, bills on its own line, code, rate)
SERVICES = {
    "group_therapy": (True, False, "90853", "45.00"),
    "psychoeducation": (True, False, "90853", "40.00"),
    "skills_group": (True, False, "90853", "30.00"),
    "individual_therapy": (True, True, "90834", "110.00"),
    "family_therapy": (True, True, "90847", "120.00"),
    "medication_management": (True, True, "99213", "95.00"),
    "drug_testing": (False, False, "", None),
}
AUTH_REQUIRED = {PayerType.MEDICAID, PayerType.COMMERCIAL, PayerType.TRICARE}


def organization_has_billing(organization) -> bool:
    return Payer.objects.filter(organization=organization, name=MEDICARE_NAME).exists()


def seed_billing(organization, *, today: dt.date, seed: int = 1, log=None) -> dict:
    """Give the benchmark organization a month of billing data (nothing if it has it)."""
    from openiop.billing.bench_seed_sessions import seed_sessions

    log = log or (lambda msg: sys.stderr.write(msg + "\n"))
    started = time.perf_counter()
    if organization_has_billing(organization):
        log(f"{organization.slug} already has billing data; nothing to do.")
        return {"created": False}
    if not organization_has_plans(organization):
        log(f"Seeding treatment plans for every episode of {organization.slug}...")
        seed_plans(organization, seed=seed, log=log)
    start, end = bench_month(today)
    rng = random.Random(f"openiop-billing/{seed}")
    uuid_rng = random.Random(f"openiop-billing-uuid/{organization.slug}/{seed}")
    counts: dict[str, int] = {}
    with context.bind(via="cli", purpose="operations"), transaction.atomic():
        BillingProfile.objects.get_or_create(
            organization=organization,
            defaults={"provider_kind": ProviderKind.HOSPITAL_OUTPATIENT},
        )
        types = {t.code: t for t in session_types_ensure(organization)}
        payers = _payers(organization, types, counts)
        log(f"payers and rules: {counts['payers']} payers, {counts['rules']} rules")
        episodes = _episodes(organization, start, end)
        payer_of = _coverages(organization, payers, episodes, start, rng, counts)
        _diagnoses(episodes, rng, counts)
        _reviews(episodes, end, rng, counts)
        staff = _staff(organization)
        seed_sessions(
            organization,
            episodes=episodes,
            types=types,
            staff=staff,
            start=start,
            weeks=MONTH_WEEKS,
            rng=rng,
            uuid_rng=uuid_rng,
            counts=counts,
            log=log,
        )
        _authorizations(organization, episodes, payer_of, start, end, staff, rng, counts)
        _certifications(organization, episodes, payer_of, start, end, staff, rng, counts)
        counts["month_start"], counts["month_end"] = start.isoformat(), end.isoformat()
        audit_record(
            actor=None,
            action=Action.EXECUTE,
            event="seed.billing",
            organization_id=organization.pk,
            detail=counts,
            actor_name="openiop bench billing",
        )
    _analyze()
    counts["created"] = True
    counts["seconds"] = round(time.perf_counter() - started, 1)
    log(f"billing data seeded in {counts['seconds']} s: {counts}")
    return counts


def _payers(org, types, counts) -> dict[str, Payer]:
    """Payers by the payer name the seeded coverages carry, with their rules."""
    by_coverage, rules = {}, []
    for coverage_name, name, payer_id, kind, su_rate, mh_rate in PAYERS:
        payer = Payer.objects.create(organization=org, name=name, payer_id=payer_id, kind=kind)
        by_coverage[coverage_name] = payer
        if kind == PayerType.MEDICARE:
            for focus, revenue in (("", "0906"), ("mental_health", "0905")):
                rules.append(
                    BillingRule(
                        organization=org,
                        payer=payer,
                        level_of_care=LEVEL,
                        focus=focus,
                        method=BillingMethod.PER_SERVICE,
                        revenue_code=revenue,
                        tier_3_rate=MEDICARE_TIERS[0],
                        tier_4_rate=MEDICARE_TIERS[1],
                        min_minutes_per_day=0,
                        min_days_per_week=0,
                        min_services_per_day=3,
                        requires_authorization=False,
                        requires_certification=True,
                        recertification_days=60,
                        condition_code="92",
                    )
                )
            continue
        for focus, code, revenue, rate in (
            ("", "H0015", "0906", su_rate),
            ("mental_health", "S9480", "0905", mh_rate),
        ):
            rules.append(
                BillingRule(
                    organization=org,
                    payer=payer,
                    level_of_care=LEVEL,
                    focus=focus,
                    method=BillingMethod.PER_DIEM,
                    per_diem_code=code,
                    revenue_code=revenue,
                    per_diem_rate=Decimal(rate),
                    min_minutes_per_day=180,
                    min_days_per_week=3,
                    min_services_per_day=1,
                    requires_authorization=kind in AUTH_REQUIRED,
                )
            )
    BillingRule.objects.bulk_create(rules)
    services = []
    for rule in rules:
        medicare = rule.method == BillingMethod.PER_SERVICE
        for code, (counts_, separately, hcpcs, rate) in SERVICES.items():
            if code not in types:
                continue
            services.append(
                RuleService(
                    rule=rule,
                    session_type=types[code],
                    counts=counts_,
                    bills_separately=separately and not medicare,
                    code=hcpcs,
                    rate=Decimal(rate) if rate else None,
                )
            )
    RuleService.objects.bulk_create(services)
    counts.update(payers=len(by_coverage), rules=len(rules), rule_services=len(services))
    return by_coverage


def _episodes(org, start, end) -> list[dict]:
    """The episodes in care at some time during the month."""
    return list(
        Episode.objects.filter(organization=org, admitted_on__lte=end, track__isnull=False)
        .filter(Q(discharged_on__isnull=True) | Q(discharged_on__gte=start))
        .order_by("id")
        .values(
            "id",
            "patient_id",
            "program_id",
            "track_id",
            "admitted_on",
            "discharged_on",
            "primary_clinician_id",
        )
    )


def _coverages(org, payers, episodes, start, rng, counts) -> dict[int, Payer]:
    """Link every seeded coverage to its payer; a few lapse during the month.
    Returns the payer of each episode in care (by episode id)."""
    for coverage_name, payer in payers.items():
        Coverage.objects.filter(patient__organization=org, payer_name=coverage_name).update(
            payer=payer
        )
    by_id = {p.pk: p for p in payers.values()}
    rows = Coverage.objects.filter(
        patient_id__in=[e["patient_id"] for e in episodes], is_primary=True
    ).values_list("id", "patient_id", "payer_id", "starts_on")
    payer_of_patient, lapsed = {}, []
    for cid, patient_id, payer_id, starts_on in rows:
        payer_of_patient[patient_id] = by_id.get(payer_id)
        if rng.random() < 0.01:
            ends = start + dt.timedelta(days=rng.randint(7, 25))
            if starts_on is None or starts_on <= ends:
                lapsed.append((cid, ends))
    for cid, ends in lapsed:
        Coverage.objects.filter(pk=cid).update(ends_on=ends)
    counts["coverages_linked"] = len(rows)
    counts["coverages_lapsed"] = len(lapsed)
    return {e["id"]: payer_of_patient.get(e["patient_id"]) for e in episodes}


def _diagnoses(episodes, rng, counts) -> None:
    """About 1.5% of the episodes in care lose their primary diagnosis."""
    without = [e["id"] for e in episodes if rng.random() < 0.015]
    for i in range(0, len(without), 500):
        Diagnosis.objects.filter(episode_id__in=without[i : i + 500], is_primary=True).update(
            is_primary=False
        )
    counts["episodes_without_primary_diagnosis"] = len(without)


def _reviews(episodes, end, rng, counts) -> None:
    """Plan reviews on time up to the month's end (each sets the next one), except
    about 3% of the plans, whose last review was missed."""
    from openiop.care.plans.plan_models import PlanReview, ReviewOutcome, TreatmentPlan

    in_care = {e["id"]: e for e in episodes}
    plans = (
        TreatmentPlan.objects.filter(episode_id__in=list(in_care), current__isnull=False)
        .order_by("id")
        .values_list(
            "id",
            "episode_id",
            "current_id",
            "current__effective_on",
            "episode__program__plan_review_days",
        )  # fmt: skip
    )
    rows, missed = [], 0
    for plan_id, episode_id, version_id, effective, every in plans.iterator(chunk_size=2000):
        e, step = in_care[episode_id], dt.timedelta(days=every)
        last = min(end, e["discharged_on"] or end)
        due = effective + step
        skip_last = rng.random() < 0.03
        dates = []
        while due <= last:
            dates.append(due - dt.timedelta(days=rng.randint(0, 3)))
            due += step
        if skip_last and dates:
            dates.pop()
            missed += 1
        for on in dates:
            rows.append(
                PlanReview(
                    plan_id=plan_id,
                    version_id=version_id,
                    reviewed_on=on,
                    reviewer_id=e["primary_clinician_id"],
                    outcome=ReviewOutcome.CONTINUE,
                    summary="Reviewed with the patient; the plan continues (synthetic).",
                    next_review_on=on + step,
                    created_by_id=e["primary_clinician_id"],
                )
            )
    PlanReview.objects.bulk_create(rows, batch_size=BATCH)
    counts["plan_reviews"] = len(rows)
    counts["plans_review_missed"] = missed


def _staff(org) -> dict:
    from openiop.accounts.models import Membership

    slug = org.slug
    keys = ("intake", "prescriber", "billing", "director")
    users = {u.username: u for u in User.objects.filter(username__in=[
        bench_username(slug, k) for k in keys
    ])}  # fmt: skip
    staff = {k: users.get(bench_username(slug, k)) for k in keys}
    clinicians: dict[int, list[int]] = {}
    for user_id, program_id in (
        Membership.objects.filter(organization=org, role="clinician", program__isnull=False)
        .order_by("user_id")
        .values_list("user_id", "program_id")
    ):
        clinicians.setdefault(program_id, []).append(user_id)
    staff["clinicians"] = clinicians
    return staff


def _authorizations(org, episodes, payer_of, start, end, staff, rng, counts) -> None:
    """Authorizations of the episodes whose payer asks for one: most approved for
    the month, some running out of days, some ending during it, some only
    requested, some missing."""
    rows, kinds = [], dict.fromkeys(["approved", "running_out", "ending", "requested", "none"], 0)
    reviewer = staff.get("intake")
    month_days = (end - start).days + 1
    for e in episodes:
        payer = payer_of.get(e["id"])
        if payer is None or payer.kind not in AUTH_REQUIRED:
            continue
        roll = rng.random()
        kind = (
            "none" if roll < 0.04
            else "requested" if roll < 0.07
            else "ending" if roll < 0.12
            else "running_out" if roll < 0.20
            else "approved"
        )  # fmt: skip
        kinds[kind] += 1
        if kind == "none":
            continue
        begins = max(e["admitted_on"], start - dt.timedelta(days=rng.randint(0, 40)))
        ends = end + dt.timedelta(days=rng.randint(5, 40))
        units = month_days + 30
        status = AuthorizationStatus.APPROVED
        if kind == "ending":
            ends = max(begins, start + dt.timedelta(days=rng.randint(7, 24)))
        elif kind == "running_out":
            units = rng.randint(4, 10)
        elif kind == "requested":
            status, units = AuthorizationStatus.REQUESTED, 0
        rows.append(
            Authorization(
                organization=org,
                episode_id=e["id"],
                patient_id=e["patient_id"],
                payer=payer,
                number="" if kind == "requested" else f"AU{rng.randint(10**7, 10**8 - 1)}",
                level_of_care=LEVEL,
                unit_kind=UnitKind.DAYS,
                requested_units=month_days + 30,
                units=units,
                starts_on=begins,
                ends_on=ends,
                status=status,
                next_review_on=min(ends, end + dt.timedelta(days=rng.randint(-10, 14))),
                reviewer=reviewer,
                payer_reviewer=f"Care manager (synthetic), 555-01{rng.randint(0, 99):02d}",
                created_by=reviewer,
            )
        )
    Authorization.objects.bulk_create(rows, batch_size=BATCH)
    counts["authorizations"] = len(rows)
    counts.update({f"authorizations_{k}": v for k, v in kinds.items()})


ATTESTATION = (
    "I certify that the patient needs intensive outpatient services of at least 9 hours "
    "a week, under an individualized plan (synthetic)."
)


def _certifications(org, episodes, payer_of, start, end, staff, rng, counts) -> None:
    """Medicare patients: most signed for the month, some lapsing during it, a
    few drafts, a few missing."""
    rows, kinds = [], dict.fromkeys(["signed", "lapsing", "draft", "none"], 0)
    prescriber = staff.get("prescriber")
    for e in episodes:
        payer = payer_of.get(e["id"])
        if payer is None or payer.kind != PayerType.MEDICARE:
            continue
        roll = rng.random()
        kind = (
            "none" if roll < 0.04
            else "draft" if roll < 0.08
            else "lapsing" if roll < 0.15
            else "signed"
        )  # fmt: skip
        kinds[kind] += 1
        if kind == "none":
            continue
        begins = max(e["admitted_on"], start - dt.timedelta(days=rng.randint(0, 24)))
        through = begins + dt.timedelta(days=59)
        if kind == "lapsing":
            through = max(begins, start + dt.timedelta(days=rng.randint(5, 25)))
        signed = kind != "draft"
        rows.append(
            Certification(
                organization=org,
                episode_id=e["id"],
                patient_id=e["patient_id"],
                kind=CertificationKind.INITIAL
                if begins == e["admitted_on"]
                else CertificationKind.RECERTIFICATION,
                status=CertificationStatus.SIGNED if signed else CertificationStatus.DRAFT,
                weekly_hours=Decimal("9.0"),
                statement="Needs structured treatment at least 9 hours a week (synthetic).",
                covers_from=begins,
                covers_through=through,
                signed_by=prescriber if signed else None,
                signer_name=prescriber.display_name if signed and prescriber else "",
                credentials="PMHNP" if signed else "",
                attestation=ATTESTATION if signed else "",
                signed_at=dt.datetime.combine(begins, dt.time(16, 0), tzinfo=dt.UTC)
                if signed
                else None,
                created_by=prescriber,
            )
        )
    Certification.objects.bulk_create(rows, batch_size=BATCH)
    counts["certifications"] = len(rows)
    counts.update({f"certifications_{k}": v for k, v in kinds.items()})


def _analyze() -> None:
    """Planner statistics on PostgreSQL after the bulk load (as autovacuum would)."""
    if connection.vendor != "postgresql":
        return
    from openiop.billing.bench_seed_sessions import ANALYZED

    with connection.cursor() as cur:
        for model in (*ANALYZED, Authorization, Certification, Coverage, Diagnosis):
            cur.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


__all__ = ["bench_month", "organization_has_billing", "seed_billing"]
