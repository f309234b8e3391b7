"""The finder's pages and the rest of its API: a program's page, the cost
estimate, comparison, guided match and shortlists, testimonials, and what
staff publish."""

import datetime as dt
from decimal import Decimal

import pytest
from django.apps import apps
from django.test import override_settings
from django.utils import timezone

from openiop.accounts.models import StaffCredential
from openiop.audit.models import AuditEvent
from openiop.directory import services
from openiop.directory.models import (
    DirectoryProfile,
    Facility,
    Shortlist,
    Testimonial,
)
from openiop.directory.models import (
    TestimonialStatus as Status,
)
from openiop.directory.services import contains_contact_details, shortlist_create
from tests.directory.helpers import list_program
from tests.test_api import assert_error_shape

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()

MATCH = {
    "near": "97201",
    "max_miles": "25",
    "times": ["evening"],
    "need": "substance_use",
    "age": "26_64",
    "insurance": "medicaid",
    "family": "yes",
    "language": "english",
}


def listed_a(cast, **profile):
    defaults = {
        "payments": ["medicaid", "private"],
        "self_pay_weekly_rate": Decimal("450.00"),
        "typical_weeks_min": 8,
        "typical_weeks_max": 12,
        "family_program": True,
        "family_program_description": "Family group every other Saturday.",
        "wait_days": 6,
        "wait_updated_on": TODAY,
    }
    return list_program(cast.program_a, **{**defaults, **profile})


# ----- the data is kept apart from patient data ----------------------------------


def test_no_directory_table_points_at_patient_data():
    phi_apps = {"patients", "care", "audit", "consent", "measures", "scheduling"}
    for model in apps.get_app_config("directory").get_models():
        for field in model._meta.get_fields():
            if field.is_relation and field.related_model is not None:
                assert field.related_model._meta.app_label not in phi_apps, (model, field.name)


# ----- a program's page ---------------------------------------------------------------


def test_a_program_page_shows_tracks_team_cost_and_answers(client, cast):
    facility = listed_a(cast, summary="Evening IOP for working adults.")
    StaffCredential.objects.create(
        user=cast.clinician_a,
        organization=cast.org,
        license_type="LCSW",
        number="1",
        state="OR",
        expires_on=TODAY + dt.timedelta(days=300),
    )
    StaffCredential.objects.create(
        user=cast.director_a,
        organization=cast.org,
        license_type="MD",
        number="2",
        state="OR",
        expires_on=TODAY + dt.timedelta(days=300),
    )
    StaffCredential.objects.create(  # expired: not advertised
        user=cast.prescriber_a,
        organization=cast.org,
        license_type="PMHNP",
        number="3",
        state="OR",
        expires_on=TODAY - dt.timedelta(days=1),
    )
    cast.director_a.show_name_in_directory = True
    cast.director_a.save()

    html = client.get(f"/find/{facility.uuid}/?near=97201").content.decode()

    assert "Evening IOP for working adults." in html
    assert "Evening A" in html and "Mon/Wed/Thu" in html and "18:00-21:00" in html
    assert "<strong>1</strong> Licensed clinical social worker (LCSW)" in html
    assert "<strong>1</strong> MD (physician) (MD)" in html
    assert "PMHNP" not in html  # expired licence
    assert cast.director_a.display_name in html  # opted in
    assert cast.clinician_a.display_name not in html  # did not opt in
    # cost: $450 a week x 8-12 weeks
    assert "$450</strong> a week × 8-12 typical weeks" in html
    assert "$3,600 to $5,400" in html
    assert "what to ask your plan" in html
    assert "About 6 days" in html
    assert "Family group every other Saturday." in html
    # outcomes: none until the program publishes some
    assert "has not published measured outcomes" in html
    assert "Questions to ask, and this program's answers" in html


def test_an_imported_facility_page_lists_everything_and_says_what_to_ask(client, oregon):
    facility = Facility.objects.get(name="Downtown Portland Comprehensive Trt")
    html = client.get(f"/find/{facility.uuid}/").content.decode()
    assert "Listing from FindTreatment.gov" in html
    assert "Smoking policy (SMP)" in html  # categories the finder does not use are shown
    assert "Staff licences are not listed" in html
    assert "only programs that use OpenIOP collect them" in html
    assert "Share your experience" not in html


