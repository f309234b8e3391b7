"""Charges from ready days: lines per rule, idempotent under a re-run, a worker
restart and two runs at once; voiding writes reversing entries and never edits;
the nightly job, the command and the pages."""

import datetime as dt
import sys
import threading
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import close_old_connections, connection
from django.utils import timezone

from openiop.audit.models import AuditEvent
from openiop.billing.day_models import BillingDay, Charge, ChargeKind, DayStatus
from openiop.billing.models import BillingMethod
from openiop.billing.services import charges as charge_services
from openiop.billing.services.charges import charge_void, charges_create
from openiop.core.errors import ApplicationError, Conflict, PermissionDenied
from openiop.patients.models import PayerType
from tests.billing_charges_helpers import (
    attend,
    payer_rule,
    per_diem_world,
    ready_day,
    session,
    types,
)
from tests.factories import EpisodeFactory, PatientFactory

YESTERDAY = timezone.localdate() - dt.timedelta(days=1)
REAL_RECHECK = charge_services._recheck


@pytest.fixture(autouse=True)
def _no_recheck(monkeypatch):
    """Voiding asks the evaluator to look at the day again; recorded here."""
    calls = []
    monkeypatch.setattr(
        charge_services, "_recheck", lambda day: calls.append((day.episode_id, day.date))
    )
    return calls


def charges(**kw):
    return Charge.objects.filter(**kw).order_by("day_id", "round", "line", "kind")


# --- lines ---------------------------------------------------------------------


def test_a_per_diem_day_is_one_line_with_the_rule_code_and_rate(cast):
    w = per_diem_world(cast, days=1)
    out = charges_create(organization=cast.org, through=YESTERDAY)
    assert out["days"] == 1 and out["charges"] == 1 and out["amount"] == Decimal("250.00")
    (c,) = charges()
    assert (c.code, c.revenue_code, c.units, c.amount) == ("H0015", "0906", 1, Decimal("250.00"))
    assert c.kind == ChargeKind.CHARGE and c.round == 0 and c.line == 1 and c.session is None
    assert c.patient_id == cast.patient_a.pk and c.payer_id == w.payer.pk
    day = BillingDay.objects.get()
    assert day.status == DayStatus.BILLED


def test_a_day_after_through_or_not_ready_is_not_charged(cast):
    w = per_diem_world(cast, days=2)
    held = w.days[0]
    BillingDay.objects.filter(pk=held.pk).update(status=DayStatus.HELD)
    out = charges_create(organization=cast.org, through=w.days[1].date - dt.timedelta(days=1))
    assert out["days"] == 0 and not Charge.objects.exists()
    out = charges_create(organization=cast.org, through=YESTERDAY)
    assert out["days"] == 1
    assert list(charges().values_list("day_id", flat=True)) == [w.days[1].pk]


@pytest.mark.parametrize(("tier", "amount"), [("3", "180.00"), ("4", "240.00")])
def test_medicare_amount_follows_the_day_tier(cast, tier, amount):
    _payer, rule = payer_rule(
        cast.org,
        name="Medicare",
        kind=PayerType.MEDICARE,
        per_diem_code="G0410",
        revenue_code="0905",
        per_diem_rate=Decimal("999.00"),
        tier_3_rate=Decimal("180.00"),
        tier_4_rate=Decimal("240.00"),
        condition_code="92",
    )
    ready_day(cast.episode_a, YESTERDAY, rule, tier=tier)
    charges_create(organization=cast.org, through=YESTERDAY)
    (c,) = charges()
    assert c.amount == Decimal(amount) and c.tier == tier and c.condition_code == "92"


def test_a_commercial_rule_ignores_tier_rates(cast):
    _payer, rule = payer_rule(cast.org, tier_3_rate=Decimal("1.00"), tier_4_rate=Decimal("2.00"))
    ready_day(cast.episode_a, YESTERDAY, rule, tier="4")
    charges_create(organization=cast.org, through=YESTERDAY)
    assert charges().get().amount == Decimal("250.00")


