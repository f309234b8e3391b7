"""Authorizations and utilization review: requests, decisions, changes,
renewals and expiry (refusals write nothing), what is used counted from
billable days, the warnings, the pages, and the concurrent review packet."""

import datetime as dt
import threading

import pytest
from django.db import close_old_connections, connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from openiop.audit.models import AuditEvent, Outcome
from openiop.billing import authorization_selectors as sel
from openiop.billing.day_models import BillingDay, DayStatus
from openiop.billing.models import Authorization, AuthorizationStatus, Payer
from openiop.billing.services import authorizations as svc
from openiop.core.errors import ApplicationError, PermissionDenied
from openiop.patients.models import Coverage
from tests.factories import staff

TODAY = timezone.localdate()


@pytest.fixture(autouse=True)
def _no_recheck(monkeypatch):
    """The day evaluator is tested on its own; here only that it is asked."""
    calls = []
    monkeypatch.setattr(
        "openiop.billing.services.days.recheck_episodes", lambda ids: calls.append(list(ids))
    )
    return calls


@pytest.fixture
def world(cast):
    episode = cast.episode_a
    episode.admitted_on = TODAY - dt.timedelta(days=40)
    episode.save(update_fields=["admitted_on"])
    payer = Payer.objects.create(organization=cast.org, name="Synthetic Health", kind="commercial")
    Coverage.objects.create(
        patient=cast.patient_a, payer_type="commercial", payer_name="Synthetic Health", payer=payer
    )
    return payer


def request(cast, payer, *, actor=None, start=None, days=30, units=20, **kw):
    start = start or TODAY - dt.timedelta(days=10)
    return svc.authorization_create(
        actor=actor or cast.intake,
        episode=kw.pop("episode", cast.episode_a),
        payer=payer,
        level_of_care=kw.pop("level_of_care", "2.1"),
        requested_units=units,
        starts_on=start,
        ends_on=start + dt.timedelta(days=days - 1),
        **kw,
    )


def approved(cast, payer, *, units=10, number="AUTH-1", **kw):
    auth = request(cast, payer, **kw)
    return svc.authorization_decide(
        actor=cast.intake, authorization=auth, decision="approved", number=number, units=units
    )


def use(auth, n, *, status=DayStatus.READY, first=None):
    """n billable days of one unit each against the authorization."""
    first = first or auth.starts_on
    for i in range(n):
        day = first + dt.timedelta(days=i)
        BillingDay.objects.create(
            organization_id=auth.organization_id,
            program_id=auth.episode.program_id,
            episode_id=auth.episode_id,
            patient_id=auth.patient_id,
            date=day,
            week=day - dt.timedelta(days=day.weekday()),
            status=status if i % 2 else DayStatus.BILLED,
            authorization=auth,
            units=1,
        )


def events(name):
    return AuditEvent.objects.filter(event=name, outcome=Outcome.SUCCESS)


# --- writes ----------------------------------------------------------------