def test_an_unknown_or_unlisted_program_is_404(client, cast):
    facility = listed_a(cast, listed=False)
    assert client.get(f"/find/{facility.uuid}/").status_code == 404
    response = client.get(f"/api/v1/directory/facilities/{facility.uuid}")
    assert_error_shape(response, 404)


def test_the_api_detail_has_cost_team_questions_and_no_outcomes_yet(client, cast):
    facility = listed_a(cast)
    body = client.get(f"/api/v1/directory/facilities/{facility.uuid}").json()
    assert body["cost"]["estimate_low"] == "3600.00" or float(body["cost"]["estimate_low"]) == 3600
    assert float(body["cost"]["estimate_high"]) == 5400
    assert body["features"]["schedule"] == ["evening"]
    assert body["features"]["payment"] == ["medicaid", "private", "self_pay"]
    assert body["wait_for_admission"] == {"days": 6, "as_of": TODAY.isoformat()}
    assert body["outcomes"] == []
    assert {q["question"] for q in body["questions"]} >= {
        "What are the staff's credentials?",
        "What are its success rates?",
        "Does it take your insurance, and what will it cost?",
    }


# ----- comparison -------------------------------------------------------------------------


def test_up_to_three_programs_compare_side_by_side(client, cast, oregon):
    a = listed_a(cast)
    b, c = Facility.objects.filter(program__isnull=True).order_by("name")[:2]
    html = client.get(
        f"/find/compare/?f={a.uuid}&f={b.uuid}&f={c.uuid}&near=97201"
    ).content.decode()
    assert html.count('<th scope="col">') == 3
    for label in ("Distance", "Payment accepted", "Cost", "Staff licences", "Measured outcomes"):
        assert f'<th scope="row">{label}</th>' in html
    assert "$450/week self-pay" in html


def test_comparing_four_is_refused_with_a_message(client, oregon):
    ids = Facility.objects.values_list("uuid", flat=True)[:4]
    response = client.get("/find/compare/?" + "&".join(f"f={u}" for u in ids))
    assert response.status_code == 400
    assert "Compare up to 3 programs at a time; you chose 4." in response.content.decode()
    api = client.get("/api/v1/directory/compare?" + "&".join(f"ids={u}" for u in ids))
    assert_error_shape(api, 400, "f")


def test_a_damaged_compare_link_is_a_message_not_a_500(client, db):
    response = client.get("/find/compare/?f=not-a-uuid")
    assert response.status_code == 400
    assert "That comparison link is damaged" in response.content.decode()


# ----- guided match and shortlists --------------------------------------------------------


def test_the_guided_match_ranks_the_program_that_fits_first(client, cast, oregon):
    listed_a(cast)
    response = client.post("/find/match/", MATCH)
    assert response.status_code == 302
    shortlist = Shortlist.objects.get()
    assert response["Location"] == f"/find/shortlist/{shortlist.token}/"
    assert shortlist.answers["near"] == "97201"
    assert set(shortlist.answers) == set(MATCH)  # the answers, nothing else
    assert shortlist.expires_at > timezone.now() + dt.timedelta(days=29)

    html = client.get(response["Location"]).content.decode()
    first_result = html.index('<li class="result">')
    assert html.index("Program A", first_result) < html.index(
        '<li class="result">', first_result + 1
    )
    assert html.count('<li class="result">') == 10
    assert "evening track; accepts Medicaid" not in html  # reasons follow the answers' order
    assert "treats substance use; accepts people 26 to 64; accepts Medicaid; evening track" in html
    assert "session times are not published: ask" in html  # imported facilities
    assert shortlist.token in html


def test_match_answers_are_checked(client, db):
    response = client.post("/find/match/", {**MATCH, "near": "00000"})
    assert response.status_code == 400
    assert "00000 is not a known US ZIP code." in response.content.decode()
    assert Shortlist.objects.count() == 0
    api = client.post(
        "/api/v1/directory/match",
        {**MATCH, "max_miles": 7, "times": ["midnight"]},
        content_type="application/json",
    )
    assert_error_shape(api, 422)


