"""Every GET operation of `/api/v1/` answers what its OpenAPI document says.

The demo organization (a small one, through the same services staff use) plus
the rows it lacks (a session note, a published outcome, a shortlist) give
every operation something to show. Each GET in the document is called as a
program director of the whole demo organization (a personal token) with
identifiers of real rows, and the JSON body is validated against the
documented schema for its status with an independent validator
(tests/openapi_helpers.py). The test fails listing every operation it could
not call with a 200, every list that came back empty (it would check nothing),
every mismatch, and every GET operation in the document that it does not know
how to call.
"""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from openiop.accounts.services import api_token_create
from openiop.api import api
from openiop.care.models import DischargeSummary, Episode, PlanReview, PlanVersion, TreatmentPlan
from openiop.core import ratelimit
from openiop.demo import directory as demo_directory
from openiop.demo.demo import DEMO_SLUG, build_demo
from openiop.directory.models import Facility, Source
from openiop.measures.models import Response
from openiop.organizations.models import Organization
from openiop.outcomes.services import outcomes_publish
from openiop.scheduling.models import Attendance, Session, SolverRun
from openiop.scheduling.services.notes import note_save, note_start
from tests.factories import staff
from tests.openapi_helpers import answer_problems

pytestmark = pytest.mark.django_db
PREFIX = "/api/v1"


def _first(queryset, what: str):
    row = queryset.first()
    assert row is not None, f"the test world has no {what}"
    return row


@pytest.fixture
def world(db, monkeypatch, tmp_path, settings):
    """The demo (its finder listing without the FindTreatment.gov file), a saved
    session note, published outcomes and a shortlist, seen by a program director
    of the whole demo organization."""
    monkeypatch.setattr(demo_directory, "FINDTREATMENT_FILE", tmp_path / "absent.json")
    assert build_demo(patients=12)
    demo_directory.build_directory_demo()
    ratelimit.reset()
    org = Organization.objects.get(slug=DEMO_SLUG)
    director = staff("program_director", organization=org, username="director.everywhere")
    program = _first(org.programs.order_by("name"), "program")

    session = _first(
        Session.objects.filter(
            organization=org,
            status="scheduled",
            attendance__status__in=("present", "late"),
        ).order_by("-starts_at"),
        "attended session",
    )
    note = note_start(actor=director, session=session)
    note_save(
        actor=director,
        note=note,
        revision=note.revision,
        topic="Coping with cravings (synthetic)",
        group_part="Synthetic group part.",
        entries={e.patient_id: ("Synthetic individual part.", []) for e in note.entries.all()},
    )
    # a small demo: every figure is shown (and published) with any count
    settings.OUTCOMES_MIN_COUNT = 1
    outcomes_publish(actor=director, program=program)
    _token, raw = api_token_create(actor=director, name="schema walk", days=1)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    match = client.post(
        f"{PREFIX}/directory/match",
        {"near": program.site.zip_code, "age": "26_64", "max_miles": 100},
        content_type="application/json",
    )
    assert match.status_code == 201, match.content
    listed = Facility.objects.filter(source=Source.OPENIOP, is_active=True)
    episode = _first(
        Episode.objects.filter(
            organization=org, assessments__isnull=False, diagnoses__isnull=False
        ).distinct(),
        "episode with an assessment and diagnoses",
    )
    version = _first(PlanVersion.objects.filter(status="signed"), "signed plan version")
    due = _first(
        TreatmentPlan.objects.filter(
            status="open",
            current__isnull=False,
            episode__status="active",
            review_due_on__lte=timezone.localdate() + dt.timedelta(days=60),
        ).select_related("episode__primary_clinician"),
        "plan due for review within 60 days",
    )
    return {
        "client": client,
        "program": program,
        "session": session,
        "note": note,
        "episode": episode,
        "patient": episode.patient,
        "response": _first(Response.objects.all(), "response"),
        "assessment": _first(episode.assessments.all(), "assessment"),
        "version": version,
        "plan": version.plan,
        "reviewer": due.episode.primary_clinician,
        "reviewed_plan": _first(PlanReview.objects.all(), "plan review").plan,
        "summary": _first(DischargeSummary.objects.all(), "discharge summary"),
        "run": _first(SolverRun.objects.all(), "solver run"),
        "facility": _first(listed.order_by("name"), "finder listing"),
        "facilities": listed.order_by("name"),
        "shortlist": match.json()["shortlist"]["token"],
        "attendee": _first(Attendance.objects.filter(session=session), "attendance").patient,
    }


def _monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