def test_request_then_decision_audited_with_the_patient_and_days_rechecked(
    cast, world, _no_recheck, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        auth = request(cast, world, reviewer=cast.clinician_a, payer_reviewer="Ann, 555-0100")
    assert auth.status == AuthorizationStatus.REQUESTED
    assert auth.patient_id == cast.patient_a.pk and auth.units == 0
    assert events("authorization.create").get().patient_id == cast.patient_a.pk
    assert _no_recheck == [[cast.episode_a.pk]]
    with django_capture_on_commit_callbacks(execute=True):
        svc.authorization_decide(
            actor=cast.readonly_a,
            authorization=auth,
            decision="partial",
            number="PA-77",
            units=12,
            next_review_on=TODAY + dt.timedelta(days=5),
        )
    auth.refresh_from_db()
    assert (auth.status, auth.units, auth.number) == ("partial", 12, "PA-77")
    assert events("authorization.decide").get().patient_id == cast.patient_a.pk
    assert len(_no_recheck) == 2


def test_overlapping_span_refused_nothing_written(cast, world):
    first = approved(cast, world)
    before = (Authorization.objects.count(), AuditEvent.objects.count())
    with pytest.raises(ApplicationError) as exc:
        request(cast, world, start=first.ends_on)  # shares its last day
    assert "starts_on" in exc.value.fields and "overlap" in exc.value.message
    assert (Authorization.objects.count(), AuditEvent.objects.count()) == before
    # a denied request blocks nothing; another level or payer is another authorization
    other = Payer.objects.create(organization=cast.org, name="Other Plan", kind="medicaid")
    Coverage.objects.create(
        patient=cast.patient_a, payer_type="medicaid", payer_name="Other Plan", payer=other
    )
    with pytest.raises(ApplicationError):  # ends on its first day
        request(cast, world, start=first.starts_on - dt.timedelta(days=5), days=6)
    with pytest.raises(ApplicationError):  # inside it
        request(cast, world, start=first.starts_on + dt.timedelta(days=2), days=3)
    assert (Authorization.objects.count(), AuditEvent.objects.count()) == before
    request(cast, other, start=first.starts_on)
    request(cast, world, start=first.starts_on, level_of_care="2.5")
    late = request(cast, world, start=first.ends_on + dt.timedelta(days=1))
    svc.authorization_decide(actor=cast.intake, authorization=late, decision="denied")
    request(cast, world, start=first.ends_on + dt.timedelta(days=1))


def test_change_of_dates_into_another_authorization_refused(cast, world):
    first = approved(cast, world)
    second = request(cast, world, start=first.ends_on + dt.timedelta(days=1))
    with pytest.raises(ApplicationError) as exc:
        svc.authorization_update(
            actor=cast.intake, authorization=second, starts_on=first.ends_on - dt.timedelta(2)
        )
    assert "starts_on" in exc.value.fields
    second.refresh_from_db()
    assert second.starts_on == first.ends_on + dt.timedelta(days=1)
    assert not events("authorization.update").exists()


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"days": 0}, "ends_on"),  # the last day before the first
        ({"units": 0}, "requested_units"),
        ({"start": TODAY - dt.timedelta(days=60)}, "starts_on"),  # before the admission
        ({"days": 400}, "ends_on"),
    ],
)
def test_bad_request_refused_on_its_field(cast, world, kwargs, field):
    with pytest.raises(ApplicationError) as exc:
        request(cast, world, **kwargs)
    assert field in exc.value.fields
    assert not Authorization.objects.exists()
    assert not events("authorization.create").exists()


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"decision": "approved", "number": "A1", "units": 0}, "units"),
        ({"decision": "partial", "number": "A1", "units": None}, "units"),
        ({"decision": "approved", "number": "", "units": 5}, "number"),
        ({"decision": "partial", "number": "A1", "units": 20}, "units"),  # all that was asked
        ({"decision": "maybe"}, "decision"),
        ({"decision": "denied", "ends_on": TODAY - dt.timedelta(days=30)}, "ends_on"),
    ],
)
def test_bad_decision_refused(cast, world, kwargs, field):
    auth = request(cast, world)
    with pytest.raises(ApplicationError) as exc:
        svc.authorization_decide(actor=cast.intake, authorization=auth, **kwargs)
    assert field in exc.value.fields
    auth.refresh_from_db()
    assert auth.status == AuthorizationStatus.REQUESTED
    assert not events("authorization.decide").exists()


def test_decided_once(cast, world):
    auth = approved(cast, world)
    with pytest.raises(ApplicationError, match="already decided"):
        svc.authorization_decide(actor=cast.intake, authorization=auth, decision="denied")


def test_payer_without_coverage_asks_before_recording(cast, world):
    bare = Payer.objects.create(organization=cast.org, name="No Coverage Plan", kind="commercial")
    with pytest.raises(ApplicationError) as exc:
        request(cast, bare)
    assert "payer" in exc.value.fields and "No coverage on file yet" in exc.value.message
    assert not Authorization.objects.exists()
    auth = request(cast, bare, without_coverage=True)
    assert events("authorization.create").get().detail["without_coverage"] is True
    assert auth.pk


def test_reviewer_from_the_programs_care_team(cast, world):
    with pytest.raises(ApplicationError) as exc:
        request(cast, world, reviewer=cast.clinician_b)
    assert "reviewer" in exc.value.fields
    with pytest.raises(ApplicationError):
        request(cast, world, reviewer=cast.readonly_a)  # billing does not review
    assert request(cast, world, reviewer=cast.director_a).reviewer == cast.director_a


