"""Routes of measurement-based care: pages and API for instruments, responses,
safety alerts, drug tests, check-ins, links and schedules.

What a route needs is made on first use and kept on the cast: a PHQ-9 of
patient A with item 9 above 0 (so with an open safety alert) and a one-time
link. The patient's one-time link page is public: 200 for everyone.
"""

from tests.matrix.common import CONFIG_READERS, EVERYONE

MEASURE_READERS = {"clinician_a", "director_a", "prescriber_a", "intake"}
ALERT_READERS = {"clinician_a", "director_a", "prescriber_a", "intake"}
TEST_WRITERS = {"clinician_a", "director_a", "prescriber_a"}
MANAGERS = {"director_a", "admin"}


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


def things(c):
    if hasattr(c, "_measures"):
        return c._measures
    from openiop.measures.instruments import ensure_shipped
    from openiop.measures.models import Instrument, LinkPurpose
    from openiop.measures.services import link_create, response_record

    ensure_shipped()
    t = type("Measures", (), {})()
    t.phq9 = Instrument.objects.get(organization__isnull=True, code="phq9")
    t.response = response_record(
        actor=c.clinician_a, patient=c.patient_a, instrument=t.phq9, answers=[1] * 8 + [2]
    )
    t.alert = t.response.safety_alerts.get()
    _link, t.token = link_create(
        actor=c.clinician_a,
        patient=c.patient_a,
        purpose=LinkPurpose.QUESTIONNAIRE,
        instrument=t.phq9,
    )
    c._measures = t
    return t


PATIENT = "measures/patients/<uuid:patient_uuid>/"


def _patient_page(suffix, allowed):
    return (
        "get",
        lambda c: f"/measures/patients/{c.patient_a.uuid}/{suffix}",
        None,
        expect({**each(allowed, 200), "clinician_b": 404}),
    )


MATRIX = {
    ("measures/", "due"): (
        "get",
        lambda c: "/measures/",
        None,
        expect(each(MEASURE_READERS | {"clinician_b"}, 200)),
    ),
    ("measures/alerts/", "alerts"): (
        "get",
        lambda c: "/measures/alerts/",
        None,
        expect(each(ALERT_READERS | {"clinician_b"}, 200)),
    ),
    ("measures/alerts/<uuid:alert_uuid>/", "alert"): (
        "get",
        lambda c: f"/measures/alerts/{things(c).alert.uuid}/",
        None,
        expect({**each(ALERT_READERS, 200), "clinician_b": 404}),
    ),
    (PATIENT, "patient"): _patient_page("", MEASURE_READERS),
    (PATIENT + "summary/", "summary"): _patient_page("summary/", MEASURE_READERS),
    (PATIENT + "responses/new/", "response_new"): _patient_page("responses/new/", MEASURE_READERS),
    (PATIENT + "links/new/", "link_new"): _patient_page("links/new/", MEASURE_READERS),
    (PATIENT + "drug-tests/new/", "drug_test_new"): _patient_page("drug-tests/new/", TEST_WRITERS),
    (PATIENT + "recovery/", "recovery"): _patient_page("recovery/", TEST_WRITERS),
    ("measures/responses/<uuid:response_uuid>/", "response"): (
        "get",
        lambda c: f"/measures/responses/{things(c).response.uuid}/",
        None,
        expect({**each(MEASURE_READERS, 200), "clinician_b": 404}),
    ),
    ("measures/responses/<uuid:response_uuid>/error/", "response_error"): (
        "get",
        lambda c: f"/measures/responses/{things(c).response.uuid}/error/",
        None,
        expect({**each(MEASURE_READERS, 200), "clinician_b": 404}),
    ),
    ("measures/instruments/", "instruments"): (
        "get",
        lambda c: "/measures/instruments/",
        None,
        expect(each(CONFIG_READERS, 200)),
    ),
    ("measures/instruments/new/", "instrument_new"): (
        "get",
        lambda c: "/measures/instruments/new/",
        None,
        expect(each(MANAGERS, 200)),
    ),
    ("measures/instruments/<uuid:instrument_uuid>/", "instrument"): (
        "get",
        lambda c: f"/measures/instruments/{things(c).phq9.uuid}/",
        None,
        expect(each(CONFIG_READERS, 200)),
    ),
    ("measures/programs/<uuid:program_uuid>/schedule/", "schedule"): (
        "get",
        lambda c: f"/measures/programs/{c.program_a.uuid}/schedule/",
        None,
        expect(each(MANAGERS, 200)),
    ),
    ("measures/me/check-in/", "my_checkin"): (
        "get",
        lambda c: "/measures/me/check-in/",
        None,
        expect({"patient_user": 200}, default=404),
    ),
    ("m/<str:token>/", "link"): (
        "get",
        lambda c: f"/m/{things(c).token}/",
        None,
        dict.fromkeys(EVERYONE, 200),
    ),
    # API
    ("api/v1/instruments", "list_instruments"): (
        "get",
        lambda c: "/api/v1/instruments",
        None,
        expect(each(CONFIG_READERS, 200), api=True),
    ),
    ("api/v1/instruments/<code>", "get_instrument"): (
        "get",
        lambda c: "/api/v1/instruments/phq9",
        None,
        expect(each(CONFIG_READERS, 200), api=True),
    ),
    ("api/v1/instruments/<code>/score", "score_instrument"): (
        "post",
        lambda c: "/api/v1/instruments/gad7/score",
        lambda c: {"answers": [0, 1, 2, 3, 0, 1, 2]},
        expect(each(CONFIG_READERS, 200), api=True),
    ),
    ("api/v1/responses", "list_responses"): (
        "get",
        lambda c: "/api/v1/responses",
        None,
        expect(each(MEASURE_READERS | {"clinician_b"}, 200), api=True),
    ),
    ("api/v1/responses", "create_response"): (
        # clinician B cannot see patient A: the domain's 400 names the field
        "post",
        lambda c: "/api/v1/responses",
        lambda c: {"patient": str(c.patient_a.uuid), "instrument": "gad7", "answers": [1] * 7},
        expect({**each(MEASURE_READERS, 201), "clinician_b": 400}, api=True),
    ),
    ("api/v1/responses/<response_uuid>", "get_response"): (
        "get",
        lambda c: f"/api/v1/responses/{things(c).response.uuid}",
        None,
        expect({**each(MEASURE_READERS, 200), "clinician_b": 404}, api=True),
    ),
    ("api/v1/alerts", "list_alerts"): (
        "get",
        lambda c: "/api/v1/alerts",
        None,
        expect(each(ALERT_READERS | {"clinician_b"}, 200), api=True),
    ),
    ("api/v1/alerts/<alert_uuid>/acknowledge", "acknowledge_alert"): (
        "post",
        lambda c: f"/api/v1/alerts/{things(c).alert.uuid}/acknowledge",
        lambda c: {"note": "Called the patient; safety plan reviewed."},
        expect({**each(ALERT_READERS, 200), "clinician_b": 404}, api=True),
    ),
}
