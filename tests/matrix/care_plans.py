"""Routes of the clinical record: assessment, diagnoses, treatment plans,
reviews, relapse prevention, discharge summary, plan library; pages and API.

The objects a route needs are made on first use and kept on the cast: a plan
of episode A with signed version 1 and draft version 2, a draft assessment, a
relapse prevention plan, a discharged episode with its summary, a fresh
episode without a plan.
"""

import datetime as dt

from django.utils import timezone

from tests.matrix.common import CONFIG_READERS, EVERYONE, PATIENT_READERS, STAFF

TODAY = timezone.localdate()
CHANGE_ASSESSMENT = {"clinician_a", "director_a", "intake"}
CHANGE_PLAN = {"clinician_a", "director_a", "prescriber_a"}
REVIEWERS = {"clinician_a", "director_a"}
DISCHARGERS = {"clinician_a", "director_a"}
TEMPLATE_READERS = {"clinician_a", "clinician_b", "director_a", "prescriber_a", "admin"}
TEMPLATE_MANAGERS = {"director_a", "admin"}


def expect(ok: dict, *, api=False, default=403):
    """`ok` maps cast members to their status; everyone else gets `default`."""
    out = {}
    for who in EVERYONE:
        if who is None:
            out[who] = 401 if api else 302
        else:
            out[who] = ok.get(who, default)
    return out


def each(members, status):
    return dict.fromkeys(members, status)


def record(c):
    """Build (once per cast) what the routes need."""
    if hasattr(c, "_record"):
        return c._record
    from openiop.care.plans.models import PlanTemplate
    from openiop.care.plans.plan_models import PlanObjective
    from openiop.care.plans.services.assessment import diagnosis_add
    from openiop.care.plans.services.discharge import discharge_with_summary
    from openiop.care.plans.services.plan import plan_revise
    from openiop.care.plans.services.relapse import relapse_plan_save
    from openiop.care.plans.services.templates import templates_ensure
    from tests.factories import EpisodeFactory, PatientFactory
    from tests.plans_helpers import assess, sign_all, small_plan

    r = type("Record", (), {})()
    r.assessment = assess(c.clinician_a, c.episode_a)
    r.plan = sign_all(small_plan(c.clinician_a, c.episode_a), c.clinician_a)
    r.v1_objectives = list(PlanObjective.objects.filter(goal__problem__version=r.plan.current))
    plan_revise(actor=c.clinician_a, plan=r.plan, revision=r.plan.revision, reason="Matrix")
    r.plan.refresh_from_db()
    r.draft_problem = r.plan.versions.get(number=2).problems.get()
    r.diagnosis = r.plan.episode.diagnoses.get()
    from openiop.care.plans.services.safety import safety_plan_save

    r.safety = safety_plan_save(
        actor=c.clinician_a,
        episode=c.episode_a,
        warning_signs="w",
        coping="c",
        help_contacts="Sam 555-0100",
        professionals="988",
        safe_environment="s",
    )
    r.rpp = relapse_plan_save(
        actor=c.clinician_a,
        episode=c.episode_a,
        triggers="t",
        warning_signs="w",
        coping_strategies="c",
        people_to_call="Sam 555-0100",
    )
    templates_ensure(c.org)
    r.template = PlanTemplate.objects.filter(organization=c.org).first()

    def new_episode():
        return EpisodeFactory(
            program=c.program_a,
            primary_clinician=c.clinician_a,
            patient=PatientFactory(organization=c.org),
            admitted_on=TODAY - dt.timedelta(days=20),
        )

    r.fresh = new_episode()
    r.to_discharge = new_episode()
    gone = new_episode()
    d = diagnosis_add(actor=c.clinician_a, episode=gone, code="F41.1")
    r.summary = discharge_with_summary(
        actor=c.clinician_a,
        episode=gone,
        discharged_on=TODAY,
        reason="completed",
        services_received="Groups",
        clinical_summary="Done",
        goal_progress=[],
        diagnoses=[d],
        step_down="none",
    )
    c._record = r
    return r


# minimum necessary: billing (readonly_a) reads diagnosis codes, not the clinical record
CARE_READERS = PATIENT_READERS - {"readonly_a"}
READ = each(CARE_READERS, 200) | {"clinician_b": 404}
DIAGNOSIS_READ = each(PATIENT_READERS, 200) | {"clinician_b": 404}


def page(url, ok, method="get"):
    return (method, url, None, expect(ok))


