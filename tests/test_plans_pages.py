"""The clinical-record pages with the test client: the whole path from intake
to discharge, form errors shown next to their fields, and the chart and the
reviews-due list in a constant number of queries."""

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext

from openiop.care.plans.models import Assessment, Diagnosis
from openiop.care.plans.plan_models import (
    PlanObjective,
    PlanProblem,
    RelapsePreventionPlan,
    TreatmentPlan,
)
from tests.factories import EpisodeFactory, PatientFactory
from tests.plans_helpers import TODAY, sign_all, small_plan


def post(client, url, data, follow=True):
    return client.post(url, data, follow=follow)


def test_a_clinician_goes_from_intake_to_discharge_in_pages(cast):
    c = cast.client("clinician_a")
    ep = cast.episode_a
    chart = c.get(f"/patients/{cast.patient_a.uuid}/")
    assert b"Start the intake assessment" in chart.content
    data = {
        "assessed_on": TODAY.isoformat(),
        "presenting_problems": "I drink to sleep (synthetic).",
        "risk_level": "low",
        **{f"dimension_{i}": "1" for i in range(1, 7)},
        "dimension_5": "3",
        "dimension_5_note": "Relapsed twice after detox (synthetic).",
    }
    r = post(c, f"/care/episodes/{ep.uuid}/assessment/new/", data)
    assert r.status_code == 200 and b"Intensive outpatient (ASAM 2.1)" in r.content
    a = Assessment.objects.get()
    r = post(c, f"/care/assessments/{a.uuid}/", {"chosen_level": "2.1"})
    assert b"accepted" in r.content
    r = post(
        c,
        f"/care/episodes/{ep.uuid}/diagnoses/",
        {"code": "F10.20", "is_primary": "on", "diagnosed_on": TODAY.isoformat()},
    )
    assert b"Alcohol dependence, uncomplicated" in r.content
    r = post(
        c,
        f"/care/episodes/{ep.uuid}/diagnoses/",
        {"code": "F99.99", "diagnosed_on": TODAY.isoformat()},
    )
    assert b"F99.99 is not an ICD-10-CM code." in r.content and Diagnosis.objects.count() == 1
    icd = c.get("/care/icd10cm/?code=major+depressive+recurrent+moderate")
    assert b"F33.1" in icd.content

    from openiop.care.plans.models import PlanTemplate
    from openiop.care.plans.services.templates import templates_ensure

    templates_ensure(cast.org)
    aud = PlanTemplate.objects.get(organization=cast.org, key="alcohol-use-disorder")
    r = post(c, f"/care/episodes/{ep.uuid}/plan/new/", {"template": aud.pk})
    plan = TreatmentPlan.objects.get()
    assert r.status_code == 200 and b"Weekly hours" in r.content
    assert PlanProblem.objects.filter(version__plan=plan, diagnoses__code="F10.20").exists()
    # an objective without a target date: the form shows the service's message
    goal = PlanObjective.objects.filter(goal__problem__version__plan=plan).first().goal
    r = post(
        c,
        f"/care/plans/{plan.uuid}/objective/new/?parent={goal.uuid}",
        {
            "revision": plan.revision,
            "statement": "Walk daily",
            "status": "not_started",
            "parent": goal.uuid,
        },
    )
    assert b"Give the objective a target date." in r.content
    # sign as clinician and as patient (typed)
    post(c, f"/care/plans/{plan.uuid}/sign/", {"revision": plan.revision, "role": "clinician"})
    plan.refresh_from_db()
    r = post(
        c,
        f"/care/plans/{plan.uuid}/sign/",
        {
            "revision": plan.revision,
            "role": "patient",
            "method": "typed",
            "typed_name": cast.patient_a.legal_name,
        },
    )
    assert b"is in effect" in r.content
    plan.refresh_from_db()
    assert plan.current.number == 1
    # review: progress on every objective, continue
    objectives = PlanObjective.objects.filter(goal__problem__version=plan.current)
    review = {
        "revision": plan.revision,
        "reviewed_on": TODAY.isoformat(),
        "summary": "Going well (synthetic).",
        "outcome": "continue",
        "patient_participated": "on",
    }
    review.update({f"objective_{o.uuid}": "in_progress" for o in objectives})
    r = post(c, f"/care/plans/{plan.uuid}/review/", review)
    assert b"Review recorded; the plan continues." in r.content
    # relapse prevention plan, printable
    r = post(
        c,
        f"/care/episodes/{ep.uuid}/relapse-prevention/",
        {
            "triggers": "Payday",
            "warning_signs": "Skipping groups",
            "coping_strategies": "Call my sponsor",
            "people_to_call": "Sam (sponsor) 555-0100",
        },
    )
    assert RelapsePreventionPlan.objects.count() == 1
    assert (
        b"Call my sponsor" in c.get(f"/care/episodes/{ep.uuid}/relapse-prevention/print/").content
    )
    # discharge with an aftercare plan
    form = c.get(f"/care/episodes/{ep.uuid}/discharge-summary/new/")
    assert b"Group therapy" in form.content
    data = {
        "discharged_on": TODAY.isoformat(),
        "discharge_reason": "completed",
        "services_received": "Group therapy 3x/week",
        "clinical_summary": "Completed (synthetic).",
        "diagnoses": [Diagnosis.objects.get().pk],
        "step_down": "outpatient",
        "aftercare_0_kind": "appointment",
        "aftercare_0_name": "Dr. Example Outpatient (synthetic)",
        "aftercare_0_when": "2031-02-03 10:00",
    }
    goals = [g for p in plan.current.problems.all() for g in p.goals.all()]
    data.update({f"goal_{i}": "achieved" for i in range(len(goals))})
    r = post(c, f"/care/episodes/{ep.uuid}/discharge-summary/new/", data)
    assert b"Discharge summary" in r.content and b"Dr. Example Outpatient" in r.content
    ep.refresh_from_db()
    assert not ep.is_open
    summary = ep.discharge_summary
    copy = c.get(f"/care/discharges/{summary.uuid}/patient-copy/")
    assert b"Your next steps" in copy.content and b"2031-02-03 10:00" in copy.content