def test_the_api_match_returns_a_ranked_list_and_a_link(client, cast, oregon):
    listed_a(cast)
    body = client.post(
        "/api/v1/directory/match", {**MATCH, "max_miles": 25}, content_type="application/json"
    ).json()
    assert body["results"][0]["name"] == "Program A"
    assert body["shortlist"]["url"].endswith(f"/find/shortlist/{body['shortlist']['token']}/")
    scores = [r["score"] for r in body["results"]]
    assert scores == sorted(scores, reverse=True)
    got = client.get(f"/api/v1/directory/shortlists/{body['shortlist']['token']}").json()
    assert [r["uuid"] for r in got["results"]] == [r["uuid"] for r in body["results"][:10]]


def test_an_expired_shortlist_is_gone_and_deleted(client, db):
    token = shortlist_create(answers={**MATCH, "max_miles": 25}, facility_uuids=[]).token
    Shortlist.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    response = client.get(f"/find/shortlist/{token}/")
    assert response.status_code == 410
    assert "This shortlist has expired" in response.content.decode()
    assert not Shortlist.objects.exists()
    assert client.get(f"/find/shortlist/{token}/").status_code == 404


def test_a_person_can_delete_their_answers_now(client, db):
    token = shortlist_create(answers={**MATCH, "max_miles": 25}, facility_uuids=[]).token
    response = client.post(f"/find/shortlist/{token}/delete/")
    assert response.status_code == 302
    assert not Shortlist.objects.exists()


# ----- testimonials ---------------------------------------------------------------------------


def submit(client, facility, **changes):
    data = {
        "author_name": "Maria G.",
        "relationship": "participant",
        "body": "The evening group let me keep my job while I got well.",
        "consent": "on",
        **changes,
    }
    return client.post(f"/find/{facility.uuid}/testimonial/", data)


def test_a_testimonial_waits_for_moderation_then_is_published(client, cast):
    facility = listed_a(cast)
    assert submit(client, facility).status_code == 302
    found = Testimonial.objects.get()
    assert found.status == Status.PENDING
    assert "keep my job" not in client.get(f"/find/{facility.uuid}/").content.decode()

    director = cast.client("director_a")
    queue = director.get("/directory/testimonials/").content.decode()
    assert "keep my job" in queue
    director.post(f"/directory/testimonials/{found.uuid}/", {"action": "publish"})

    html = client.get(f"/find/{facility.uuid}/").content.decode()
    assert "keep my job" in html and "Maria G., took part in the program" in html
    assert html.index("Measured outcomes") < html.index("Testimonials")
    assert "They are not measured outcomes." in html
    assert AuditEvent.objects.filter(event="testimonial.publish").exists()


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"body": "Call me at 503-555-0188 to hear more about it."}, "body", "contact details"),
        ({"body": "Email maria.g@example.com, it changed my life!"}, "body", "contact details"),
        ({"body": "See my story at www.mystory.com for everything."}, "body", "contact details"),
        ({"body": "Follow @mariarecovers for my daily updates on this."}, "body", "contact"),
        ({"author_name": "Maria Gonzalez"}, "author_name", "first name or initials"),
        ({"author_name": "maria@example.com"}, "author_name", "first name or initials"),
        ({"consent": ""}, "consent", "Tick the box"),
        ({"body": "Great."}, "body", "at least a sentence"),
    ],
)
def test_a_testimonial_with_contact_details_or_a_full_name_is_refused(
    client, cast, changes, field, words
):
    facility = listed_a(cast)
    response = submit(client, facility, **changes)
    assert response.status_code == 400
    assert words in response.content.decode()
    assert not Testimonial.objects.exists()


@pytest.mark.parametrize("name", ["Maria", "Maria G.", "M.G.", "MG", "J. R.", "Zoë", "Anne-Marie"])
def test_first_names_and_initials_are_accepted(cast, name):
    facility = listed_a(cast)
    found = services.testimonial_submit(
        facility=facility,
        author_name=name,
        relationship="family",
        body="They helped our whole family understand.",
        consent=True,
    )
    assert found.author_name == name