def test_per_service_lines_with_participants_and_sessions(cast):
    t = types(cast.org)
    _payer, rule = payer_rule(
        cast.org,
        method=BillingMethod.PER_SERVICE,
        services={
            "group_therapy": {"counts": True, "code": "90853", "rate": Decimal("60.00")},
            "individual_therapy": {"counts": True, "code": "90834", "rate": Decimal("120.00")},
            "psychoeducation": {"counts": True, "code": ""},  # counts, no line of its own
            "drug_testing": {"counts": False, "code": "80305"},  # neither counts nor separate
        },
    )
    group = session(cast.program_a, t["group_therapy"], YESTERDAY, participants=7)
    one = session(cast.program_a, t["individual_therapy"], YESTERDAY)
    edu = session(cast.program_a, t["psychoeducation"], YESTERDAY, start=dt.time(10))
    test = session(cast.program_a, t["drug_testing"], YESTERDAY, start=dt.time(9))
    missed = session(cast.program_a, t["group_therapy"], YESTERDAY, start=dt.time(19))
    for s in (group, one, edu, test):
        attend(s, cast.episode_a, cast.clinician_a)
    attend(missed, cast.episode_a, cast.clinician_a, status="absent")
    ready_day(cast.episode_a, YESTERDAY, rule)
    out = charges_create(organization=cast.org, through=YESTERDAY)
    lines = list(charges())
    assert out["charges"] == 2
    # in session order: the individual session at 15:00, the group at 17:00
    assert [(c.line, c.code, c.session_id, c.participants, c.amount) for c in lines] == [
        (1, "90834", one.pk, None, Decimal("120.00")),
        (2, "90853", group.pk, 7, Decimal("60.00")),
    ]
    assert all(c.revenue_code == "0906" for c in lines)


def test_an_unsigned_group_note_gives_no_participant_count(cast):
    t = types(cast.org)
    _payer, rule = payer_rule(
        cast.org,
        method=BillingMethod.PER_SERVICE,
        services={"group_therapy": {"counts": True, "code": "90853"}},
    )
    s = session(cast.program_a, t["group_therapy"], YESTERDAY, participants=6, signed=False)
    attend(s, cast.episode_a, cast.clinician_a)
    ready_day(cast.episode_a, YESTERDAY, rule)
    charges_create(organization=cast.org, through=YESTERDAY)
    assert charges().get().participants is None


def test_a_service_billed_separately_adds_a_line_under_a_per_diem_rule(cast):
    t = types(cast.org)
    _payer, rule = payer_rule(
        cast.org,
        services={
            "group_therapy": {"counts": True, "code": "90853"},
            "medication_management": {
                "counts": False,
                "bills_separately": True,
                "code": "99213",
                "rate": Decimal("95.00"),
            },
        },
    )
    group = session(cast.program_a, t["group_therapy"], YESTERDAY, participants=5)
    med = session(cast.program_a, t["medication_management"], YESTERDAY, start=dt.time(19))
    attend(group, cast.episode_a, cast.clinician_a)
    attend(med, cast.episode_a, cast.clinician_a)
    ready_day(cast.episode_a, YESTERDAY, rule)
    charges_create(organization=cast.org, through=YESTERDAY)
    assert [(c.code, c.session_id, c.revenue_code, c.amount) for c in charges()] == [
        ("H0015", None, "0906", Decimal("250.00")),
        ("99213", med.pk, "", Decimal("95.00")),
    ]


def test_another_episodes_attendance_is_not_charged_to_this_day(cast):
    t = types(cast.org)
    _payer, rule = payer_rule(
        cast.org,
        method=BillingMethod.PER_SERVICE,
        services={"group_therapy": {"counts": True, "code": "90853"}},
    )
    other = EpisodeFactory(program=cast.program_a, patient=PatientFactory(organization=cast.org))
    mine = session(cast.program_a, t["group_therapy"], YESTERDAY, participants=2)
    theirs = session(cast.program_a, t["group_therapy"], YESTERDAY, start=dt.time(19))
    earlier = session(cast.program_a, t["group_therapy"], YESTERDAY - dt.timedelta(days=1))
    attend(mine, cast.episode_a, cast.clinician_a)
    attend(theirs, other, cast.clinician_a)
    attend(earlier, cast.episode_a, cast.clinician_a)
    ready_day(cast.episode_a, YESTERDAY, rule)
    charges_create(organization=cast.org, through=YESTERDAY)
    assert list(charges().values_list("session_id", flat=True)) == [mine.pk]


def test_a_day_without_any_line_stays_ready(cast):
    _payer, rule = payer_rule(
        cast.org,
        method=BillingMethod.PER_SERVICE,
        services={"group_therapy": {"counts": True, "code": "90853"}},
    )
    day = ready_day(cast.episode_a, YESTERDAY, rule)
    out = charges_create(organization=cast.org, through=YESTERDAY)
    assert out["not_charged"] == 1 and out["days"] == 0
    day.refresh_from_db()
    assert day.status == DayStatus.READY and not Charge.objects.exists()