def test_the_library_and_decision_rules_pages(cast):
    c = cast.client("director_a")
    r = c.get("/care/plan-library/")
    assert b"Opioid use disorder on medication" in r.content
    assert b"Decision support only" in c.get("/care/decision-rules/").content


def test_a_stale_page_gets_the_conflict_message(cast):
    plan = small_plan(cast.clinician_a, cast.episode_a)
    stale = plan.revision
    post(
        cast.client("director_a"),
        f"/care/plans/{plan.uuid}/problem/new/",
        {"revision": stale, "statement": "First (synthetic)"},
    )
    r = post(
        cast.client("clinician_a"),
        f"/care/plans/{plan.uuid}/problem/new/",
        {"revision": stale, "statement": "Second (synthetic)"},
    )
    assert r.status_code == 200
    assert f"{cast.director_a.display_name} changed this plan at".encode() in r.content
    assert not PlanProblem.objects.filter(statement__startswith="Second").exists()


def _grow(cast, n_objectives):
    plan = sign_all(small_plan(cast.clinician_a, cast.episode_a), cast.clinician_a)
    from openiop.care.plans.services.plan import plan_item_save, plan_revise

    plan_revise(actor=cast.clinician_a, plan=plan, revision=plan.revision, reason="More")
    goal = plan.versions.get(number=2).problems.get().goals.get()
    for i in range(n_objectives):
        o = plan_item_save(
            actor=cast.clinician_a,
            plan=plan,
            revision=plan.revision,
            kind="objective",
            parent=goal,
            statement=f"Objective {i}",
            target_on=TODAY + dt.timedelta(days=30),
        )
        plan_item_save(
            actor=cast.clinician_a,
            plan=plan,
            revision=plan.revision,
            kind="intervention",
            parent=o,
            modality="individual",
            sessions=1,
            period="week",
            responsible=cast.clinician_a,
        )
    return sign_all(plan, cast.clinician_a)


def _queries(client, url):
    client.get(url)
    with CaptureQueriesContext(connection) as q:
        r = client.get(url)
    assert r.status_code == 200
    return len(q.captured_queries)


def test_chart_and_reviews_due_queries_do_not_grow_with_objectives_or_patients(cast):
    c = cast.client("clinician_a")
    chart = f"/patients/{cast.patient_a.uuid}/"
    plan = sign_all(small_plan(cast.clinician_a, cast.episode_a), cast.clinician_a)
    TreatmentPlan.objects.filter(pk=plan.pk).update(review_due_on=TODAY - dt.timedelta(days=1))
    small_chart, small_list = _queries(c, chart), _queries(c, "/care/reviews-due/")
    # more objectives on the patient's plan, more patients with due plans
    from openiop.care.plans.services.plan import plan_item_save, plan_revise

    plan_revise(actor=cast.clinician_a, plan=plan, revision=plan.revision, reason="Grow")
    goal = plan.versions.get(number=2).problems.get().goals.get()
    for i in range(8):
        o = plan_item_save(
            actor=cast.clinician_a,
            plan=plan,
            revision=plan.revision,
            kind="objective",
            parent=goal,
            statement=f"Objective {i}",
            target_on=TODAY + dt.timedelta(days=30),
        )
        plan_item_save(
            actor=cast.clinician_a,
            plan=plan,
            revision=plan.revision,
            kind="intervention",
            parent=o,
            modality="individual",
            sessions=1,
            period="week",
            responsible=cast.clinician_a,
        )
    sign_all(plan, cast.clinician_a)
    for _ in range(6):
        ep = EpisodeFactory(
            program=cast.program_a,
            primary_clinician=cast.clinician_a,
            patient=PatientFactory(organization=cast.org),
        )
        other = sign_all(small_plan(cast.clinician_a, ep), cast.clinician_a)
        TreatmentPlan.objects.filter(pk=other.pk).update(review_due_on=TODAY - dt.timedelta(days=2))
    assert (
        PlanObjective.objects.filter(goal__problem__version=plan.versions.get(number=2)).count()
        == 9
    )
    assert _queries(c, chart) == small_chart
    assert _queries(c, "/care/reviews-due/") == small_list
