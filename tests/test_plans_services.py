"""Treatment plans: assessment, diagnoses, plan content, signing, versions,
reviews, relapse prevention, discharge. Bad input is refused with a message
naming what is wrong, and nothing is written."""

import datetime as dt

import pytest

from openiop.audit.models import AuditEvent
from openiop.care.models import Episode
from openiop.care.plans.models import Diagnosis, PlanSettings
from openiop.care.plans.plan_models import (
    PlanIntervention,
    PlanObjective,
    PlanSignature,
    PlanVersion,
    TreatmentPlan,
)
from openiop.care.plans.services.assessment import assessment_complete, diagnosis_add
from openiop.care.plans.services.plan import plan_item_save, plan_revise, plan_start
from openiop.care.plans.services.review import plan_review_record
from openiop.care.plans.services.signing import plan_sign
from openiop.core.errors import ApplicationError, Conflict, PermissionDenied
from openiop.patients.models import SupportPerson
from tests.plans_helpers import TODAY, assess, sign_all, small_plan


def events(name):
    return AuditEvent.objects.filter(event=name).count()


def test_assessment_recommends_iop_from_default_rules_and_records_an_override(cast):
    a = assess(cast.clinician_a, cast.episode_a)
    # D5 = 3 matches the 2.1 rule (D5 >= 2) before any higher rule holds
    assert a.recommended_level == "2.1"
    assert "default rules, rule 6" in a.rules_source
    with pytest.raises(ApplicationError) as err:
        assessment_complete(actor=cast.clinician_a, assessment=a, chosen_level="2.5")
    assert "override_reason" in err.value.fields
    a.refresh_from_db()
    assert a.status == "draft"
    done = assessment_complete(
        actor=cast.clinician_a,
        assessment=a,
        chosen_level="2.5",
        override_reason="Lives alone; no evening supports (synthetic).",
    )
    assert done.status == "completed" and done.is_override
    assert events("assessment.complete") == 1


def test_a_program_s_own_rules_replace_the_defaults(cast):
    PlanSettings.objects.create(
        program=cast.program_a,
        loc_rules=[
            {"level": "2.5", "reason": "Strict program", "any": [{"total": 8}]},
            {"level": "1", "reason": "", "any": []},
        ],
    )
    a = assess(cast.clinician_a, cast.episode_a)
    assert a.recommended_level == "2.5"
    assert a.rules_source == "Program A rules, rule 1"


def test_a_rating_of_three_needs_a_note(cast):
    with pytest.raises(ApplicationError) as err:
        assess(
            cast.clinician_a,
            cast.episode_a,
            ratings={"1": 0, "2": 0, "3": 3, "4": 0, "5": 0, "6": 0},
            dimensions={
                "1": {"rating": 0},
                "2": {"rating": 0},
                "3": {"rating": 3, "note": ""},
                "4": {"rating": 0},
                "5": {"rating": 0},
                "6": {"rating": 0},
            },
        )
    assert "dimension_3_note" in err.value.fields


def test_an_unknown_icd_code_is_refused_and_nothing_written(cast):
    for code, words in [("X99.99", "not an ICD-10-CM code"), ("F10", "is a category")]:
        with pytest.raises(ApplicationError) as err:
            diagnosis_add(actor=cast.clinician_a, episode=cast.episode_a, code=code)
        assert words in err.value.fields["code"][0]
    assert not Diagnosis.objects.exists()


def test_diagnoses_are_flagged_so_co_occurring_disorders_show(cast):
    d1 = diagnosis_add(
        actor=cast.clinician_a, episode=cast.episode_a, code="f10.20", is_primary=True
    )
    d2 = diagnosis_add(
        actor=cast.clinician_a, episode=cast.episode_a, code="F33.1", is_primary=True
    )
    d1.refresh_from_db()
    assert (d1.code, d1.category, d1.is_primary) == ("F10.20", "substance_use", False)
    assert (d2.category, d2.is_primary) == ("mental_health", True)
    assert d2.description == "Major depressive disorder, recurrent, moderate"


def test_a_second_open_plan_for_the_same_episode_is_refused(cast):
    plan_start(actor=cast.clinician_a, episode=cast.episode_a)
    with pytest.raises(ApplicationError) as err:
        plan_start(actor=cast.clinician_a, episode=cast.episode_a)
    assert "already has an open treatment plan" in err.value.fields["episode"][0]
    assert TreatmentPlan.objects.count() == 1