# --- idempotence ---------------------------------------------------------------


def test_a_rerun_creates_nothing_twice(cast):
    per_diem_world(cast, days=4)
    first = charges_create(organization=cast.org, through=YESTERDAY)
    events = AuditEvent.objects.filter(event="charge.create").count()
    second = charges_create(organization=cast.org, through=YESTERDAY)
    assert first["days"] == 4 and second["days"] == 0 and second["charges"] == 0
    assert Charge.objects.count() == 4
    assert AuditEvent.objects.filter(event="charge.create").count() == events == 4


def test_one_audit_event_per_charge_naming_the_patient(cast):
    w = per_diem_world(cast, days=2, patients=2)
    charges_create(organization=cast.org, through=YESTERDAY)
    events = AuditEvent.objects.filter(event="charge.create")
    assert events.count() == Charge.objects.count() == 4
    assert set(events.values_list("patient_id", flat=True)) == {e.patient_id for e in w.episodes}
    assert set(events.values_list("object_id", flat=True)) == {
        str(u) for u in Charge.objects.values_list("uuid", flat=True)
    }
    assert {e.actor_name for e in events} == {"openiop nightly billing"}


def test_a_worker_killed_midway_and_restarted_charges_each_day_once(cast, monkeypatch):
    """The first run dies after its first chunk (days committed, the rest
    untouched); a second run finds a day in the killed run's state that was
    left ready while its lines were written: the unique line refuses them."""
    per_diem_world(cast, days=6)
    monkeypatch.setattr(charge_services, "CHUNK", 2)
    real = charge_services._charge_chunk
    calls = {"n": 0}

    def dies_after_one(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt("worker killed")
        return real(*args, **kwargs)

    monkeypatch.setattr(charge_services, "_charge_chunk", dies_after_one)
    with pytest.raises(KeyboardInterrupt):
        charges_create(organization=cast.org, through=YESTERDAY)
    assert BillingDay.objects.filter(status=DayStatus.BILLED).count() == 2
    assert Charge.objects.count() == 2
    # as if killed between the lines and the day's move: a charged day still ready
    charged = BillingDay.objects.filter(status=DayStatus.BILLED).first()
    BillingDay.objects.filter(pk=charged.pk).update(status=DayStatus.READY)
    monkeypatch.setattr(charge_services, "_charge_chunk", real)
    out = charges_create(organization=cast.org, through=YESTERDAY)
    assert out["days"] == 4 and out["skipped"] == 1
    assert Charge.objects.count() == 6
    assert Charge.objects.filter(day=charged).count() == 1
    assert BillingDay.objects.filter(status=DayStatus.BILLED).count() == 5


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_charge_each_day_exactly_once(cast):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL (CI runs this there)")
    per_diem_world(cast, days=15, patients=4)
    n = 4
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def run(i):
        close_old_connections()
        try:
            barrier.wait()
            results[i] = charges_create(organization=cast.org, through=YESTERDAY)
        except Exception as exc:  # noqa: BLE001 - the outcome under test
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(r["days"] for r in results) == 60
    assert Charge.objects.count() == 60
    assert BillingDay.objects.filter(status=DayStatus.BILLED).count() == 60
    assert AuditEvent.objects.filter(event="charge.create").count() == 60
    from openiop.audit.services import audit_verify

    assert audit_verify().ok


def test_queries_per_day_are_constant(cast, django_assert_max_num_queries):
    from django.db import connection as conn
    from django.test.utils import CaptureQueriesContext

    per_diem_world(cast, days=40)
    counted = {}
    for n in (10, 40):
        BillingDay.objects.update(status=DayStatus.READY, round=n)  # a fresh round each pass
        ids = list(BillingDay.objects.order_by("date").values_list("pk", flat=True))
        BillingDay.objects.exclude(pk__in=ids[:n]).update(status=DayStatus.HELD)
        with CaptureQueriesContext(conn) as q:
            out = charges_create(organization=cast.org, through=YESTERDAY)
        assert out["days"] == n
        counted[n] = len(q)
    per_day = (counted[40] - counted[10]) / 30
    fixed = counted[10] - 10 * per_day
    assert per_day == int(per_day) and per_day <= 4, counted
    for n in (10, 40):
        BillingDay.objects.update(status=DayStatus.READY, round=100 + n)
        ids = list(BillingDay.objects.order_by("date").values_list("pk", flat=True))
        BillingDay.objects.exclude(pk__in=ids[:n]).update(status=DayStatus.HELD)
        with django_assert_max_num_queries(int(fixed + per_day * n)):
            charges_create(organization=cast.org, through=YESTERDAY)


# --- voids ---------------------------------------------------------------------


def test_void_writes_reversing_rows_and_never_edits(
    cast, _no_recheck, django_capture_on_commit_callbacks
):
    t = types(cast.org)
    _payer, rule = payer_rule(
        cast.org,
        services={
            "medication_management": {
                "counts": False,
                "bills_separately": True,
                "code": "99213",
                "rate": Decimal("95.00"),
            }
        },
    )
    med = session(cast.program_a, t["medication_management"], YESTERDAY)
    attend(med, cast.episode_a, cast.clinician_a)
    day = ready_day(cast.episode_a, YESTERDAY, rule)
    charges_create(organization=cast.org, through=YESTERDAY)
    before = {c.pk: (c.amount, c.updated_at, c.reason) for c in Charge.objects.all()}
    with django_capture_on_commit_callbacks(execute=True):
        voids = charge_void(actor=cast.readonly_a, charge_or_day=day, reason="Wrong payer")
    assert {c.pk: (c.amount, c.updated_at, c.reason) for c in charges(pk__in=before)} == before
    assert len(voids) == 2
    rows = list(charges(kind=ChargeKind.VOID))
    assert [(v.code, v.amount, v.line, v.round, v.reason) for v in rows] == [
        ("H0015", Decimal("-250.00"), 1, 0, "Wrong payer"),
        ("99213", Decimal("-95.00"), 2, 0, "Wrong payer"),
    ]
    assert {v.voids_id for v in rows} == set(before)
    day.refresh_from_db()
    assert day.status == DayStatus.HELD and day.round == 1
    assert AuditEvent.objects.filter(event="charge.void").count() == 2
    assert _no_recheck == [(cast.episode_a.pk, YESTERDAY)]
    # ready again (the evaluator's job), charged again on the next round
    BillingDay.objects.filter(pk=day.pk).update(status=DayStatus.READY)
    charges_create(organization=cast.org, through=YESTERDAY)
    assert charges(kind=ChargeKind.CHARGE, round=1).count() == 2
    assert sum(Charge.objects.values_list("amount", flat=True)) == Decimal("345.00")


def test_void_by_a_charge_voids_its_whole_day(cast):
    w = per_diem_world(cast, days=1)
    charges_create(organization=cast.org, through=YESTERDAY)
    charge_void(actor=cast.readonly_a, charge_or_day=Charge.objects.get(), reason="Duplicate")
    w.days[0].refresh_from_db()
    assert w.days[0].status == DayStatus.HELD


def test_a_voided_day_is_judged_again_by_the_evaluator(
    cast, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(charge_services, "_recheck", REAL_RECHECK)
    w = per_diem_world(cast, days=1)
    charges_create(organization=cast.org, through=YESTERDAY)
    with django_capture_on_commit_callbacks(execute=True):
        charge_void(actor=cast.readonly_a, charge_or_day=w.days[0], reason="Coverage ended")
    day = BillingDay.objects.get(pk=w.days[0].pk)
    # the hand-built day lacks coverage, a plan...: judged, and held for it
    assert day.status == DayStatus.HELD and day.evaluated_at is not None and day.held_codes
    assert day.round == 1


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_void_without_a_reason_writes_nothing(cast, reason):
    w = per_diem_world(cast, days=1)
    charges_create(organization=cast.org, through=YESTERDAY)
    with pytest.raises(ApplicationError) as exc:
        charge_void(actor=cast.readonly_a, charge_or_day=w.days[0], reason=reason)
    assert exc.value.fields == {"reason": ["Say why the charges are voided."]}
    assert not Charge.objects.filter(kind=ChargeKind.VOID).exists()
    w.days[0].refresh_from_db()
    assert w.days[0].status == DayStatus.BILLED and w.days[0].round == 0


def test_void_twice_is_refused_the_second_time(cast):
    w = per_diem_world(cast, days=1)
    charges_create(organization=cast.org, through=YESTERDAY)
    charge_void(actor=cast.readonly_a, charge_or_day=w.days[0], reason="Wrong code")
    with pytest.raises(Conflict):
        charge_void(actor=cast.readonly_a, charge_or_day=w.days[0], reason="Again")
    assert Charge.objects.filter(kind=ChargeKind.VOID).count() == 1


@pytest.mark.parametrize("who", ["director_a", "clinician_a", "intake"])
def test_only_billing_voids(cast, who):
    w = per_diem_world(cast, days=1)
    charges_create(organization=cast.org, through=YESTERDAY)
    with pytest.raises(PermissionDenied):
        charge_void(actor=getattr(cast, who), charge_or_day=w.days[0], reason="No")
    assert not Charge.objects.filter(kind=ChargeKind.VOID).exists()


def test_a_person_charges_only_the_programs_they_may(cast):
    w = per_diem_world(cast, days=1)
    other = EpisodeFactory(program=cast.program_b, patient=PatientFactory(organization=cast.org))
    ready_day(other, YESTERDAY, w.rule)
    out = charges_create(organization=cast.org, through=YESTERDAY, actor=cast.readonly_a)
    assert out["days"] == 1
    assert set(Charge.objects.values_list("program_id", flat=True)) == {cast.program_a.pk}
    with pytest.raises(PermissionDenied):
        charges_create(
            organization=cast.org, through=YESTERDAY, program=cast.program_b, actor=cast.director_a
        )
    with pytest.raises(PermissionDenied):
        charges_create(organization=cast.org, through=YESTERDAY, actor=cast.clinician_a)


# --- the nightly job and the command --------------------------------------------


def test_nightly_evaluates_35_days_charges_through_yesterday_and_comes_back_at_two(
    cast, monkeypatch
):
    from django_tasks_db.models import DBTaskResult

    from openiop.billing import tasks

    seen = []

    def fake_evaluate(*, organization, start, end, **kw):
        seen.append((organization.pk, start, end))
        return {"days": 0}

    fake = type("Days", (), {"days_evaluate": staticmethod(fake_evaluate)})
    monkeypatch.setitem(sys.modules, "openiop.billing.services.days", fake)
    per_diem_world(cast, days=2)
    out = tasks.nightly_billing.call(organization_id=cast.org.pk)
    today = timezone.localdate()
    assert seen == [(cast.org.pk, today - dt.timedelta(days=35), today - dt.timedelta(days=1))]
    assert out[str(cast.org.pk)]["charged"]["days"] == 2
    waiting = DBTaskResult.objects.filter(task_path=tasks.nightly_billing.module_path)
    assert waiting.count() == 1
    job = waiting.get()
    assert job.args_kwargs["kwargs"] == {"organization_id": cast.org.pk}
    local = timezone.localtime(job.run_after)
    assert (local.hour, local.minute) == (2, 0) and job.run_after > timezone.now()
    # again (a second run, a worker start): still one waiting
    tasks.nightly_billing.call(organization_id=cast.org.pk)
    assert tasks.ensure_nightly() == 0
    assert waiting.count() == 1


def test_a_failed_night_still_schedules_the_next(cast, monkeypatch):
    from django_tasks_db.models import DBTaskResult

    from openiop.billing import tasks

    def broken(org, **kw):
        raise RuntimeError("database went away")

    monkeypatch.setattr(tasks, "bill_organization", broken)
    with pytest.raises(RuntimeError):
        tasks.nightly_billing.call(organization_id=cast.org.pk)
    assert DBTaskResult.objects.filter(task_path=tasks.nightly_billing.module_path).count() == 1


def test_command_evaluates_a_span(cast, capsys):
    call_command(
        "billing",
        "evaluate",
        "--from",
        str(YESTERDAY - dt.timedelta(days=6)),
        "--to",
        str(YESTERDAY),
    )
    out = capsys.readouterr().out
    assert out.startswith(f"{cast.org.name}: days ") and "ready" in out


def test_next_run_is_at_two_in_the_organizations_zone(cast):
    from openiop.billing.tasks import next_run_at

    zone = timezone.get_current_timezone()
    late = dt.datetime(2025, 3, 8, 23, 0, tzinfo=zone)
    early = dt.datetime(2025, 3, 9, 1, 0, tzinfo=zone)
    assert next_run_at(cast.org.pk, now=late) == dt.datetime(2025, 3, 9, 2, 0, tzinfo=zone)
    assert next_run_at(cast.org.pk, now=early) == dt.datetime(2025, 3, 9, 2, 0, tzinfo=zone)


def test_the_worker_start_schedules_one_nightly_run_per_organization(cast):
    from django_tasks_db.models import DBTaskResult

    from openiop.billing.tasks import ensure_nightly, nightly_billing

    assert ensure_nightly() == 1
    assert ensure_nightly() == 0
    assert DBTaskResult.objects.filter(task_path=nightly_billing.module_path).count() == 1


def test_command_charges_through_a_date(cast, capsys):
    per_diem_world(cast, days=3)
    call_command("billing", "charges", "--through", str(YESTERDAY), "--organization", cast.org.slug)
    assert "charged 3 day(s) in 3 line(s), 750.00 in all" in capsys.readouterr().out
    assert Charge.objects.count() == 3


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["charges", "--through", "yesterday"], "--through must be a date written YYYY-MM-DD"),
        (["charges", "--through", "2025-01-01", "--organization", "nope"], "No organization"),
        (["evaluate", "--from", "2025-02-01", "--to", "2025-01-01"], "--to must be on or after"),
        (["evaluate", "--from", "2024-01-01", "--to", "2025-06-01"], "at most 366 days"),
    ],
)
def test_command_bad_input_exits_2_with_a_sentence(cast, argv, message):
    with pytest.raises(CommandError) as exc:
        call_command("billing", *argv)
    assert exc.value.returncode == 2 and message in str(exc.value)