# path in the document -> (path parameters, query) from the world
CALLS = {
    "/me": lambda w: ({}, {}),
    "/programs": lambda w: ({}, {}),
    "/programs/{program_uuid}": lambda w: ({"program_uuid": w["program"].uuid}, {}),
    "/tracks": lambda w: ({}, {"program": w["program"].uuid}),
    "/sites": lambda w: ({}, {}),
    "/staff": lambda w: ({}, {}),
    "/patients": lambda w: ({}, {}),
    "/patients/{patient_uuid}": lambda w: ({"patient_uuid": w["patient"].uuid}, {}),
    "/episodes": lambda w: ({}, {"program": w["program"].uuid}),
    "/episodes/{episode_uuid}": lambda w: ({"episode_uuid": w["episode"].uuid}, {}),
    "/instruments": lambda w: ({}, {}),
    "/instruments/{code}": lambda w: ({"code": "phq9"}, {}),
    "/responses": lambda w: ({}, {}),
    "/responses/{response_uuid}": lambda w: ({"response_uuid": w["response"].uuid}, {}),
    "/alerts": lambda w: ({}, {"status": "all"}),
    "/outcomes": lambda w: ({}, {}),
    "/outcomes/published": lambda w: ({}, {"program": w["program"].uuid}),
    "/assessments": lambda w: ({}, {}),
    "/assessments/{assessment_uuid}": lambda w: ({"assessment_uuid": w["assessment"].uuid}, {}),
    "/diagnoses": lambda w: ({}, {"episode": w["episode"].uuid}),
    "/icd10cm": lambda w: ({}, {"q": "alcohol"}),
    "/plans": lambda w: ({}, {}),
    "/plans/{plan_uuid}": lambda w: ({"plan_uuid": w["plan"].uuid}, {}),
    "/plans/{plan_uuid}/versions/{number}": lambda w: (
        {"plan_uuid": w["plan"].uuid, "number": w["version"].number},
        {},
    ),
    "/plans/{plan_uuid}/reviews": lambda w: ({"plan_uuid": w["reviewed_plan"].uuid}, {}),
    "/reviews-due": lambda w: ({}, {"clinician": w["reviewer"].uuid, "within_days": 60}),
    "/discharges/{summary_uuid}": lambda w: ({"summary_uuid": w["summary"].uuid}, {}),
    "/directory/facilities": lambda w: (
        {},
        {"near": w["program"].site.zip_code, "radius_miles": 100},
    ),
    "/directory/facilities/{facility_uuid}": lambda w: (
        {"facility_uuid": w["facility"].uuid},
        {},
    ),
    "/directory/compare": lambda w: ({}, {"ids": [str(f.uuid) for f in w["facilities"][:3]]}),
    "/directory/filters": lambda w: ({}, {}),
    "/directory/shortlists/{token}": lambda w: ({"token": w["shortlist"]}, {}),
    "/scheduling/session-types": lambda w: ({}, {}),
    "/scheduling/sessions": lambda w: (
        {},
        {
            "week": _monday(timezone.localtime(w["session"].starts_at).date()).isoformat(),
            "program": w["program"].uuid,
        },
    ),
    "/scheduling/sessions/{session_uuid}": lambda w: ({"session_uuid": w["session"].uuid}, {}),
    "/scheduling/patients/{patient_uuid}/availability": lambda w: (
        {"patient_uuid": w["attendee"].uuid},
        {},
    ),
    "/scheduling/patients/{patient_uuid}/hours": lambda w: (
        {"patient_uuid": w["attendee"].uuid},
        {"weeks": 8},
    ),
    "/scheduling/notes/{note_uuid}": lambda w: ({"note_uuid": w["note"].uuid}, {}),
    "/scheduling/solver-runs/{run_uuid}": lambda w: ({"run_uuid": w["run"].uuid}, {}),
}


def _is_empty(body) -> bool:
    if isinstance(body, list):
        return not body
    return isinstance(body, dict) and isinstance(body.get("results"), list) and not body["results"]


def test_every_get_operation_answers_with_its_documented_schema(world):
    client = world["client"]
    doc = client.get(f"{PREFIX}/openapi.json").json()
    gets = [p for p, ops in doc["paths"].items() if "get" in ops]
    assert gets, "the document lists no GET operation"
    problems: list[str] = []
    for path in gets:
        short = path.removeprefix(PREFIX)
        call = CALLS.get(short)
        if call is None:
            problems.append(f"GET {path}: not covered; add how to call it to CALLS")
            continue
        params, query = call(world)
        url = path.format(**{k: str(v) for k, v in params.items()})
        ratelimit.reset()
        answer = client.get(url, query)
        if answer.status_code != 200:
            problems.append(f"GET {url}: {answer.status_code}, not 200: {answer.content[:300]!r}")
            continue
        if answer["Content-Type"].split(";")[0] != "application/json":
            problems.append(f"GET {url}: Content-Type {answer['Content-Type']}")
            continue
        body = answer.json()
        if _is_empty(body):
            problems.append(f"GET {url}: an empty list checks nothing; give it rows to show")
        problems += [f"GET {url}: {p}" for p in answer_problems(doc, path, "get", 200, body)]
    stale = sorted(set(CALLS) - {p.removeprefix(PREFIX) for p in gets})
    problems += [f"CALLS names {p}, which the document has no GET for" for p in stale]
    assert not problems, "\n".join(problems)


def test_the_walk_knows_every_get_operation_of_the_api():
    """The walk above covers the document; this keeps CALLS in step with the code
    too (an operation left out of the document would be missed by both)."""
    mounted = {
        f"{prefix}{path}".replace("//", "/")
        for prefix, router in api._routers
        for path, view in router.path_operations.items()
        if any("GET" in op.methods for op in view.operations)
    }
    normalized = {p if p.startswith("/") else f"/{p}" for p in mounted}
    assert normalized == set(CALLS)