def test_number_of_another_patient_refused(cast, world):
    approved(cast, world, number="SAME-1")
    Coverage.objects.create(
        patient=cast.patient_b, payer_type="commercial", payer_name="Synthetic Health", payer=world
    )
    cast.episode_b.admitted_on = TODAY - dt.timedelta(days=40)
    cast.episode_b.save()
    other = request(cast, world, episode=cast.episode_b)
    with pytest.raises(ApplicationError) as exc:
        svc.authorization_decide(
            actor=cast.intake, authorization=other, decision="approved", number="SAME-1", units=3
        )
    assert "number" in exc.value.fields


@pytest.mark.parametrize("who", ["clinician_a", "prescriber_a", "auditor", "admin", "billing_b"])
def test_manage_refused_without_the_permission_where_the_episode_is(cast, world, who):
    actor = (
        staff("billing", program=cast.program_b, username="billing.b")
        if who == "billing_b"
        else getattr(cast, who)
    )
    with pytest.raises(PermissionDenied):
        request(cast, world, actor=actor)
    assert not Authorization.objects.exists()


def test_a_role_in_the_patients_other_program_does_not_manage_this_episode(cast, world):
    """The patient had an episode in program B too: billing of B may not
    request for the episode in A."""
    from tests.factories import EpisodeFactory

    EpisodeFactory(program=cast.program_b, patient=cast.patient_a, status="discharged")
    billing_b = staff("billing", program=cast.program_b, username="billing.b")
    with pytest.raises(PermissionDenied):
        request(cast, world, actor=billing_b)
    assert not Authorization.objects.exists()


def test_renewal_follows_the_previous_once(cast, world):
    first = approved(cast, world)
    with pytest.raises(ApplicationError):
        svc.authorization_renew(
            actor=cast.intake,
            previous=request(cast, world, start=TODAY + dt.timedelta(days=60)),
            requested_units=5,
        )  # noqa: E501
    renewal = svc.authorization_renew(actor=cast.intake, previous=first, requested_units=8)
    assert renewal.previous == first
    assert renewal.starts_on == first.ends_on + dt.timedelta(days=1)
    assert renewal.ends_on - renewal.starts_on == first.ends_on - first.starts_on
    assert (renewal.payer, renewal.level_of_care, renewal.status) == (world, "2.1", "requested")
    assert events("authorization.renew").get().patient_id == cast.patient_a.pk
    with pytest.raises(ApplicationError, match="already been renewed"):
        svc.authorization_renew(
            actor=cast.intake,
            previous=first,
            requested_units=8,
            starts_on=first.ends_on + dt.timedelta(days=90),
        )


def test_expiry_after_the_last_day_idempotent(cast, world, _no_recheck):
    old = approved(cast, world, start=TODAY - dt.timedelta(days=35), days=30)
    pending = request(cast, world, start=TODAY - dt.timedelta(days=5), days=3)
    current = approved(cast, world, start=TODAY, days=10, number="AUTH-2")
    assert svc.authorizations_expire(organization_id=cast.org.pk) == 1
    assert svc.authorizations_expire(organization_id=cast.org.pk) == 0
    old.refresh_from_db(), pending.refresh_from_db(), current.refresh_from_db()
    assert (old.status, pending.status, current.status) == ("expired", "requested", "approved")
    event = events("authorization.expire").get()
    assert event.patient_id == cast.patient_a.pk and event.actor_id is None
    with pytest.raises(ApplicationError, match="renewal"):
        svc.authorization_update(actor=cast.intake, authorization=old, units=40)


# --- used and warnings -----------------------------------------------------


def test_used_counted_from_ready_and_billed_days_only(cast, world):
    auth = approved(cast, world, units=10)
    use(auth, 4)
    use(auth, 3, status=DayStatus.HELD, first=auth.starts_on + dt.timedelta(days=10))
    [row] = sel.with_standing([auth], TODAY)
    # of the 3 later days `use` bills the first and the third, holds the second
    assert row.standing.used == 4 + 2
    assert row.standing.remaining == 4


@pytest.mark.parametrize(("used", "warned"), [(7, False), (8, True), (10, True)])
def test_warning_at_80_percent_used(cast, world, used, warned):
    auth = approved(cast, world, units=10, start=TODAY - dt.timedelta(days=20), days=60)
    use(auth, used)
    [row] = sel.with_standing([auth], TODAY)
    assert ("units_80" in row.standing.codes) is warned
    assert "over" not in row.standing.codes


