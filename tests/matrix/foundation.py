"""Routes of the foundation: pages and API for accounts, patients, care,
organizations and audit."""

from django.utils import timezone

from tests.matrix.common import (
    CONFIG_READERS,
    EVERYONE,
    MANAGERS,
    PATIENT_READERS,
    PATIENT_WRITERS,
    STAFF,
    api,
    page,
)

TODAY = timezone.localdate().isoformat()


def coverage(c):
    """A coverage of patient A (the cast has none)."""
    from openiop.patients.models import Coverage

    return Coverage.objects.get_or_create(
        patient=c.patient_a, payer_name="Matrix Health Plan", defaults={"payer_type": "commercial"}
    )[0]


MATRIX = {
    ("", "dashboard"): ("get", lambda c: "/", None, page(set(STAFF) | {"patient_user"})),
    ("healthz", "healthz"): ("get", lambda c: "/healthz", None, page(EVERYONE, anon=200)),
    ("favicon.ico", "favicon"): (
        "get",
        lambda c: "/favicon.ico",
        None,
        page(EVERYONE, ok=302, anon=302),
    ),
    ("accounts/login/", "login"): (
        "get",
        lambda c: "/accounts/login/",
        None,
        page(EVERYONE, ok=302, anon=200),
    ),
    ("accounts/verify/", "verify"): (
        "get",
        lambda c: "/accounts/verify/",
        None,
        page(set(STAFF) | {"patient_user"}),
    ),
    ("accounts/two-factor/", "2fa_setup"): (
        "get",
        lambda c: "/accounts/two-factor/",
        None,
        page(set(STAFF) | {"patient_user"}),
    ),
    ("accounts/logout/", "logout"): (
        "post",
        lambda c: "/accounts/logout/",
        None,
        page(EVERYONE, ok=302),
    ),
    ("accounts/tokens/", "api_tokens"): (
        "get",
        lambda c: "/accounts/tokens/",
        None,
        page(set(STAFF) | {"patient_user"}),
    ),
    ("accounts/tokens/<uuid:token_uuid>/revoke/", "api_token_revoke"): (
        "post",
        lambda c: f"/accounts/tokens/{c.token.uuid}/revoke/",
        None,
        page({"clinician_a"}, hidden=set(EVERYONE) - {"clinician_a"}, ok=302),
    ),
    ("patients/", "search"): (
        "get",
        lambda c: "/patients/",
        None,
        page(PATIENT_READERS | {"clinician_b"}),
    ),
    ("patients/new/", "register"): (
        "get",
        lambda c: "/patients/new/",
        None,
        page({"director_a", "intake"}),
    ),
    ("patients/<uuid:patient_uuid>/", "chart"): (
        "get",
        lambda c: f"/patients/{c.patient_a.uuid}/",
        None,
        page(PATIENT_READERS, hidden={"clinician_b"}),
    ),
    ("patients/<uuid:patient_uuid>/edit/", "edit"): (
        "get",
        lambda c: f"/patients/{c.patient_a.uuid}/edit/",
        None,
        page(PATIENT_WRITERS, hidden={"clinician_b"}),
    ),
    ("patients/<uuid:patient_uuid>/support-persons/new/", "support_person_add"): (
        "get",
        lambda c: f"/patients/{c.patient_a.uuid}/support-persons/new/",
        None,
        page(PATIENT_WRITERS, hidden={"clinician_b"}),
    ),
    ("patients/<uuid:patient_uuid>/coverage/new/", "coverage_add"): (
        "get",
        lambda c: f"/patients/{c.patient_a.uuid}/coverage/new/",
        None,
        page(PATIENT_WRITERS, hidden={"clinician_b"}),
    ),
    ("patients/<uuid:patient_uuid>/coverage/<uuid:coverage_uuid>/edit/", "coverage_edit"): (
        "get",
        lambda c: f"/patients/{c.patient_a.uuid}/coverage/{coverage(c).uuid}/edit/",
        None,
        page(PATIENT_WRITERS, hidden={"clinician_b"}),
    ),
    ("care/caseload/", "caseload"): (
        "get",
        lambda c: "/care/caseload/",
        None,
        page({"clinician_a", "clinician_b", "director_a", "prescriber_a"}),
    ),
    ("care/census/", "census"): (
        "get",
        lambda c: "/care/census/",
        None,
        page({"director_a", "intake", "readonly_a"}),
    ),
    ("care/patients/<uuid:patient_uuid>/admit/", "admit"): (
        "get",
        lambda c: f"/care/patients/{c.patient_a.uuid}/admit/",
        None,
        page({"director_a", "intake"}),
    ),
    ("care/episodes/<uuid:episode_uuid>/edit/", "episode_edit"): (
        "get",
        lambda c: f"/care/episodes/{c.episode_a.uuid}/edit/",
        None,
        page(PATIENT_WRITERS, hidden={"clinician_b"}),
    ),
    ("care/episodes/<uuid:episode_uuid>/discharge/", "discharge"): (
        "get",
        lambda c: f"/care/episodes/{c.episode_a.uuid}/discharge/",
        None,
        page({"clinician_a", "director_a"}, hidden={"clinician_b"}),
    ),
    ("organization/programs/", "programs"): (
        "get",
        lambda c: "/organization/programs/",
        None,
        page(CONFIG_READERS),
    ),
    ("organization/programs/<uuid:program_uuid>/edit/", "program_edit"): (
        "get",
        lambda c: f"/organization/programs/{c.program_a.uuid}/edit/",
        None,
        page(MANAGERS),
    ),
    ("organization/programs/<uuid:program_uuid>/tracks/new/", "track_new"): (
        "get",
        lambda c: f"/organization/programs/{c.program_a.uuid}/tracks/new/",
        None,
        page(MANAGERS),
    ),
    ("organization/tracks/<uuid:track_uuid>/edit/", "track_edit"): (
        "get",
        lambda c: f"/organization/tracks/{c.track_a.uuid}/edit/",
        None,
        page(MANAGERS),
    ),
    ("organization/staff/", "staff"): (
        "get",
        lambda c: "/organization/staff/",
        None,
        page(MANAGERS),
    ),
    ("organization/safety/", "safety"): (
        "get",
        lambda c: "/organization/safety/",
        None,
        page({"admin"}),  # organization-wide managers only
    ),
    ("organization/staff/<uuid:user_uuid>/enrolment-code/", "staff_enrolment_code"): (
        "post",
        lambda c: f"/organization/staff/{c.clinician_a.uuid}/enrolment-code/",
        None,
        page({"admin"}),
    ),
    ("audit/", "search"): ("get", lambda c: "/audit/", None, page({"auditor", "admin"})),
    # API
    ("api/v1/openapi.json", "openapi-json"): (
        "get",
        lambda c: "/api/v1/openapi.json",
        None,
        page(EVERYONE, anon=200),
    ),
    ("api/v1/docs", "openapi-view"): (
        "get",
        lambda c: "/api/v1/docs",
        None,
        page(EVERYONE, anon=200),
    ),
    ("api/v1/", "api-root"): ("get", lambda c: "/api/v1/", None, page((), denied=404, anon=404)),
    ("api/v1/me", "me"): ("get", lambda c: "/api/v1/me", None, api(set(STAFF) | {"patient_user"})),
    ("api/v1/programs", "list_programs"): (
        "get",
        lambda c: "/api/v1/programs",
        None,
        api(CONFIG_READERS),
    ),
    ("api/v1/programs/<program_uuid>", "get_program"): (
        "get",
        lambda c: f"/api/v1/programs/{c.program_a.uuid}",
        None,
        api(CONFIG_READERS - {"clinician_b"}, hidden={"clinician_b"}),
    ),
    ("api/v1/programs/<program_uuid>", "update_program"): (
        "patch",
        lambda c: f"/api/v1/programs/{c.program_a.uuid}",
        lambda c: {"plan_review_days": 28},
        api(MANAGERS, hidden=()),
    ),
    ("api/v1/tracks", "list_tracks"): (
        "get",
        lambda c: "/api/v1/tracks",
        None,
        api(CONFIG_READERS),
    ),
    ("api/v1/programs/<program_uuid>/tracks", "create_track"): (
        "post",
        lambda c: f"/api/v1/programs/{c.program_a.uuid}/tracks",
        lambda c: {
            "name": "Weekend",
            "kind": "weekend",
            "weekdays": [6, 7],
            "start_time": "09:00",
            "end_time": "13:30",
        },
        api(MANAGERS, ok=201),
    ),
    ("api/v1/tracks/<track_uuid>", "update_track"): (
        "patch",
        lambda c: f"/api/v1/tracks/{c.track_a.uuid}",
        lambda c: {"capacity": 10},
        api(MANAGERS),
    ),
    ("api/v1/sites", "list_sites"): ("get", lambda c: "/api/v1/sites", None, api(CONFIG_READERS)),
    ("api/v1/staff", "list_staff"): ("get", lambda c: "/api/v1/staff", None, api(MANAGERS)),
    ("api/v1/patients", "list_patients"): (
        "get",
        lambda c: "/api/v1/patients",
        None,
        api(PATIENT_READERS | {"clinician_b"}),
    ),
    ("api/v1/patients", "create_patient"): (
        "post",
        lambda c: "/api/v1/patients",
        lambda c: {
            "legal_given_name": "Testy",
            "legal_family_name": "Matrixson",
            "date_of_birth": "1991-02-03",
            "admission": {
                "program": str(c.program_a.uuid),
                "admitted_on": TODAY,
                "admission_type": "direct",
                "referral_source": "self",
            },
        },
        api({"director_a", "intake"}, ok=201),
    ),
    ("api/v1/patients/<patient_uuid>", "get_patient"): (
        "get",
        lambda c: f"/api/v1/patients/{c.patient_a.uuid}",
        None,
        api(PATIENT_READERS, hidden={"clinician_b"}),
    ),
    ("api/v1/patients/<patient_uuid>", "update_patient"): (
        "patch",
        lambda c: f"/api/v1/patients/{c.patient_a.uuid}",
        lambda c: {"pronouns": "they/them"},
        api(PATIENT_WRITERS, hidden={"clinician_b"}),
    ),
    ("api/v1/episodes", "list_episodes"): (
        "get",
        lambda c: "/api/v1/episodes",
        None,
        api(PATIENT_READERS | {"clinician_b"}),
    ),
    ("api/v1/episodes", "admit"): (
        # patient_a already has an open episode in A: those allowed get the domain's 400
        "post",
        lambda c: "/api/v1/episodes",
        lambda c: {
            "patient": str(c.patient_a.uuid),
            "program": str(c.program_a.uuid),
            "admitted_on": TODAY,
            "admission_type": "direct",
            "referral_source": "self",
        },
        api({"director_a", "intake"}, ok=400),
    ),
    ("api/v1/episodes/<episode_uuid>", "get_episode"): (
        "get",
        lambda c: f"/api/v1/episodes/{c.episode_a.uuid}",
        None,
        api(PATIENT_READERS, hidden={"clinician_b"}),
    ),
    ("api/v1/episodes/<episode_uuid>", "update_episode"): (
        "patch",
        lambda c: f"/api/v1/episodes/{c.episode_a.uuid}",
        lambda c: {"track": str(c.track_a.uuid)},
        api(PATIENT_WRITERS, hidden={"clinician_b"}),
    ),
    ("api/v1/episodes/<episode_uuid>/discharge", "discharge"): (
        "post",
        lambda c: f"/api/v1/episodes/{c.episode_a.uuid}/discharge",
        lambda c: {"discharged_on": TODAY, "discharge_reason": "completed"},
        api({"clinician_a", "director_a"}, hidden={"clinician_b"}),
    ),
}