MATRIX = {
    ("care/episodes/<uuid:episode_uuid>/assessment/new/", "assessment_new"): page(
        lambda c: f"/care/episodes/{c.episode_a.uuid}/assessment/new/",
        each(CHANGE_ASSESSMENT, 200) | {"clinician_b": 404},
    ),
    ("care/assessments/<uuid:assessment_uuid>/", "assessment"): page(
        lambda c: f"/care/assessments/{record(c).assessment.uuid}/", READ
    ),
    ("care/assessments/<uuid:assessment_uuid>/edit/", "assessment_edit"): page(
        lambda c: f"/care/assessments/{record(c).assessment.uuid}/edit/",
        each(CHANGE_ASSESSMENT, 200) | {"clinician_b": 404},
    ),
    ("care/episodes/<uuid:episode_uuid>/diagnoses/", "diagnoses"): page(
        lambda c: f"/care/episodes/{c.episode_a.uuid}/diagnoses/", DIAGNOSIS_READ
    ),
    ("care/diagnoses/<uuid:diagnosis_uuid>/status/", "diagnosis_status"): page(
        lambda c: f"/care/diagnoses/{record(c).diagnosis.uuid}/status/",
        each(CHANGE_PLAN, 302) | {"clinician_b": 404},
        method="post",
    ),
    ("care/icd10cm/", "icd_search"): page(
        lambda c: "/care/icd10cm/?code=alcohol", each(PATIENT_READERS | {"clinician_b"}, 200)
    ),
    ("care/episodes/<uuid:episode_uuid>/plan/new/", "plan_start"): page(
        lambda c: f"/care/episodes/{c.episode_a.uuid}/plan/new/",
        each(CHANGE_PLAN, 200) | {"clinician_b": 404},
    ),
    ("care/plans/<uuid:plan_uuid>/", "plan"): page(
        lambda c: f"/care/plans/{record(c).plan.uuid}/", READ
    ),
    ("care/plans/<uuid:plan_uuid>/<str:kind>/new/", "item_new"): page(
        lambda c: f"/care/plans/{record(c).plan.uuid}/problem/new/",
        each(CHANGE_PLAN, 200) | {"clinician_b": 404},
    ),
    ("care/plans/<uuid:plan_uuid>/<str:kind>/<uuid:item_uuid>/", "item_edit"): page(
        lambda c: f"/care/plans/{record(c).plan.uuid}/problem/{record(c).draft_problem.uuid}/",
        each(CHANGE_PLAN, 200) | {"clinician_b": 404},
    ),
    ("care/plans/<uuid:plan_uuid>/sign/", "plan_sign"): page(
        lambda c: f"/care/plans/{record(c).plan.uuid}/sign/",
        each(CARE_READERS, 302) | {"clinician_b": 404},
        method="post",
    ),
    ("care/plans/<uuid:plan_uuid>/revise/", "plan_revise"): page(
        lambda c: f"/care/plans/{record(c).plan.uuid}/revise/",
        each(CHANGE_PLAN, 302) | {"clinician_b": 404},
        method="post",
    ),
    ("care/plans/<uuid:plan_uuid>/compare/", "plan_compare"): page(
        lambda c: f"/care/plans/{record(c).plan.uuid}/compare/", READ
    ),
    ("care/plans/<uuid:plan_uuid>/print/", "plan_print"): page(
        lambda c: f"/care/plans/{record(c).plan.uuid}/print/", READ
    ),
    ("care/plans/<uuid:plan_uuid>/save-as-template/", "plan_save_as_template"): page(
        lambda c: f"/care/plans/{record(c).plan.uuid}/save-as-template/",
        {"director_a": 302, "admin": 404},
        method="post",
    ),
    ("care/plans/<uuid:plan_uuid>/review/", "plan_review"): page(
        lambda c: f"/care/plans/{record(c).plan.uuid}/review/",
        each(REVIEWERS, 200) | {"clinician_b": 404},
    ),
    ("care/reviews-due/", "reviews_due"): page(
        lambda c: "/care/reviews-due/", each(REVIEWERS | {"clinician_b"}, 200)
    ),
    ("care/episodes/<uuid:episode_uuid>/relapse-prevention/", "relapse_plan"): page(
        lambda c: f"/care/episodes/{c.episode_a.uuid}/relapse-prevention/", READ
    ),
    ("care/episodes/<uuid:episode_uuid>/safety-plan/", "safety_plan"): page(
        lambda c: f"/care/episodes/{record(c).safety.episode.uuid}/safety-plan/", READ
    ),
    ("care/episodes/<uuid:episode_uuid>/safety-plan/print/", "safety_plan_print"): page(
        lambda c: f"/care/episodes/{record(c).safety.episode.uuid}/safety-plan/print/", READ
    ),
    ("care/episodes/<uuid:episode_uuid>/safety-plan/sign/", "safety_plan_sign"): page(
        lambda c: f"/care/episodes/{record(c).safety.episode.uuid}/safety-plan/sign/",
        each(CARE_READERS, 302) | {"clinician_b": 404},
        method="post",
    ),
    ("care/episodes/<uuid:episode_uuid>/relapse-prevention/print/", "relapse_plan_print"): page(
        lambda c: f"/care/episodes/{record(c).rpp.episode.uuid}/relapse-prevention/print/", READ
    ),
    ("care/episodes/<uuid:episode_uuid>/discharge-summary/new/", "discharge_new"): page(
        lambda c: f"/care/episodes/{c.episode_a.uuid}/discharge-summary/new/",
        each(DISCHARGERS, 200) | {"clinician_b": 404},
    ),
    ("care/discharges/<uuid:summary_uuid>/", "discharge_summary"): page(
        lambda c: f"/care/discharges/{record(c).summary.uuid}/", READ
    ),
    ("care/discharges/<uuid:summary_uuid>/patient-copy/", "discharge_patient_copy"): page(
        lambda c: f"/care/discharges/{record(c).summary.uuid}/patient-copy/", READ
    ),
    ("care/plan-library/", "templates"): page(
        lambda c: "/care/plan-library/", each(TEMPLATE_READERS, 200)
    ),
    ("care/plan-library/<uuid:template_uuid>/", "template"): page(
        lambda c: f"/care/plan-library/{record(c).template.uuid}/", each(TEMPLATE_READERS, 200)
    ),
    ("care/plan-library/<uuid:template_uuid>/toggle/", "template_toggle"): page(
        lambda c: f"/care/plan-library/{record(c).template.uuid}/toggle/",
        each(TEMPLATE_MANAGERS, 302),
        method="post",
    ),
    ("care/decision-rules/", "decision_rules"): page(
        lambda c: "/care/decision-rules/", each(CONFIG_READERS, 200)
    ),
}