def test_objective_dates_are_checked(cast):
    plan = small_plan(cast.clinician_a, cast.episode_a)
    goal = PlanObjective.objects.get().goal
    before = PlanObjective.objects.count()
    with pytest.raises(ApplicationError) as err:
        plan_item_save(
            actor=cast.clinician_a,
            plan=plan,
            revision=plan.revision,
            kind="objective",
            parent=goal,
            statement="Something measurable",
            target_on=None,
        )
    assert err.value.fields["target_on"] == ["Give the objective a target date."]
    with pytest.raises(ApplicationError) as err:
        plan_item_save(
            actor=cast.clinician_a,
            plan=plan,
            revision=plan.revision,
            kind="objective",
            parent=goal,
            statement="Something measurable",
            target_on=cast.episode_a.admitted_on - dt.timedelta(days=1),
        )
    assert "before the admission" in err.value.fields["target_on"][0]
    assert PlanObjective.objects.count() == before


def test_an_intervention_needs_a_frequency(cast):
    plan = small_plan(cast.clinician_a, cast.episode_a)
    objective = PlanObjective.objects.get()
    with pytest.raises(ApplicationError) as err:
        plan_item_save(
            actor=cast.clinician_a,
            plan=plan,
            revision=plan.revision,
            kind="intervention",
            parent=objective,
            modality="individual",
            sessions=None,
            period="",
            responsible=cast.clinician_a,
        )
    assert "how often" in err.value.fields["sessions"][0]
    assert PlanIntervention.objects.count() == 1


def test_family_therapy_involves_only_consenting_support_persons(cast):
    plan = small_plan(cast.clinician_a, cast.episode_a)
    objective = PlanObjective.objects.get()
    no = SupportPerson.objects.create(
        patient=cast.patient_a, name="Pat Noconsent (synthetic)", relationship="spouse"
    )
    yes = SupportPerson.objects.create(
        patient=cast.patient_a,
        name="Lee Consents (synthetic)",
        relationship="parent",
        involvement_consent=True,
    )
    kwargs = dict(
        actor=cast.clinician_a,
        plan=plan,
        kind="intervention",
        parent=objective,
        modality="family",
        sessions=1,
        period="fortnight",
        responsible=cast.clinician_a,
    )
    with pytest.raises(ApplicationError) as err:
        plan_item_save(revision=plan.revision, support_persons=[no], **kwargs)
    assert "consent" in err.value.fields["support_persons"][0]
    iv = plan_item_save(revision=plan.revision, support_persons=[yes], **kwargs)
    assert list(iv.support_persons.all()) == [yes]
    assert iv.frequency_label == "1 family session every other week, 50 min"


def test_a_stale_edit_is_refused_naming_who_changed_the_plan(cast):
    plan = small_plan(cast.clinician_a, cast.episode_a)
    stale = plan.revision
    other = TreatmentPlan.objects.get(pk=plan.pk)
    plan_item_save(
        actor=cast.director_a,
        plan=other,
        revision=stale,
        kind="problem",
        statement="Added by the director (synthetic).",
    )
    with pytest.raises(Conflict) as err:
        plan_item_save(
            actor=cast.clinician_a,
            plan=plan,
            revision=stale,
            kind="problem",
            statement="Added from a stale page.",
        )
    assert f"{cast.director_a.display_name} changed this plan at" in err.value.message
    assert f"revision {stale + 1}" in err.value.message
    assert not plan.versions.get().problems.filter(statement__contains="stale").exists()


def test_signing_puts_the_plan_in_effect_and_sets_the_review_date(cast):
    plan = sign_all(small_plan(cast.clinician_a, cast.episode_a), cast.clinician_a)
    assert plan.current.number == 1 and plan.current.status == "signed"
    assert plan.review_due_on == TODAY + dt.timedelta(days=cast.program_a.plan_review_days)
    assert events("plan.sign.clinician") == 1 and events("plan.sign.patient") == 1


