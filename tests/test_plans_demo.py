"""The demo organization has a clinical record to click through."""

from openiop.audit.services import audit_verify
from openiop.care.plans.discharge_models import DischargeSummary
from openiop.care.plans.plan_models import PlanReview, TreatmentPlan
from openiop.demo.demo import build_demo


def test_the_demo_gives_episodes_signed_plans_reviews_and_discharge_summaries(db):
    assert build_demo(patients=30)
    open_plans = TreatmentPlan.objects.filter(status="open")
    assert open_plans.count() >= 15
    assert open_plans.filter(current__isnull=True).count() == 0  # every one is signed
    assert PlanReview.objects.exists()
    ended = TreatmentPlan.objects.filter(status="ended")
    assert ended.count() == DischargeSummary.objects.count() > 0
    assert audit_verify().ok