# --- pages ---------------------------------------------------------------------


def test_the_list_shows_codes_amounts_and_totals_not_notes(cast):
    w = per_diem_world(cast, days=2)
    from openiop.scheduling.records import Note

    Note.objects.update(group_part="Discussed a private relapse in detail")
    charges_create(organization=cast.org, through=YESTERDAY)
    charge_void(actor=cast.readonly_a, charge_or_day=w.days[0], reason="Wrong payer")
    body = cast.client("readonly_a").get("/billing/charges/").content.decode()
    assert "H0015" in body and cast.patient_a.mrn in body
    assert "charged 500.00, voided -250.00, net <strong>250.00</strong>" in body
    assert "relapse" not in body
    body = cast.client("readonly_a").get("/billing/charges/?kind=void").content.decode()
    assert "1 line(s)" in body and "Wrong payer" in body


def test_create_page_confirms_days_and_total_then_charges(cast):
    per_diem_world(cast, days=3)
    client = cast.client("readonly_a")
    body = client.get("/billing/charges/create/").content.decode()
    assert "<strong>3</strong> ready day(s)" in body and "<strong>750.00</strong>" in body
    assert not Charge.objects.exists()
    response = client.post("/billing/charges/create/", {"through": str(YESTERDAY)})
    assert response.status_code == 302 and Charge.objects.count() == 3
    response = client.post("/billing/charges/create/", {"through": str(timezone.localdate())})
    assert response.status_code == 200 and "up to yesterday" in response.content.decode()