def dims():
    return {str(i): {"rating": 1, "note": ""} for i in range(1, 7)}


def api(url, ok, method="get", payload=None):
    return (method, url, payload, expect(ok, api=True))


API_READ = each(CARE_READERS, 200) | {"clinician_b": 404}
ASSESSMENT_IN = lambda c: {  # noqa: E731
    "episode": str(c.episode_a.uuid),
    "assessed_on": TODAY.isoformat(),
    "presenting_problems": "Matrix (synthetic)",
    "risk_level": "low",
    "dimensions": dims(),
}

MATRIX.update(
    {
        ("api/v1/assessments", "list_assessments"): api(
            lambda c: "/api/v1/assessments", each(CARE_READERS | {"clinician_b"}, 200)
        ),
        ("api/v1/assessments", "create_assessment"): api(
            lambda c: "/api/v1/assessments",
            each(CHANGE_ASSESSMENT, 201) | {"clinician_b": 400},
            "post",
            ASSESSMENT_IN,
        ),
        ("api/v1/assessments/<assessment_uuid>", "get_assessment"): api(
            lambda c: f"/api/v1/assessments/{record(c).assessment.uuid}", API_READ
        ),
        ("api/v1/assessments/<assessment_uuid>", "update_assessment"): api(
            lambda c: f"/api/v1/assessments/{record(c).assessment.uuid}",
            each(CHANGE_ASSESSMENT, 200) | {"clinician_b": 404},
            "put",
            ASSESSMENT_IN,
        ),
        ("api/v1/assessments/<assessment_uuid>/complete", "complete_assessment"): api(
            lambda c: f"/api/v1/assessments/{record(c).assessment.uuid}/complete",
            each(CHANGE_ASSESSMENT, 200) | {"clinician_b": 404},
            "post",
            lambda c: {"chosen_level": record(c).assessment.recommended_level},
        ),
        ("api/v1/diagnoses", "list_diagnoses"): api(
            lambda c: f"/api/v1/diagnoses?episode={c.episode_a.uuid}",
            each(PATIENT_READERS, 200) | {"clinician_b": 400},
        ),
        ("api/v1/diagnoses", "create_diagnosis"): api(
            lambda c: "/api/v1/diagnoses",
            each(CHANGE_PLAN, 201) | {"clinician_b": 400},
            "post",
            lambda c: {"episode": str(c.episode_a.uuid), "code": "F41.1"},
        ),
        ("api/v1/icd10cm", "search_codes"): api(
            lambda c: "/api/v1/icd10cm?q=F10.2", each(PATIENT_READERS | {"clinician_b"}, 200)
        ),
        ("api/v1/plans", "list_plans"): api(
            lambda c: "/api/v1/plans", each(CARE_READERS | {"clinician_b"}, 200)
        ),
        ("api/v1/plans", "create_plan"): api(
            lambda c: "/api/v1/plans",
            each(CHANGE_PLAN, 201) | {"clinician_b": 400},
            "post",
            lambda c: {"episode": str(record(c).fresh.uuid)},
        ),
        ("api/v1/plans/<plan_uuid>", "get_plan"): api(
            lambda c: f"/api/v1/plans/{record(c).plan.uuid}", API_READ
        ),
        ("api/v1/plans/<plan_uuid>/versions/<number>", "get_version"): api(
            lambda c: f"/api/v1/plans/{record(c).plan.uuid}/versions/1", API_READ
        ),
        ("api/v1/plans/<plan_uuid>/versions", "create_version"): api(
            # version 2 is already a draft: those allowed get the domain's 400
            lambda c: f"/api/v1/plans/{record(c).plan.uuid}/versions",
            each(CHANGE_PLAN, 400) | {"clinician_b": 404},
            "post",
            lambda c: {"revision": record(c).plan.revision, "reason": "Matrix"},
        ),
        ("api/v1/plans/<plan_uuid>/draft", "replace_draft"): api(
            lambda c: f"/api/v1/plans/{record(c).plan.uuid}/draft",
            each(CHANGE_PLAN, 200) | {"clinician_b": 404},
            "put",
            lambda c: {"revision": record(c).plan.revision, "problems": []},
        ),
        ("api/v1/plans/<plan_uuid>/signatures", "sign_plan"): api(
            lambda c: f"/api/v1/plans/{record(c).plan.uuid}/signatures",
            each(CHANGE_PLAN, 201) | {"readonly_a": 403, "intake": 403, "clinician_b": 404},
            "post",
            lambda c: {"revision": record(c).plan.revision, "role": "clinician"},
        ),
        ("api/v1/plans/<plan_uuid>/reviews", "list_reviews"): api(
            lambda c: f"/api/v1/plans/{record(c).plan.uuid}/reviews", API_READ
        ),
        ("api/v1/plans/<plan_uuid>/reviews", "create_review"): api(
            lambda c: f"/api/v1/plans/{record(c).plan.uuid}/reviews",
            each(REVIEWERS, 201) | {"clinician_b": 404},
            "post",
            lambda c: {
                "revision": record(c).plan.revision,
                "reviewed_on": TODAY.isoformat(),
                "outcome": "continue",
                "summary": "Matrix (synthetic)",
                "progress": [
                    {"objective": str(o.uuid), "status": "in_progress"}
                    for o in record(c).v1_objectives
                ],
            },
        ),
        ("api/v1/reviews-due", "list_reviews_due"): api(
            lambda c: "/api/v1/reviews-due", each(REVIEWERS | {"clinician_b"}, 200)
        ),
        ("api/v1/discharges", "create_discharge"): api(
            lambda c: "/api/v1/discharges",
            each(DISCHARGERS, 201) | {"clinician_b": 400},
            "post",
            lambda c: {
                "episode": str(record(c).to_discharge.uuid),
                "discharged_on": TODAY.isoformat(),
                "discharge_reason": "completed",
                "services_received": "Groups",
                "clinical_summary": "Done (synthetic)",
                "step_down": "outpatient",
                "aftercare": [{"kind": "referral", "name": "Outpatient clinic (synthetic)"}],
            },
        ),
        ("api/v1/discharges/<summary_uuid>", "get_discharge"): api(
            lambda c: f"/api/v1/discharges/{record(c).summary.uuid}", API_READ
        ),
    }
)

assert all(k[0].startswith(("care/", "api/v1/")) for k in MATRIX), "care_plans routes only"
assert STAFF