@pytest.mark.parametrize(("left", "warned"), [(8, False), (7, True), (0, True), (-1, False)])
def test_warning_seven_days_before_the_end(cast, world, left, warned):
    end = TODAY + dt.timedelta(days=left)
    auth = approved(cast, world, start=end - dt.timedelta(days=29), days=30)
    [row] = sel.with_standing([auth], TODAY)
    assert ("ending" in row.standing.codes) is warned


def test_used_above_authorized_shown_in_red_on_every_page(cast, world):
    auth = approved(cast, world, units=3, number="OVER-1")
    use(auth, 5)
    [row] = sel.with_standing([auth], TODAY)
    assert row.standing.over == 2 and row.standing.remaining == 0
    assert "over" in row.standing.codes
    client = cast.client("readonly_a")
    for url in (
        f"/billing/episodes/{cast.episode_a.uuid}/authorizations/",
        "/billing/authorizations/?warning=over",
    ):
        body = client.get(url).content.decode()
        assert '<span class="au-over">2 over</span>' in body, url
        assert 'data-warning="over"' in body


def test_review_warnings_due_and_overdue(cast, world):
    auth = approved(cast, world)
    for days, level in ((-1, "bad"), (0, "warn"), (3, "warn"), (4, None)):
        Authorization.objects.filter(pk=auth.pk).update(
            next_review_on=TODAY + dt.timedelta(days=days)
        )
        auth.refresh_from_db()
        found = [w for w in sel.standing(auth, 0, TODAY).warnings if w.code == "review"]
        assert (found[0].level if found else None) == level, days


def test_list_filter_agrees_with_the_warnings_shown(cast, world):
    """The SQL of each warning filter and the Python rule pick the same rows."""
    a = approved(cast, world, units=10, start=TODAY - dt.timedelta(days=20), days=25)
    use(a, 9)  # 90%, ends in 4 days
    b = approved(cast, world, units=2, start=TODAY + dt.timedelta(days=5), days=40, number="B")
    use(b, 3)  # over
    Authorization.objects.filter(pk=b.pk).update(next_review_on=TODAY - dt.timedelta(days=1))
    request(cast, world, start=TODAY + dt.timedelta(days=45))  # pending: no warnings
    rows = sel.with_standing(Authorization.objects.all(), TODAY)
    for code, _label in sel.WARNINGS:
        filtered = set(
            sel.authorization_list(actor=cast.intake, today=TODAY, warning=code).values_list(
                "pk", flat=True
            )
        )
        shown = {r.pk for r in rows if code in r.standing.codes}
        assert filtered == shown, code
        assert shown, code


# --- pages -----------------------------------------------------------------