def test_contact_detail_patterns():
    assert contains_contact_details("reach me: jo (at) mail.com")
    assert contains_contact_details("+1 (503) 555 0100")
    assert not contains_contact_details("I went 3 times a week for 12 weeks in 2024.")


def test_imported_facilities_take_no_testimonials(client, oregon):
    facility = Facility.objects.first()
    response = submit(client, facility)
    assert response.status_code == 200
    assert "collected only for programs that use OpenIOP" in response.content.decode()
    api = client.post(
        f"/api/v1/directory/facilities/{facility.uuid}/testimonials",
        {"author_name": "Jo", "relationship": "family", "body": "x" * 30, "consent": True},
        content_type="application/json",
    )
    assert_error_shape(api, 400)
    assert not Testimonial.objects.exists()


def test_another_programs_director_cannot_moderate(cast):
    from openiop.core.errors import PermissionDenied
    from openiop.directory.services import testimonial_moderate
    from tests.factories import staff

    facility = listed_a(cast)
    found = services.testimonial_submit(
        facility=facility, author_name="Jo", relationship="family", body="x" * 30, consent=True
    )
    director_b = staff("program_director", program=cast.program_b, username="director.b")
    with pytest.raises(PermissionDenied):
        testimonial_moderate(actor=director_b, testimonial=found, publish=True)
    response = cast.client(None)
    response.force_login(director_b)
    assert (
        response.post(f"/directory/testimonials/{found.uuid}/", {"action": "publish"}).status_code
        == 404
    )
    found.refresh_from_db()
    assert found.status == Status.PENDING


# ----- what staff publish ---------------------------------------------------------------------


def test_a_director_lists_the_program_and_it_appears(client, cast):
    director = cast.client("director_a")
    response = director.post(
        f"/directory/{cast.program_a.uuid}/",
        {
            "listed": "on",
            "payments": ["medicaid", "self_pay"],
            "self_pay_weekly_rate": "400",
            "typical_weeks_min": "8",
            "typical_weeks_max": "16",
            "languages": ["spanish"],
            "telehealth": "on",
            "accreditations": ["carf"],
            "specialties": ["veterans", "relapse_prevention"],
        },
    )
    assert response.status_code == 302
    body = client.get(
        "/api/v1/directory/facilities",
        {"near": "97201", "radius_miles": 5, "language": "spanish", "special": "veterans"},
    ).json()
    assert [r["name"] for r in body["results"]] == ["Program A"]
    assert AuditEvent.objects.filter(event="directory.profile").exists()


def test_a_bad_listing_gets_form_errors_and_saves_nothing(cast):
    director = cast.client("director_a")
    response = director.post(
        f"/directory/{cast.program_a.uuid}/",
        {"listed": "on", "typical_weeks_min": "12", "typical_weeks_max": "4"},
    )
    assert response.status_code == 200
    assert "cannot be shorter than the shortest" in response.content.decode()
    assert not DirectoryProfile.objects.exists()


def test_intake_updates_the_wait_time_but_cannot_edit_the_listing(cast):
    intake = cast.client("intake")
    assert intake.get(f"/directory/{cast.program_a.uuid}/").status_code == 403
    response = intake.post(f"/directory/{cast.program_a.uuid}/wait-time/", {"wait_days": "3"})
    assert response.status_code == 302
    profile = DirectoryProfile.objects.get(program=cast.program_a)
    assert (profile.wait_days, profile.wait_updated_on) == (3, TODAY)
    assert profile.listed is False  # a wait time does not list the program


def test_a_director_of_program_a_cannot_touch_program_b(cast):
    director = cast.client("director_a")
    assert director.get(f"/directory/{cast.program_b.uuid}/").status_code == 404


def test_staff_choose_to_be_named(cast):
    client = cast.client("clinician_a")
    assert client.post("/directory/me/", {"show_name_in_directory": "on"}).status_code == 302
    cast.clinician_a.refresh_from_db()
    assert cast.clinician_a.show_name_in_directory is True
    client.post("/directory/me/", {})
    cast.clinician_a.refresh_from_db()
    assert cast.clinician_a.show_name_in_directory is False