def test_a_signature_by_someone_without_the_right_role_is_refused(cast):
    cast.org.requires_supervisor_signature = True
    cast.org.save()
    plan = small_plan(cast.clinician_a, cast.episode_a)
    with pytest.raises(PermissionDenied) as err:
        plan_sign(actor=cast.clinician_a, plan=plan, revision=plan.revision, role="supervisor")
    assert "cannot sign as clinical supervisor" in err.value.fields["role"][0]
    with pytest.raises(PermissionDenied):
        plan_sign(actor=cast.readonly_a, plan=plan, revision=plan.revision, role="clinician")
    assert not PlanSignature.objects.exists()
    sign_all(plan, cast.clinician_a)
    assert plan.current is None  # still needs the supervisor
    plan_sign(actor=cast.director_a, plan=plan, revision=plan.revision, role="supervisor")
    plan.refresh_from_db()
    assert plan.current.status == "signed"


def test_a_typed_patient_signature_must_be_the_patient_s_name(cast):
    plan = small_plan(cast.clinician_a, cast.episode_a)
    with pytest.raises(ApplicationError) as err:
        plan_sign(
            actor=cast.clinician_a,
            plan=plan,
            revision=plan.revision,
            role="patient",
            method="typed",
            typed_name="Someone Else",
        )
    assert "patient's name" in err.value.fields["typed_name"][0]


def test_a_signed_plan_is_immutable_and_a_change_makes_a_new_version(cast):
    plan = sign_all(small_plan(cast.clinician_a, cast.episode_a), cast.clinician_a)
    problem = plan.current.problems.get()
    with pytest.raises(ApplicationError) as err:
        plan_item_save(
            actor=cast.clinician_a,
            plan=plan,
            revision=plan.revision,
            kind="problem",
            item=problem,
            statement="Rewritten after signing",
        )
    assert "start a new version" in err.value.message
    v2 = plan_revise(
        actor=cast.clinician_a,
        plan=plan,
        revision=plan.revision,
        reason="Add family work (synthetic)",
    )
    assert v2.number == 2 and v2.status == "draft"
    assert v2.problems.get().key == problem.key
    sign_all(plan, cast.clinician_a)
    assert PlanVersion.objects.get(number=1).status == "superseded"
    assert plan.current.number == 2


def test_a_review_records_progress_and_can_revise_the_plan(cast):
    plan = sign_all(small_plan(cast.clinician_a, cast.episode_a), cast.clinician_a)
    objective = PlanObjective.objects.get(goal__problem__version=plan.current)
    with pytest.raises(ApplicationError):
        plan_review_record(
            actor=cast.clinician_a,
            plan=plan,
            revision=plan.revision,
            reviewed_on=TODAY,
            outcome="continue",
            summary="Good",
            progress={},
        )
    review = plan_review_record(
        actor=cast.clinician_a,
        plan=plan,
        revision=plan.revision,
        reviewed_on=TODAY,
        outcome="revise",
        summary="Objective met (synthetic).",
        revise_reason="New objective",
        progress={str(objective.uuid): {"status": "met", "note": "Attended all groups."}},
    )
    assert review.progress.get().status == "met"
    draft = plan.versions.get(number=2)
    assert PlanObjective.objects.get(goal__problem__version=draft).status == "met"
    assert plan.review_due_on == TODAY + dt.timedelta(days=30)


def test_a_clinician_of_another_program_cannot_touch_the_plan(cast):
    with pytest.raises(PermissionDenied):
        plan_start(actor=cast.clinician_b, episode=cast.episode_a)


def test_discharge_writes_summary_and_aftercare_and_closes_the_episode(cast):
    from openiop.care.plans.services.discharge import discharge_with_summary

    plan = sign_all(small_plan(cast.clinician_a, cast.episode_a), cast.clinician_a)
    d = Diagnosis.objects.get()
    kwargs = dict(
        actor=cast.clinician_a,
        episode=cast.episode_a,
        discharged_on=TODAY,
        reason="completed",
        services_received="Groups 3x/week",
        clinical_summary="Completed (synthetic).",
        goal_progress=[{"goal": "Stay sober", "outcome": "achieved"}],
        diagnoses=[d],
        step_down="outpatient",
    )
    with pytest.raises(ApplicationError) as err:
        discharge_with_summary(aftercare=[], **kwargs)
    assert "aftercare" in err.value.fields
    assert Episode.objects.get(pk=cast.episode_a.pk).is_open
    summary = discharge_with_summary(
        aftercare=[
            {
                "kind": "appointment",
                "name": "Outpatient counselor (synthetic)",
                "when": "2031-01-01 10:00",
            }
        ],
        **kwargs,
    )
    assert summary.aftercare_items.count() == 1
    assert summary.diagnoses_at_discharge[0]["code"] == "F10.20"
    cast.episode_a.refresh_from_db()
    plan.refresh_from_db()
    assert not cast.episode_a.is_open and plan.status == "ended"