def test_episode_page_and_forms(cast, world):
    client = cast.client("intake")
    url = f"/billing/episodes/{cast.episode_a.uuid}/authorizations/"
    assert client.get(url).status_code == 200
    start = TODAY - dt.timedelta(days=5)
    response = client.post(
        f"{url}new/",
        {
            "payer": world.pk,
            "level_of_care": "2.1",
            "unit_kind": "days",
            "requested_units": 12,
            "starts_on": start,
            "ends_on": start + dt.timedelta(days=29),
            "reviewer": cast.clinician_a.pk,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    auth = Authorization.objects.get()
    response = client.post(
        f"/billing/authorizations/{auth.uuid}/decide/",
        {"decision": "approved", "number": "", "units": 12},
    )
    assert "Give the payer&#x27;s authorization number." in response.content.decode()
    client.post(
        f"/billing/authorizations/{auth.uuid}/decide/",
        {"decision": "approved", "number": "N-1", "units": 12},
    )
    auth.refresh_from_db()
    assert auth.status == "approved"
    response = client.post(
        f"/billing/authorizations/{auth.uuid}/edit/",
        {
            "starts_on": start,
            "ends_on": start - dt.timedelta(days=1),
            "units": 12,
            "next_review_on": "",
        },
    )
    assert "The last day cannot be before the first day." in response.content.decode()
    response = client.post(
        f"/billing/authorizations/{auth.uuid}/edit/",
        {
            "starts_on": start,
            "ends_on": auth.ends_on,
            "units": 14,
            "next_review_on": TODAY + dt.timedelta(days=2),
            "reviewer": cast.clinician_a.pk,
        },
    )
    assert response.status_code == 302
    response = client.post(
        f"/billing/authorizations/{auth.uuid}/renew/",
        {
            "requested_units": 10,
            "starts_on": auth.ends_on + dt.timedelta(days=1),
            "ends_on": auth.ends_on + dt.timedelta(days=30),
        },
    )
    assert response.status_code == 302
    body = client.get(url).content.decode()
    assert "N-1" in body and "renews N-1" in body and "Review due in 2 d" in body
    assert "authorization.episode" in AuditEvent.objects.values_list("event", flat=True)


def test_worklist_mine_and_everyones_by_reviewer(cast, world):
    mine = approved(cast, world, reviewer=cast.clinician_a, number="MINE")
    svc.authorization_update(
        actor=cast.intake, authorization=mine, next_review_on=TODAY - dt.timedelta(days=1)
    )
    other = approved(
        cast,
        world,
        reviewer=cast.director_a,
        number="DIRS",
        start=mine.ends_on + dt.timedelta(days=1),
    )
    svc.authorization_update(actor=cast.intake, authorization=other, next_review_on=other.starts_on)
    body = cast.client("clinician_a").get("/billing/authorizations/reviews/").content.decode()
    assert "MINE" in body and "DIRS" not in body and "overdue" in body
    body = cast.client("director_a").get("/billing/authorizations/reviews/").content.decode()
    assert "MINE" in body and "DIRS" in body
    assert f"<h2>{cast.clinician_a.get_display_name()}</h2>" in body
    assert f"<h2>{cast.director_a.get_display_name()}</h2>" in body
    body = cast.client("director_a").get("/billing/authorizations/reviews/?show=mine")
    assert "MINE" not in body.content.decode()


# --- the concurrent review packet -------------------------------------------


def _record(cast, ep=None, *, objectives=1, responses=1):
    """A record to review: two assessments, diagnoses, a signed plan with
    progress, PHQ-9 scores."""
    from openiop.care.plans.models import Assessment, Diagnosis
    from openiop.care.plans.plan_models import ObjectiveProgress, PlanReview, PlanSignature
    from openiop.measures.instruments import ensure_shipped
    from openiop.measures.models import Instrument
    from openiop.measures.services import response_record
    from tests.scheduling_helpers import signed_plan_with

    ep = ep or cast.episode_a
    for days, ratings in ((38, [3, 1, 3, 2, 4, 3]), (3, [1, 1, 2, 2, 2, 3])):
        Assessment.objects.create(
            organization=cast.org,
            episode=ep,
            patient=ep.patient,
            assessed_on=TODAY - dt.timedelta(days=days),
            presenting_problems="Synthetic.",
            risk_level="low",
            status="completed",
            chosen_level="2.1",
            dimensions={str(i + 1): {"rating": r} for i, r in enumerate(ratings)},
        )
    Diagnosis.objects.create(
        organization=cast.org,
        patient=ep.patient,
        episode=ep,
        code="F10.20",
        description="Alcohol dependence, uncomplicated",
        category="substance_use",
        is_primary=True,
        diagnosed_on=TODAY - dt.timedelta(days=38),
    )
    made = signed_plan_with(cast, ep, [], objectives=objectives)
    version = made[0].goal.problem.version
    PlanSignature.objects.create(
        version=version,
        role="clinician",
        method="account",
        recorded_by=cast.clinician_a,
        signer_name="Synthetic Clinician",
        credentials="LCSW",
        attestation="Synthetic.",
        signed_at=timezone.make_aware(dt.datetime(2031, 1, 2, 10)),
    )
    review = PlanReview.objects.create(
        plan=version.plan,
        version=version,
        reviewed_on=TODAY - dt.timedelta(days=2),
        reviewer=cast.clinician_a,
        outcome="continue",
        summary="Synthetic.",
    )
    for o in made:
        ObjectiveProgress.objects.create(
            review=review,
            objective=o,
            objective_key=o.key,
            status="in_progress",
            note="Attended 9 of 10 groups.",
        )
    ensure_shipped()
    phq9 = Instrument.objects.get(organization__isnull=True, code="phq9")
    for i in range(responses):
        response_record(
            actor=cast.clinician_a,
            patient=ep.patient,
            episode=ep,
            instrument=phq9,
            answers=[2 - i % 2] * 8 + [0],
            administered_on=TODAY - dt.timedelta(days=i * 7),
        )
    return made


def test_packet_shows_each_section_from_the_record(cast, world):
    auth = approved(cast, world, number="PK-1")
    use(auth, 9)
    _record(cast)
    response = cast.client("clinician_a").get(f"/billing/authorizations/{auth.uuid}/packet/")
    assert response.status_code == 200
    body = response.content.decode()
    # ASAM at admission and latest, with the change
    assert "Acute intoxication and/or withdrawal potential" in body
    assert "-2 (better)" in body and "no change" in body
    assert "F10.20" in body and "Alcohol dependence, uncomplicated" in body
    assert 'class="sc-chart"' in body  # hours per week against the band
    assert "PHQ-9" in body
    assert "Synthetic objective 1." in body and "Attended 9 of 10 groups." in body
    assert "Synthetic Clinician, LCSW - signed 2031-01-02" in body
    assert "Objectives still open targeted by" in body  # no discharge summary yet
    assert "PK-1" in body and "data-print" in body
    assert "9 of 10 used" in body and "90% of the units used" in body
    event = events("authorization.packet").get()
    assert event.patient_id == cast.patient_a.pk and event.action == "read"


def test_packet_refused_to_billing_and_hidden_from_another_program(cast, world):
    auth = approved(cast, world)
    url = f"/billing/authorizations/{auth.uuid}/packet/"
    assert cast.client("readonly_a").get(url).status_code == 403
    assert cast.client("clinician_b").get(url).status_code == 404
    assert not events("authorization.packet").exists()
    page = cast.client("readonly_a").get(f"/billing/episodes/{cast.episode_a.uuid}/authorizations/")
    assert "packet" not in page.content.decode()


def test_packet_queries_do_not_grow_with_the_record(cast, world):
    from openiop.care.plans.models import Diagnosis
    from tests.factories import EpisodeFactory

    small = approved(cast, world)
    _record(cast, objectives=1, responses=1)
    other = EpisodeFactory(
        program=cast.program_a, track=cast.track_a, admitted_on=TODAY - dt.timedelta(days=40)
    )
    Coverage.objects.create(
        patient=other.patient, payer_type="commercial", payer_name="Synthetic Health", payer=world
    )
    large = approved(cast, world, episode=other, number="AUTH-L")
    use(large, 6)
    _record(cast, other, objectives=5, responses=6)
    Diagnosis.objects.create(
        organization=cast.org,
        patient=other.patient,
        episode=other,
        code="F41.1",
        description="Generalized anxiety disorder",
        category="mental_health",
        diagnosed_on=TODAY - dt.timedelta(days=30),
    )
    client = cast.client("clinician_a")
    counts = []
    for auth in (small, large, small):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/billing/authorizations/{auth.uuid}/packet/").status_code == 200
        # the session's own bookkeeping (saved now and then) is not the page's
        counts.append(sum("django_session" not in q["sql"] for q in queries.captured_queries))
    assert counts[1] == counts[2], counts
    assert counts[1] <= 32, counts


# --- a race on PostgreSQL ----------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_overlapping_requests_at_once_one_wins(cast, world):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL (CI runs this module there)")
    n = 6
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def run(i):
        close_old_connections()
        try:
            barrier.wait()
            results[i] = request(cast, world, start=TODAY - dt.timedelta(days=10 - i))
        except Exception as exc:  # noqa: BLE001 - the outcome under test
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    won = [r for r in results if isinstance(r, Authorization)]
    assert len(won) == 1, results
    assert all(isinstance(r, ApplicationError) for r in results if r not in won), results
    assert Authorization.objects.count() == 1
    assert events("authorization.create").count() == 1


def test_an_authorization_far_in_the_future_is_refused_not_a_crash(cast, world):
    from openiop.core.errors import ApplicationError

    with pytest.raises(ApplicationError) as exc:
        request(cast, world, start=dt.date(9999, 12, 30), days=2)
    assert "starts_on" in exc.value.fields
    assert not Authorization.objects.exists()