# ----- the search page ----------------------------------------------------------------------


def test_the_search_page_lists_results_with_reasons(client, oregon):
    html = client.get(
        "/find/",
        {"near": "97204", "radius_miles": "10", "level_of_care": "iop", "payment": "medicaid"},
    ).content.decode()
    assert "programs within 10 miles of Portland, OR 97204" in html
    assert "Why it matches:</span> intensive outpatient; accepts Medicaid;" in html
    assert 'name="f"' in html  # compare boxes


def test_the_search_page_shows_a_bad_zip_next_to_the_field(client, db):
    response = client.get("/find/", {"near": "00000"})
    assert response.status_code == 400
    assert "00000 is not a known US ZIP code." in response.content.decode()


@pytest.mark.parametrize(
    "params",
    [
        {"near": "97204", "radius_miles": "abc"},
        {"near": "97204", "payment": "gold"},
        {"near": "97204", "page": "-3"},
        {"near": "x" * 200},
        {"near": ""},
    ],
)
def test_odd_search_pages_never_500(client, db, params):
    assert client.get("/find/", params).status_code in (200, 400)


# ----- outcomes the director chose to publish ------------------------------------------------


@override_settings(DIRECTORY_SYNC_CHECK_SECONDS=0)
def test_published_outcomes_show_apart_from_testimonials_and_can_be_filtered(client, cast):
    from openiop.outcomes.models import PublishedOutcome

    facility = listed_a(cast)
    assert (
        "has not published measured outcomes"
        in client.get(f"/find/{facility.uuid}/").content.decode()
    )
    PublishedOutcome.objects.create(
        organization=cast.org,
        program=cast.program_a,
        metric="completion",
        label="Completed the program",
        value=Decimal("62.50"),
        unit="percent",
        numerator=25,
        denominator=40,
        definition="Discharged as completed, of all discharges in the period.",
        period_start=TODAY - dt.timedelta(days=365),
        period_end=TODAY,
        published_by=cast.director_a,
        published_at=timezone.now(),
    )
    html = client.get(f"/find/{facility.uuid}/").content.decode()
    assert "<strong>62.5%</strong> (25 of 40)" in html
    assert html.index("Measured outcomes") < html.index("Testimonials")
    body = client.get(
        "/api/v1/directory/facilities", {"near": "97201", "radius_miles": 5, "outcomes": "true"}
    ).json()
    assert [r["name"] for r in body["results"]] == ["Program A"]
    assert "publishes outcomes" in body["results"][0]["reasons"]
    detail = client.get(f"/api/v1/directory/facilities/{facility.uuid}").json()
    assert detail["outcomes"][0]["label"] == "Completed the program"
    assert detail["outcomes"][0]["denominator"] == 40


def test_intake_sees_the_listings_to_keep_the_wait_current_but_not_to_edit(cast):
    html = cast.client("intake").get("/directory/").content.decode()
    assert "Program A" in html and "Wait time" in html
    assert "Edit listing" not in html
    director_html = cast.client("director_a").get("/directory/").content.decode()
    assert "Edit listing" in director_html
    assert "Program B" not in director_html  # not theirs


def test_a_website_link_is_http_or_https_only(client, tmp_path):
    from django.core.management import call_command

    from openiop.directory.models import safe_url
    from tests.directory.helpers import row, write_json

    assert safe_url("javascript:alert(1)") == ""
    assert safe_url("www.example.org/x") == "https://www.example.org/x"
    assert safe_url("https://example.org") == "https://example.org"
    path = write_json(tmp_path, [row(website="javascript:alert(document.cookie)")])
    call_command("import-facilities", str(path), stdout=__import__("io").StringIO())
    facility = Facility.objects.get()
    html = client.get(f"/find/{facility.uuid}/").content.decode()
    assert 'href="javascript:' not in html
    assert "javascript:alert(document.cookie)" in html  # shown as text


