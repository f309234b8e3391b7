"""The treatment-plan API: the one error shape for bad input, 409 for a stale
revision, scoping, and a whole draft sent in one request."""

import datetime as dt
import json

from openiop.care.plans.plan_models import PlanObjective, TreatmentPlan
from tests.plans_helpers import TODAY, sign_all, small_plan


def call(client, method, url, payload=None):
    kwargs = {"data": json.dumps(payload), "content_type": "application/json"} if payload else {}
    r = getattr(client, method)(url, **kwargs)
    return r.status_code, r.json()


def draft_payload(cast, revision, **objective):
    return {
        "revision": revision,
        "problems": [
            {
                "statement": "Cravings at night (synthetic)",
                "asam_dimensions": ["5"],
                "goals": [
                    {
                        "statement": "“I want to sleep without drinking.”",
                        "objectives": [
                            {
                                "statement": "Use a sleep routine 5 nights a week",
                                "target_on": (TODAY + dt.timedelta(days=21)).isoformat(),
                                **objective,
                                "interventions": [
                                    {
                                        "modality": "individual",
                                        "sessions": 1,
                                        "period": "week",
                                        "responsible": str(cast.clinician_a.uuid),
                                    }
                                ],
                            }
                        ],
                    }
                ],
            }
        ],
    }


def test_a_plan_is_written_signed_and_read_through_the_api(cast):
    c = cast.client("clinician_a")
    status, body = call(c, "post", "/api/v1/plans", {"episode": str(cast.episode_a.uuid)})
    assert status == 201, body
    url = f"/api/v1/plans/{body['uuid']}"
    status, body = call(c, "put", f"{url}/draft", draft_payload(cast, body["revision"]))
    assert status == 200, body
    assert body["weekly_hours"] == "0.83"
    assert body["content"][0]["goals"][0]["objectives"][0]["interventions"][0]["frequency"] == (
        "1 individual session a week, 50 min"
    )
    rev = TreatmentPlan.objects.get().revision
    status, body = call(c, "post", f"{url}/signatures", {"revision": rev, "role": "clinician"})
    assert status == 201 and body["role"] == "clinician"
    status, body = call(
        c,
        "post",
        f"{url}/signatures",
        {
            "revision": rev + 1,
            "role": "patient",
            "method": "typed",
            "typed_name": cast.patient_a.legal_name,
        },
    )
    assert status == 201, body
    status, body = call(c, "get", url)
    assert body["current_version"] == 1 and body["versions"][0]["status"] == "signed"
    assert {s["role"] for s in body["versions"][0]["signatures"]} == {"clinician", "patient"}


def test_bad_draft_input_names_the_field_and_writes_nothing(cast):
    plan = small_plan(cast.clinician_a, cast.episode_a)
    before = PlanObjective.objects.count()
    c = cast.client("clinician_a")
    url = f"/api/v1/plans/{plan.uuid}/draft"
    status, body = call(c, "put", url, draft_payload(cast, plan.revision, target_on=None))
    assert status == 400
    assert body["error"]["fields"] == {
        "problems[1].goals[1].objectives[1].target_on": ["Give the objective a target date."]
    }
    early = (cast.episode_a.admitted_on - dt.timedelta(days=3)).isoformat()
    status, body = call(c, "put", url, draft_payload(cast, plan.revision, target_on=early))
    assert status == 400 and "before the admission" in body["error"]["message"]
    assert PlanObjective.objects.count() == before


def test_a_stale_revision_gets_409_with_who_and_when(cast):
    plan = small_plan(cast.clinician_a, cast.episode_a)
    stale = plan.revision
    c = cast.client("clinician_a")
    d = cast.client("director_a")
    url = f"/api/v1/plans/{plan.uuid}/draft"
    assert call(d, "put", url, draft_payload(cast, stale))[0] == 200
    status, body = call(c, "put", url, draft_payload(cast, stale))
    assert status == 409
    assert body["error"]["code"] == "conflict"
    assert body["error"]["message"].startswith(
        f"{cast.director_a.display_name} changed this plan at"
    )


def test_an_unknown_icd_code_is_a_400_and_the_code_search_works(cast):
    c = cast.client("clinician_a")
    status, body = call(
        c, "post", "/api/v1/diagnoses", {"episode": str(cast.episode_a.uuid), "code": "ZZZ.9"}
    )
    assert status == 400 and body["error"]["fields"]["code"] == ["ZZZ.9 is not an ICD-10-CM code."]
    status, body = call(c, "get", "/api/v1/icd10cm?q=opioid+dependence&limit=3")
    assert status == 200 and len(body) == 3 and all(r["code"].startswith("F11") for r in body)


def test_a_review_through_the_api_and_the_reviews_due_list(cast):
    plan = sign_all(small_plan(cast.clinician_a, cast.episode_a), cast.clinician_a)
    TreatmentPlan.objects.filter(pk=plan.pk).update(review_due_on=TODAY - dt.timedelta(days=3))
    c = cast.client("clinician_a")
    status, body = call(c, "get", "/api/v1/reviews-due")
    assert status == 200 and body["count"] == 1 and body["results"][0]["overdue"] is True
    objective = PlanObjective.objects.get(goal__problem__version=plan.current)
    status, body = call(
        c,
        "post",
        f"/api/v1/plans/{plan.uuid}/reviews",
        {
            "revision": plan.revision,
            "reviewed_on": TODAY.isoformat(),
            "outcome": "continue",
            "summary": "Steady (synthetic)",
            "progress": [{"objective": str(objective.uuid), "status": "in_progress"}],
        },
    )
    assert status == 201, body
    assert body["next_review_on"] == (TODAY + dt.timedelta(days=30)).isoformat()
    assert call(c, "get", "/api/v1/reviews-due")[1]["count"] == 0


def test_another_program_s_plan_is_not_found(cast):
    plan = small_plan(cast.clinician_a, cast.episode_a)
    status, body = call(cast.client("clinician_b"), "get", f"/api/v1/plans/{plan.uuid}")
    assert status == 404 and body["error"]["code"] == "not_found"