def test_every_built_in_template_fits_the_default_iop_band():
    """ASAM 2.1 is 9-19 hours a week for adults and 6-19 for adolescents
    (DOMAIN.md: ASAM level summaries; DC rule 22-A DCMR 6329.1)."""
    from openiop.care.plans.hours import weekly_hours_of
    from openiop.care.plans.library_loader import built_in

    docs = built_in()
    assert len(docs) == 6
    for doc in docs:
        hours = sum(
            weekly_hours_of(i["sessions"], i["period"], i["minutes"])
            for p in doc["problems"]
            for g in p["goals"]
            for o in g["objectives"]
            for i in o["interventions"]
        )
        low = 6 if doc["key"].startswith("adolescent") else 9
        assert low <= round(hours, 2) <= 19, (doc["key"], hours)


@pytest.mark.parametrize(
    ("ratings", "level"),
    [
        ({"1": 0, "2": 0, "3": 0, "4": 1, "5": 1, "6": 1}, "1"),
        ({"1": 0, "2": 0, "3": 1, "4": 2, "5": 2, "6": 1}, "2.1"),
        ({"1": 1, "2": 0, "3": 3, "4": 2, "5": 2, "6": 2}, "2.5"),
        ({"1": 0, "2": 3, "3": 1, "4": 1, "5": 2, "6": 1}, "3"),
        ({"1": 0, "2": 1, "3": 2, "4": 4, "5": 4, "6": 1}, "3"),
        ({"1": 4, "2": 1, "3": 1, "4": 1, "5": 1, "6": 1}, "4"),
    ],
)
def test_the_default_rules_as_documented_in_asam_py(ratings, level):
    """Expected levels read from the rule table's wording in asam.DEFAULT_RULES
    (this project's decision support, not ASAM's CONTINUUM logic)."""
    from openiop.care.plans.asam import recommend

    assert recommend(ratings).level == level


def test_a_rule_table_without_a_fallback_is_refused():
    from openiop.care.plans.asam import RulesError, validate_rules

    with pytest.raises(RulesError, match="fallback"):
        validate_rules([{"level": "2.1", "any": [{"total": 3}]}])


def test_the_admin_refuses_a_program_rule_table_it_cannot_use(cast):
    from openiop.care.admin import PlanSettingsForm

    form = PlanSettingsForm(
        data={
            "program": cast.program_a.pk,
            "loc_rules": '[{"level": "9", "any": []}]',
        }
    )
    assert not form.is_valid()
    assert "must name a level" in form.errors["loc_rules"][0]


@pytest.mark.parametrize(
    ("ratings", "level"),
    [
        # Dimension 3 rated 4 is imminent danger to self or others (The ASAM Criteria,
        # 3rd ed., 2013, risk rating 4 of dimension 3): an emergency evaluation and
        # acute care, not residential treatment
        ({"1": 0, "2": 0, "3": 4, "4": 1, "5": 1, "6": 1}, "4"),
        # Dimension 1 (intoxication/withdrawal) rated 3: significant withdrawal risk,
        # medically monitored inpatient withdrawal management (ASAM 3.7-WM)
        ({"1": 3, "2": 0, "3": 1, "4": 1, "5": 2, "6": 1}, "3.7-WM"),
        # rated 2: moderate withdrawal risk, ambulatory withdrawal management with
        # extended on-site monitoring (ASAM 2-WM), never plain outpatient care
        ({"1": 2, "2": 0, "3": 0, "4": 1, "5": 1, "6": 1}, "2-WM"),
        ({"1": 2, "2": 0, "3": 2, "4": 2, "5": 3, "6": 2}, "2-WM"),
    ],
)
def test_withdrawal_risk_and_imminent_danger_follow_the_asam_criteria(ratings, level):
    """The review against The ASAM Criteria (3rd ed., 2013) found dimension 3 at 4
    sent to residential care and withdrawal risk 2 or more to plain level 1."""
    from openiop.care.plans.asam import recommend

    assert recommend(ratings).level == level
