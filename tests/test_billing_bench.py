"""The billing benchmark's seeder on a small organization, and `openiop bench billing`."""

import io
import json

import pytest
from django.core.management import call_command
from django.db.models import Q

from openiop.billing.bench_seed import MEDICARE_NAME, bench_month, seed_billing
from openiop.billing.models import (
    Authorization,
    BillingMethod,
    BillingProfile,
    BillingRule,
    Certification,
    Payer,
    RuleService,
)
from openiop.care.models import Episode
from openiop.care.plans.plan_models import TreatmentPlan
from openiop.core.clock import organization_today
from openiop.demo.seed import seed_organization
from openiop.patients.models import Coverage, PayerType
from openiop.scheduling.models import Session, SessionType
from openiop.scheduling.records import ATTENDED, Attendance, Note, NoteEntry, NoteStatus


@pytest.fixture
def small_org(db):
    return seed_organization(patients=30, weeks=8, seed=151).organization


def _counts(org) -> dict:
    return {
        "payers": Payer.objects.filter(organization=org).count(),
        "rules": BillingRule.objects.filter(organization=org).count(),
        "sessions": Session.objects.filter(organization=org).count(),
        "attendance": Attendance.objects.filter(organization=org).count(),
        "notes": Note.objects.filter(organization=org).count(),
        "entries": NoteEntry.objects.filter(organization=org).count(),
        "authorizations": Authorization.objects.filter(organization=org).count(),
        "certifications": Certification.objects.filter(organization=org).count(),
    }


def test_seeder_makes_every_kind_of_row_and_runs_once(small_org):
    org = small_org
    today = organization_today(org.pk)
    start, end = bench_month(today)
    out = seed_billing(org, today=today, log=lambda msg: None)
    assert out["created"] is True
    assert start.weekday() == 0 and (end - start).days == 34 and end < today

    assert BillingProfile.objects.get(organization=org).bill_type == "13X"
    kinds = set(Payer.objects.filter(organization=org).values_list("kind", flat=True))
    assert kinds >= {PayerType.MEDICARE, PayerType.MEDICAID, PayerType.COMMERCIAL}
    assert Payer.objects.filter(organization=org, kind=PayerType.COMMERCIAL).count() == 2
    medicare = BillingRule.objects.get(payer__name=MEDICARE_NAME, focus="")
    assert medicare.method == BillingMethod.PER_SERVICE
    assert medicare.condition_code == "92" and medicare.requires_certification
    su = BillingRule.objects.filter(organization=org, focus="", per_diem_code="H0015")
    mh = BillingRule.objects.filter(organization=org, focus="mental_health")
    assert su.count() == 5 and set(su.values_list("revenue_code", flat=True)) == {"0906"}
    assert {r.per_diem_code for r in mh if r.method == BillingMethod.PER_DIEM} == {"S9480"}
    types = SessionType.objects.filter(organization=org).count()
    assert RuleService.objects.filter(rule__organization=org).count() == 12 * types

    # every seeded coverage names a payer the organization now has
    assert not Coverage.objects.filter(patient__organization=org, payer__isnull=True).exists()

    sessions = Session.objects.filter(organization=org)
    assert sessions.exists()
    assert not sessions.exclude(date__gte=start, date__lte=end).exists()
    assert sessions.filter(session_type__code="group_therapy").exists()
    assert sessions.filter(session_type__code="individual_therapy").exists()
    attended = Attendance.objects.filter(organization=org, status__in=ATTENDED)
    assert attended.filter(minutes__gt=0).count() == attended.count() > 0
    assert out["patient_days"] == len(
        set(Attendance.objects.filter(organization=org).values_list("episode_id", "date"))
    )
    signed = Note.objects.filter(organization=org, status=NoteStatus.SIGNED)
    assert signed.exists() and not signed.filter(signed_at__isnull=True).exists()
    linked = NoteEntry.objects.filter(organization=org, objectives__isnull=False).distinct()
    assert linked.exists()
    entry = linked.first()
    assert entry.objective_keys == [str(o.key) for o in entry.objectives.all()]
    assert TreatmentPlan.objects.filter(organization=org).exists()

    in_care = Episode.objects.filter(organization=org, admitted_on__lte=end).filter(
        Q(discharged_on__isnull=True) | Q(discharged_on__gte=start)
    )
    medicare = in_care.filter(patient__coverages__payer__kind=PayerType.MEDICARE).count()
    assert out["certifications"] + out["certifications_none"] == medicare
    assert Certification.objects.filter(organization=org).count() == out["certifications"]
    assert Authorization.objects.filter(organization=org).count() == out["authorizations"]
    assert out["authorizations"] + out["authorizations_none"] > 0

    before = _counts(org)
    again = seed_billing(org, today=today, log=lambda msg: None)
    assert again == {"created": False}
    assert _counts(org) == before


def test_bench_billing_prints_the_keys(small_org):
    from openiop.billing.services import days

    if not hasattr(days, "days_evaluate"):
        pytest.skip("the day evaluator is not there yet")
    out, err = io.StringIO(), io.StringIO()
    call_command("bench", "billing", "--requests", "4", stdout=out, stderr=err)
    result = json.loads(out.getvalue())
    keys = list(result)
    assert keys[:5] == ["days", "seconds", "days_per_s", "queries_per_day", "worklist_p95_ms"]
    assert result["days"] > 0 and result["organization"] == small_org.slug
    assert result["worklist"]["statuses"] == {"200": 4}
    assert sum(result["statuses"].values()) == result["days"]