def test_void_page_needs_a_reason(cast):
    w = per_diem_world(cast, days=1)
    charges_create(organization=cast.org, through=YESTERDAY)
    client = cast.client("readonly_a")
    url = f"/billing/charges/days/{w.days[0].uuid}/void/"
    response = client.post(url, {"reason": ""})
    assert (
        response.status_code == 200
        and "Say why the charges are voided." in response.content.decode()
    )
    assert not Charge.objects.filter(kind=ChargeKind.VOID).exists()
    response = client.post(url, {"reason": "Entered for the wrong payer"})
    assert response.status_code == 302
    assert Charge.objects.filter(kind=ChargeKind.VOID).count() == 1


def test_void_page_of_another_program_is_not_found(cast):
    from openiop.accounts.models import Membership

    w = per_diem_world(cast, days=1)
    other = EpisodeFactory(program=cast.program_b, patient=PatientFactory(organization=cast.org))
    day = ready_day(other, YESTERDAY, w.rule)
    charges_create(organization=cast.org, through=YESTERDAY)
    assert Membership.objects.filter(user=cast.readonly_a, program=cast.program_a).exists()
    response = cast.client("readonly_a").get(f"/billing/charges/days/{day.uuid}/void/")
    assert response.status_code == 404


def test_a_bad_charge_filter_is_left_out_and_the_valid_ones_still_apply(cast):
    per_diem_world(cast, days=2)
    charges_create(organization=cast.org, through=YESTERDAY)
    c = cast.client("readonly_a")
    body = c.get("/billing/charges/", {"kind": "void", "date_from": "garbage"}).content.decode()
    assert "Enter a valid date" in body
    assert "0 line(s)" in body  # the void filter still applies: no voids yet
