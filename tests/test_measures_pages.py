"""The measures pages: staff entry, the patient's phone pages, alerts on the
dashboard, the chart card, trends and their query counts."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from openiop.audit.models import AuditEvent
from openiop.measures import services
from openiop.measures.instruments import ensure_shipped
from openiop.measures.models import (
    CheckIn,
    DrugTest,
    Instrument,
    LinkPurpose,
    MeasureSchedule,
    PatientLink,
    Response,
    SafetyAlert,
)

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def shipped(code):
    ensure_shipped()
    return Instrument.objects.get(organization__isnull=True, code=code)


def items(values):
    return {f"item_{n}": str(v) for n, v in enumerate(values, 1) if v is not None}


def test_staff_enter_a_phq9_and_see_its_score(cast):
    client = cast.client("clinician_a")
    url = f"/measures/patients/{cast.patient_a.uuid}/responses/new/?instrument=phq9"
    page = client.get(url)
    assert page.status_code == 200
    assert b"Little interest or pleasure" in page.content
    data = {"administered_on": TODAY.isoformat(), "episode": str(cast.episode_a.uuid)}
    response = client.post(url, {**data, **items([3, 3, 2, 2, 1, 1, 1, 1, 0])})
    saved = Response.objects.get()
    assert (
        response.status_code == 302 and response["Location"] == f"/measures/responses/{saved.uuid}/"
    )
    detail = client.get(response["Location"], follow=True)
    assert b"Saved: PHQ-9 14, Moderate." in detail.content
    assert b"Nearly every day" in detail.content


def test_an_answer_outside_the_options_is_shown_on_the_form_and_nothing_is_written(cast):
    client = cast.client("clinician_a")
    url = f"/measures/patients/{cast.patient_a.uuid}/responses/new/?instrument=phq9"
    page = client.post(url, {"administered_on": TODAY.isoformat(), **items([0] * 8 + [7])})
    assert page.status_code == 200 and b"Select a valid choice" in page.content
    assert Response.objects.count() == 0


def test_a_paper_form_with_item_9_blank_is_saved_and_raises_its_own_alert(cast):
    """Staff copy the form as it is: a blank item 9 is not entered as 0."""
    client = cast.client("clinician_a")
    url = f"/measures/patients/{cast.patient_a.uuid}/responses/new/?instrument=phq9"
    page = client.post(url, {"administered_on": TODAY.isoformat(), **items([0] * 8)})
    assert page.status_code == 302
    response = Response.objects.get()
    assert response.answers["9"] is None and response.result["prorated"]
    alert = response.safety_alerts.get()
    assert alert.kind == "self_harm_unanswered" and alert.tier == "safety"


def test_an_unknown_instrument_gets_the_chooser_with_a_message(cast):
    page = cast.client("clinician_a").get(
        f"/measures/patients/{cast.patient_a.uuid}/responses/new/?instrument=hamd17", follow=True
    )
    assert page.status_code == 200
    assert b"There is no instrument &#x27;hamd17&#x27;" in page.content
    assert b"Which questionnaire?" in page.content


def test_an_item_9_answer_reaches_the_dashboards_until_acknowledged(cast):
    services.response_record(
        actor=cast.clinician_a,
        patient=cast.patient_a,
        instrument=shipped("phq9"),
        answers=[0] * 8 + [2],
    )
    alert = SafetyAlert.objects.get()
    for who in ("clinician_a", "director_a"):
        dash = cast.client(who).get("/")
        assert b"Safety alerts" in dash.content, who
        assert cast.patient_a.display_name.encode() in dash.content
    other = cast.client("clinician_b").get("/")
    assert b"Safety alerts" not in other.content
    audit = AuditEvent.objects.filter(event="dashboard.view", actor=cast.director_a).last()
    assert cast.patient_a.pk in audit.detail["patient_ids"]

    client = cast.client("clinician_a")
    page = client.post(f"/measures/alerts/{alert.uuid}/", {"note": ""})
    assert page.status_code == 200 and b"This field is required" in page.content
    done = client.post(f"/measures/alerts/{alert.uuid}/", {"note": "Called; safe, plan reviewed."})
    assert done.status_code == 302
    assert b"Safety alerts" not in cast.client("director_a").get("/").content
    again = client.post(f"/measures/alerts/{alert.uuid}/", {"note": "Twice"}, follow=True)
    assert b"acknowledged this alert at" in again.content
    assert b"Your note was not saved" in again.content


def test_the_patient_link_page_names_no_one_and_works_once(cast):
    _link, token = services.link_create(
        actor=cast.clinician_a,
        patient=cast.patient_a,
        purpose=LinkPurpose.QUESTIONNAIRE,
        instrument=shipped("phq9"),
    )
    anon = cast.client(None)
    page = anon.get(f"/m/{token}/")
    assert page.status_code == 200
    assert page["X-Robots-Tag"] == "noindex, nofollow"
    for secret in (cast.patient_a.legal_family_name, cast.patient_a.mrn, cast.program_a.name):
        assert secret.encode() not in page.content
    assert AuditEvent.objects.filter(event="measure.link.open", actor=None).exists()

    bad = anon.post(f"/m/{token}/", items([0] * 8 + [9]))
    assert bad.status_code == 200 and b"Select a valid choice" in bad.content
    done = anon.post(f"/m/{token}/", items([1] * 8 + [1]))
    assert done.status_code == 200
    assert b"Thank you" in done.content and b"988" in done.content
    # told what happened: two people (the clinician and the director) were paged
    assert b"2 people of your care team have been alerted" in done.content
    assert Response.objects.get().source == "patient_link"

    gone = anon.get(f"/m/{token}/")
    unknown = anon.get("/m/not-a-real-token/")
    assert gone.status_code == unknown.status_code == 404
    assert gone.content == unknown.content
    assert b"expired or has already been used" in gone.content
    assert cast.patient_a.legal_family_name.encode() not in gone.content


def test_an_expired_link_shows_the_neutral_page(cast):
    link, token = services.link_create(
        actor=cast.clinician_a, patient=cast.patient_a, purpose=LinkPurpose.CHECKIN
    )
    PatientLink.objects.filter(pk=link.pk).update(expires_at=timezone.now())
    page = cast.client(None).post(f"/m/{token}/", {"mood": 5, "cravings": 2})
    assert page.status_code == 404 and b"expired or has already been used" in page.content
    assert CheckIn.objects.count() == 0


def test_the_link_form_shows_the_link_once(cast):
    client = cast.client("clinician_a")
    page = client.post(
        f"/measures/patients/{cast.patient_a.uuid}/links/new/",
        {"purpose": "checkin", "hours": 24},
    )
    assert page.status_code == 200
    url = re.search(rb'value="(http[^"]+/m/[^"]+/)"', page.content).group(1).decode()
    token = url.rstrip("/").rsplit("/", 1)[1]
    assert cast.client(None).get(f"/m/{token}/").status_code == 200
    assert b"Daily check-in" in cast.client(None).get(f"/m/{token}/").content


def test_a_signed_in_patient_checks_in_from_their_phone(cast):
    client = cast.client("patient_user")
    page = client.post("/measures/me/check-in/", {"mood": 7, "cravings": 3, "triggers": ["bored"]})
    assert page.status_code == 200 and b"check-in is saved" in page.content
    checkin = CheckIn.objects.get()
    assert (checkin.patient, checkin.source, checkin.triggers) == (
        cast.patient_a,
        "portal",
        ["bored"],
    )
    bad = client.post("/measures/me/check-in/", {"mood": 12, "cravings": 3})
    assert bad.status_code == 200 and b"Select a valid choice" in bad.content


def test_a_positive_test_shows_on_the_chart_card(cast):
    client = cast.client("clinician_a")
    page = client.post(
        f"/measures/patients/{cast.patient_a.uuid}/drug-tests/new/",
        {
            "collected_on": TODAY.isoformat(),
            "status": "collected",
            "specimen": "urine",
            "sub_cocaine": "positive",
            "sub_cannabis": "negative",
            "reset_recovery": "on",
        },
    )
    assert page.status_code == 302
    assert DrugTest.objects.get().outcome == "positive"
    chart = client.get(f"/patients/{cast.patient_a.uuid}/")
    assert f"/measures/patients/{cast.patient_a.uuid}/summary/".encode() in chart.content
    card = client.get(f"/measures/patients/{cast.patient_a.uuid}/summary/")
    assert b"Positive" in card.content and b"cocaine" in card.content
    assert b"Recovery start date" in card.content
    # billing staff may open the chart but get no measures card
    billing_chart = cast.client("readonly_a").get(f"/patients/{cast.patient_a.uuid}/")
    assert b"/summary/" not in billing_chart.content


def test_a_missed_test_with_results_is_refused_on_the_form(cast):
    page = cast.client("clinician_a").post(
        f"/measures/patients/{cast.patient_a.uuid}/drug-tests/new/",
        {"collected_on": TODAY.isoformat(), "status": "collected", "specimen": ""},
    )
    assert page.status_code == 200 and b"Choose the specimen" in page.content
    assert DrugTest.objects.count() == 0


def record_history(cast, n):
    for i in range(n):
        services.response_record(
            actor=cast.clinician_a,
            patient=cast.patient_a,
            instrument=shipped("phq9" if i % 2 else "gad7"),
            answers=[i % 4] * (9 if i % 2 else 7) if i % 2 else [i % 4] * 7,
            administered_on=TODAY - dt.timedelta(days=n - i),
        )
        services.checkin_record(
            actor=cast.clinician_a,
            patient=cast.patient_a,
            mood=i % 11,
            cravings=(10 - i) % 11,
            day=TODAY - dt.timedelta(days=n - i),
        )


def patient_page_queries(cast) -> tuple[int, bytes]:
    client = cast.client("clinician_a")
    url = f"/measures/patients/{cast.patient_a.uuid}/"
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        page = client.get(url)
    assert page.status_code == 200
    return len(captured.captured_queries), page.content


def test_the_trend_page_draws_bands_and_costs_the_same_queries_however_long_the_history(cast):
    record_history(cast, 2)
    small, _ = patient_page_queries(cast)
    record_history(cast, 30)
    large, content = patient_page_queries(cast)
    assert small == large, (small, large)
    assert large <= 40
    assert b'<svg class="trend"' in content
    assert b"Moderately severe 15-19" in content  # band boundaries are labelled
    assert b"Severe 15-21 (alert)" in content  # GAD-7's top band
    assert b"Mood (10 = very good)" in content


def test_the_schedule_page_saves_all_rows(cast):
    client = cast.client("director_a")
    url = f"/measures/programs/{cast.program_a.uuid}/schedule/"
    phq9, gad7 = shipped("phq9"), shipped("gad7")
    page = client.post(
        url, {f"adm_{phq9.pk}": "on", f"weeks_{phq9.pk}": "4", f"dis_{gad7.pk}": "on"}
    )
    assert page.status_code == 302
    rows = {m.instrument.code: m for m in MeasureSchedule.objects.filter(program=cast.program_a)}
    assert set(rows) == {"phq9", "gad7"}
    assert (rows["phq9"].at_admission, rows["phq9"].every_weeks, rows["phq9"].at_discharge) == (
        True,
        4,
        False,
    )
    bad = client.post(url, {f"weeks_{phq9.pk}": "99"})
    assert bad.status_code == 200 and b"less than or equal to 26" in bad.content
    assert MeasureSchedule.objects.get(program=cast.program_a, instrument=phq9).every_weeks == 4


def test_an_administrator_adds_an_instrument_with_a_clear_error_for_bad_bands(cast):
    client = cast.client("admin")
    data = {
        "code": "craving3",
        "short_name": "CRAVE-3",
        "name": "Three craving questions (test)",
        "items_text": "How often?\nHow strong?\nHow long?",
        "options_text": "0 = Not at all\n1 = A little\n2 = A lot",
        "bands_text": "0-2 Low\n3-4 Medium",
        "max_missing": 0,
        "source": "Test clinic",
        "licence": "Test clinic, free to use",
    }
    page = client.post("/measures/instruments/new/", data)
    assert (
        page.status_code == 200
        and b"the last band must end at the highest total, 6" in page.content
    )
    page = client.post("/measures/instruments/new/", {**data, "bands_text": "0-2 Low\n3-6 High"})
    instrument = Instrument.objects.get(code="craving3")
    assert page.status_code == 302 and instrument.organization == cast.org
    detail = client.get(f"/measures/instruments/{instrument.uuid}/")
    assert b"Test clinic, free to use" in detail.content


def test_the_due_list_paginates_and_is_audited(cast):
    services.schedule_set(
        actor=cast.director_a,
        program=cast.program_a,
        instrument=shipped("gad7"),
        at_admission=True,
        every_weeks=None,
        at_discharge=False,
    )
    page = cast.client("clinician_a").get("/measures/?mine=1")
    assert page.status_code == 200 and b"GAD-7" in page.content and b"overdue" in page.content
    event = AuditEvent.objects.filter(event="measure.due_list").last()
    assert event.detail["patient_ids"] == [cast.patient_a.pk]


def test_the_trend_include_renders_for_the_plan_review(cast, rf):
    from django.template.loader import render_to_string

    from openiop.measures.selectors import trend_for_review

    record_history(cast, 4)
    trend = trend_for_review(actor=cast.clinician_a, patient=cast.patient_a)
    html = render_to_string("measures/_trend_chart.html", {"trend": trend})
    assert html.count('<svg class="trend"') == 2 and "Moderate 10-14" in html
    assert trend_for_review(actor=cast.readonly_a, patient=cast.patient_a) == []
    phq9 = next(t for t in trend if t["instrument"].code == "phq9")
    single = render_to_string(
        "measures/_trend_chart.html",
        {"instrument": phq9["instrument"], "responses": phq9["responses"]},
    )
    assert single.count('<svg class="trend"') == 1
    assert "No scored questionnaires yet" in render_to_string("measures/_trend_chart.html", {})
