"""Program outcomes from the records: each figure checked by hand against a
small, known set of episodes, scores and tests; suppression of small numbers;
publishing; a constant number of queries."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from openiop.core.errors import ApplicationError, PermissionDenied
from openiop.measures import services as measures
from openiop.measures.instruments import ensure_shipped
from openiop.measures.models import Instrument
from openiop.outcomes import selectors, services
from openiop.outcomes.models import PublishedOutcome
from tests.factories import EpisodeFactory

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()
PERIOD = selectors.Period(TODAY - dt.timedelta(days=90), TODAY)


def discharged(cast, days: int, reason: str, ended_ago: int = 5):
    end = TODAY - dt.timedelta(days=ended_ago)
    return EpisodeFactory(
        program=cast.program_a,
        primary_clinician=cast.clinician_a,
        admitted_on=end - dt.timedelta(days=days),
        discharged_on=end,
        status="discharged",
        discharge_reason=reason,
    )


def phq9_at(cast, episode, day, total):
    ensure_shipped()
    answers = [min(3, max(0, total - 3 * i)) for i in range(8)] + [0]
    measures.response_record(
        actor=cast.director_a,
        patient=episode.patient,
        instrument=Instrument.objects.get(organization__isnull=True, code="phq9"),
        answers=answers,
        administered_on=day,
        episode=episode,
    )


@pytest.fixture
def records(cast):
    """12 discharges in the period: 8 completed, 2 stepped down, 2 left early;
    lengths 20..42 days (even), so the median length is (30 + 32) / 2 = 31."""
    reasons = ["completed"] * 8 + ["stepped_down"] * 2 + ["left_against_advice"] * 2
    eps = [discharged(cast, 20 + 2 * i, reason) for i, reason in enumerate(reasons)]
    # PHQ-9 baseline -> discharge: 20 -> 8 (response), 12 -> 4 (response and
    # remission), 15 -> 10 (neither), 8 -> 2 (baseline not elevated: left out)
    for ep, (base, final) in zip(eps, [(20, 8), (12, 4), (15, 10), (8, 2)], strict=False):
        phq9_at(cast, ep, ep.admitted_on, base)
        phq9_at(cast, ep, ep.discharged_on - dt.timedelta(days=3), final)
    # a score in the middle of a stay is neither baseline nor discharge score
    phq9_at(cast, eps[4], eps[4].admitted_on + dt.timedelta(days=18), 22)
    # drug tests in the last 30 days: 4 negative, 1 positive, 1 missed
    neg = [{"substance": "cannabis", "result": "negative"}]
    for i in range(4):
        measures.drug_test_record(
            actor=cast.clinician_a,
            patient=cast.patient_a,
            collected_on=TODAY - dt.timedelta(days=i),
            status="collected",
            specimen="urine",
            results=neg,
        )
    measures.drug_test_record(
        actor=cast.clinician_a,
        patient=cast.patient_a,
        collected_on=TODAY - dt.timedelta(days=5),
        status="collected",
        specimen="urine",
        results=[{"substance": "cocaine", "result": "positive"}],
    )
    measures.drug_test_record(
        actor=cast.clinician_a, patient=cast.patient_a, collected_on=TODAY, status="missed"
    )
    # a test 40 days ago is outside the window
    measures.drug_test_record(
        actor=cast.clinician_a,
        patient=cast.patient_a,
        collected_on=TODAY - dt.timedelta(days=40),
        status="missed",
    )
    return eps


def outcomes_of(actor, program):
    found = selectors.program_outcomes(actor=actor, period=PERIOD, programs=[program])
    return {m.code: m for m in found[0].metrics}


def test_each_figure_with_its_numerator_and_denominator(cast, records, settings):
    settings.OUTCOMES_MIN_COUNT = 2  # cells of 1 are not shown
    m = outcomes_of(cast.director_a, cast.program_a)
    # 12 discharged episodes admitted in the period, plus episode A (10 days ago)
    assert (m["admissions"].value, m["admissions"].numerator) == (13, 13)
    assert (m["retention"].value, m["retention"].denominator) == (31, 12)
    # the two planned step-downs are not counted against completion
    assert (m["completion"].numerator, m["completion"].denominator) == (8, 10)
    assert m["completion"].display == "80%"
    assert (m["step_downs"].numerator, m["step_downs"].denominator) == (2, 12)
    assert (m["phq9_response"].numerator, m["phq9_response"].denominator) == (2, 3)
    assert (m["phq9_remission"].numerator, m["phq9_remission"].denominator) == (1, 3)
    assert m["phq9_response"].extra["with_baseline"] == 4
    assert m["phq9_response"].extra["followed_up"] == 3
    assert m["gad7_response"].status == "no_data"
    assert (m["negative_tests"].numerator, m["negative_tests"].denominator) == (4, 6)
    # attendance comes from the scheduling ledger; these records have no sessions
    assert m["attendance"].status == "no_data"
    assert m["attendance"].denominator == 0
    for metric in m.values():
        assert metric.definition, metric.code


def test_small_numbers_are_not_shown(cast, records):
    m = outcomes_of(cast.director_a, cast.program_a)  # the default minimum: 11
    assert m["retention"].shown  # 12 discharges
    assert m["completion"].status == "suppressed"  # 10, once step-downs are set aside
    phq = m["phq9_response"]
    assert phq.status == "suppressed" and phq.value is None
    assert "fewer than 11" in phq.note
    assert phq.as_dict()["numerator"] is None and phq.as_dict()["denominator"] is None
    assert outcomes_of(cast.admin, cast.program_b)["completion"].status == "no_data"


def test_outcomes_cost_a_fixed_number_of_queries(cast, records, settings):
    settings.OUTCOMES_MIN_COUNT = 1

    def count():
        with CaptureQueriesContext(connection) as captured:
            selectors.program_outcomes(actor=cast.admin, period=PERIOD)
        return len(captured.captured_queries)

    count()  # the first call also loads the actor's memberships
    before = count()
    for i in range(6):
        ep = discharged(cast, 30 + i, "completed")
        phq9_at(cast, ep, ep.admitted_on, 18)
        phq9_at(cast, ep, ep.discharged_on, 3)
    assert count() == before <= 12


def test_outcomes_are_scoped_to_the_viewers_programs(cast, records):
    mine = selectors.program_outcomes(actor=cast.clinician_b, period=PERIOD)
    assert [r.program for r in mine] == [cast.program_b]
    assert selectors.program_outcomes(actor=cast.readonly_a, period=PERIOD) == []


def test_a_director_publishes_the_fixed_set_over_twelve_months(cast, records, settings):
    """Found: a director picked which figures and which period to publish. Now
    every program publishes the same set over the trailing twelve months; the
    director decides only whether to publish."""
    settings.OUTCOMES_MIN_COUNT = 2  # cells of 1 are not shown
    rows = services.outcomes_publish(actor=cast.director_a, program=cast.program_a)
    published = {r.metric: r for r in rows}
    assert set(published) <= set(selectors.PUBLISHED_SET)
    completion = published["completion"]
    assert (float(completion.value), completion.numerator, completion.denominator) == (80.0, 8, 10)
    assert completion.period_end == TODAY
    assert completion.period_start == TODAY.replace(year=TODAY.year - 1) + dt.timedelta(days=1)
    assert "phq9_response" not in published  # 2 of 3: the one who did not respond is 1
    assert "retention" not in published  # the median stay is not in the set
    assert list(selectors.published_outcomes(cast.program_a).order_by("pk")) == sorted(
        rows, key=lambda r: r.pk
    )
    again = services.outcomes_publish(actor=cast.director_a, program=cast.program_a)
    current = list(selectors.published_outcomes(cast.program_a))
    assert {r.pk for r in current} == {r.pk for r in again}
    assert PublishedOutcome.objects.filter(superseded_at__isnull=False).count() == len(rows)
    services.outcomes_withdraw(actor=cast.director_a, published=current[0])
    assert selectors.published_outcomes(cast.program_a).count() == len(rows) - 1


def test_nothing_to_publish_is_said_plainly(cast):
    from tests.factories import staff

    director_b = staff("program_director", program=cast.program_b)
    with pytest.raises(ApplicationError) as exc:
        services.outcomes_publish(actor=director_b, program=cast.program_b)
    assert "Nothing can be published yet" in exc.value.message
    assert not PublishedOutcome.objects.exists()


def test_only_a_director_of_the_program_publishes(cast, records):
    for who in (cast.clinician_a, cast.admin):
        with pytest.raises(PermissionDenied):
            services.outcomes_publish(actor=who, program=cast.program_a)


def test_the_outcomes_page_shows_definitions_and_denominators(cast, records, settings):
    settings.OUTCOMES_MIN_COUNT = 2  # cells of 1 are not shown
    page = cast.client("director_a").get(
        f"/outcomes/?start={PERIOD.start.isoformat()}&end={PERIOD.end.isoformat()}"
    )
    assert page.status_code == 200
    text = page.content.decode()
    assert "8 of 10" in text  # completion
    assert "median of 12 discharges" in text
    assert "Not shown: the count, or the count of the others" in text  # PHQ-9, 2 of 3
    assert "other than planned step-downs, transfers and deaths" in text
    assert "Publish the last twelve months" in text
    bad = cast.client("director_a").get("/outcomes/?start=2030-01-01&end=2020-01-01")
    assert bad.status_code == 200 and "must start before it ends" in bad.content.decode()


def test_publishing_from_the_page(cast, records, settings):
    settings.OUTCOMES_MIN_COUNT = 2  # cells of 1 are not shown
    client = cast.client("director_a")
    url = f"/outcomes/programs/{cast.program_a.uuid}/publish/"
    form = client.get(url)
    text = form.content.decode()
    assert form.status_code == 200 and "80%" in text and "last twelve months" in text
    assert "not published: Not shown" in text  # PHQ-9 response, 2 of 3
    done = client.post(url, follow=True)
    assert b"figure(s) of Program A published" in done.content
    assert selectors.published_outcomes(cast.program_a).filter(metric="completion").exists()


def test_the_outcomes_api(cast, records, settings):
    settings.OUTCOMES_MIN_COUNT = 2  # cells of 1 are not shown
    data = cast.client("director_a").get(
        f"/api/v1/outcomes?program={cast.program_a.uuid}&start={PERIOD.start}&end={PERIOD.end}"
    )
    assert data.status_code == 200
    (program,) = data.json()
    metrics = {m["code"]: m for m in program["metrics"]}
    assert metrics["completion"]["numerator"] == 8 and metrics["completion"]["denominator"] == 10
    assert metrics["phq9_response"]["status"] == "suppressed"
    assert metrics["phq9_response"]["value"] is None
    bad = cast.client("director_a").get("/api/v1/outcomes?start=2030-01-01&end=2020-01-01")
    assert bad.status_code == 400 and "start" in bad.json()["error"]["fields"]


# honest outcomes: what the review against published rules found -----------------------


def test_response_is_counted_by_intention_to_treat(cast, settings):
    """Found: 23 elevated baselines, 11 followed up and 12 dropouts published
    "100% (11 of 11)". Everyone who started elevated is in the denominator; no
    score at discharge counts as not improved; the follow-up rate is beside."""
    settings.OUTCOMES_MIN_COUNT = 1
    for i in range(6):
        ep = discharged(cast, 30 + i, "completed")
        phq9_at(cast, ep, ep.admitted_on, 18)
        if i < 3:
            phq9_at(cast, ep, ep.discharged_on, 4)  # responded and remitted
    m = outcomes_of(cast.director_a, cast.program_a)["phq9_response"]
    assert (m.numerator, m.denominator, m.value) == (3, 6, 50.0)
    assert m.extra["followed_up"] == 3
    assert "Scored at discharge: 3 of 6" in m.note
    assert "intention to treat" in m.definition and "unlike it" in m.definition


@pytest.mark.parametrize(
    "completed, total, shown", [(1, 12, False), (11, 12, False), (6, 12, True)]
)
def test_a_small_numerator_or_complement_is_suppressed(cast, settings, completed, total, shown):
    """Found: "8.3% (1 of 12)" was published. With cells of 1 to 10 suppressed
    (the default minimum of 11), 1 of 12 and 11 of 12 are not shown."""
    settings.OUTCOMES_MIN_COUNT = 6
    for i in range(total):
        discharged(cast, 20 + i, "completed" if i < completed else "left_against_advice")
    m = outcomes_of(cast.director_a, cast.program_a)["completion"]
    assert m.shown is shown
    if not shown:
        assert m.value is None and m.as_dict()["numerator"] is None


def test_deaths_transfers_and_step_downs_do_not_count_against_completion(cast, settings):
    settings.OUTCOMES_MIN_COUNT = 1
    for reason in ["completed", "died", "transferred", "stepped_down", "incarcerated"]:
        discharged(cast, 30, reason)
    m = outcomes_of(cast.director_a, cast.program_a)["completion"]
    assert (m.numerator, m.denominator) == (1, 2)  # completed, incarcerated


def test_retention_at_30_60_and_90_days_includes_people_still_in_treatment(cast, settings):
    """Found: retention was the median stay of discharged patients only, so a
    program whose people are still in treatment (or vanished unrecorded) looked
    the same as one that kept them."""
    settings.OUTCOMES_MIN_COUNT = 1
    period = selectors.Period(TODAY - dt.timedelta(days=200), TODAY)
    admitted = TODAY - dt.timedelta(days=100)
    # active for 100 days: retained at 30, 60 and 90
    EpisodeFactory(program=cast.program_a, admitted_on=admitted)
    # left against advice on day 45: retained at 30 only
    EpisodeFactory(
        program=cast.program_a,
        admitted_on=admitted,
        discharged_on=admitted + dt.timedelta(days=45),
        status="discharged",
        discharge_reason="left_against_advice",
    )
    # completed on day 50: a planned ending, retained throughout
    EpisodeFactory(
        program=cast.program_a,
        admitted_on=admitted,
        discharged_on=admitted + dt.timedelta(days=50),
        status="discharged",
        discharge_reason="completed",
    )
    # admitted 40 days ago: counted at 30 days only (60 and 90 have not passed)
    EpisodeFactory(program=cast.program_a, admitted_on=TODAY - dt.timedelta(days=40))
    found = selectors.program_outcomes(
        actor=cast.director_a, period=period, programs=[cast.program_a]
    )
    m = {x.code: x for x in found[0].metrics}
    # cast.episode_a (admitted 10 days ago) is in no cohort yet
    assert (m["retained_30"].numerator, m["retained_30"].denominator) == (4, 4)
    assert (m["retained_60"].numerator, m["retained_60"].denominator) == (2, 3)
    assert (m["retained_90"].numerator, m["retained_90"].denominator) == (2, 3)