def test_family_sessions_are_listed_only_when_the_staff_can_deliver_them(cast, settings):
    """Found: a program advertised family sessions its staff could not deliver
    (no one licensed for family therapy). The listing's fact comes from the
    program's own data: the family therapy session type's licences."""
    from openiop.directory.models import Facility
    from openiop.directory.services import profile_for, programs_sync_if_changed
    from openiop.scheduling.services.types import session_types_ensure
    from tests.scheduling_helpers import licence

    session_types_ensure(cast.org)
    profile = profile_for(cast.program_a)
    profile.listed, profile.family_program = True, True
    profile.family_program_description = "Family evenings (synthetic)."
    profile.save()
    programs_sync_if_changed(force=True)
    facility = Facility.objects.get(program=cast.program_a)
    from openiop.directory import features

    family = features.BY_KEY["family:family_counseling"].mask
    assert not facility.features & family  # nobody may lead family therapy yet
    licence(cast.director_a, cast.org, "LMFT")
    programs_sync_if_changed(force=True)
    facility.refresh_from_db()
    assert facility.features & family


def test_a_dual_diagnosis_track_makes_the_listing_co_occurring(cast, client):
    """Found: a program with a dual-diagnosis track showed "does not list
    co-occurring". A track's focus is program data, and the listing follows it
    (re-synced when the track changes); the program page names the track's focus."""
    import datetime as dt

    from openiop.directory import features
    from openiop.directory.models import Facility
    from openiop.directory.services import profile_for, programs_sync_if_changed
    from openiop.organizations.services import track_create, track_update

    profile = profile_for(cast.program_a)
    profile.listed = True
    profile.save()
    programs_sync_if_changed(force=True)
    co = features.BY_KEY["focus:co_occurring"].mask
    facility = Facility.objects.get(program=cast.program_a)
    assert cast.program_a.focus == "substance_use" and not facility.features & co
    track = track_create(
        actor=cast.director_a,
        program=cast.program_a,
        name="Dual diagnosis evening",
        kind="evening",
        weekdays=[1, 3, 4],
        start_time=dt.time(17, 30),
        end_time=dt.time(20, 30),
        capacity=10,
        focus="co_occurring",
    )
    assert programs_sync_if_changed(force=True)  # the fingerprint saw the change
    facility.refresh_from_db()
    assert facility.features & co
    page = client.get(f"/find/{facility.uuid}/").content.decode()
    assert "Dual diagnosis evening" in page and "co-occurring (dual diagnosis)" in page
    # a track that stops is no longer what the program offers
    track_update(actor=cast.director_a, track=track, is_active=False)
    assert programs_sync_if_changed(force=True)  # the fingerprint saw the change
    facility.refresh_from_db()
    assert not facility.features & co


def test_a_track_focus_must_be_one_the_finder_knows(cast):
    from openiop.core.errors import ApplicationError
    from openiop.organizations.models import Track
    from openiop.organizations.services import track_update

    with pytest.raises(ApplicationError) as err:
        track_update(actor=cast.director_a, track=cast.track_a, focus="eating_disorders")
    assert "focus" in err.value.fields
    assert Track.objects.get(pk=cast.track_a.pk).focus == ""


def test_a_licence_moved_to_another_state_refreshes_the_family_listing(cast, settings):
    """Found: changing a licence's state moved neither the count nor the latest
    expiry, so the listing kept advertising family sessions."""
    from openiop.directory import features
    from openiop.directory.models import Facility
    from openiop.directory.services import profile_for, programs_sync_if_changed
    from openiop.scheduling.services.types import session_types_ensure
    from tests.scheduling_helpers import licence

    session_types_ensure(cast.org)
    licence(cast.director_a, cast.org, "LMFT")
    profile = profile_for(cast.program_a)
    profile.listed, profile.family_program = True, True
    profile.save()
    programs_sync_if_changed(force=True)
    family = features.BY_KEY["family:family_counseling"].mask
    facility = Facility.objects.get(program=cast.program_a)
    assert facility.features & family
    credential = StaffCredential.objects.get(user=cast.director_a, license_type="LMFT")
    credential.state = "WA"
    credential.save()
    assert programs_sync_if_changed(force=True)
    facility.refresh_from_db()
    assert not facility.features & family
