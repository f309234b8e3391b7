"""Attendance in the exchange: roster entries as Appointment, attended
sessions as Encounter, both valid R4B, referencing what the export holds."""

import datetime as dt
import json

from django.utils import timezone

from openiop.interop.services.bundle import patient_export
from openiop.scheduling.services.attendance import Mark, attendance_record
from openiop.scheduling.services.sessions import roster_add, session_create
from tests.fhir_helpers import bundle_resources, dangling, validate
from tests.scheduling_helpers import world


def attended_group(cast):
    w = world(cast, patients=0, series=False)
    sessions = []
    for days_ago, status in ((8, "present"), (1, "absent")):
        s = session_create(
            actor=cast.director_a,
            program=cast.program_a,
            session_type=w.types["group_therapy"],
            date=timezone.localdate() - dt.timedelta(days=days_ago),
            start_time=dt.time(9),
            room=w.group_room,
            facilitator=cast.clinician_a,
            track=cast.track_a,
        )
        roster_add(actor=cast.director_a, session=s, patient=cast.patient_a)
        attendance_record(
            actor=cast.clinician_a, session=s, marks=[Mark(cast.patient_a.pk, status)]
        )
        sessions.append(s)
    return sessions


def test_appointments_and_encounters_validate_and_resolve(cast):
    attended_group(cast)
    resources = bundle_resources(patient_export(patient=cast.patient_a).bundle)
    for r in resources:
        validate(r)
    assert dangling(resources) == set()
    appointments = [r for r in resources if r["resourceType"] == "Appointment"]
    encounters = [r for r in resources if r["resourceType"] == "Encounter"]
    assert sorted(a["status"] for a in appointments) == ["fulfilled", "noshow"]
    assert len(encounters) == 1  # the absence is an Appointment (noshow), not an Encounter
    enc = encounters[0]
    assert enc["status"] == "finished" and enc["class"]["code"] == "AMB"
    assert enc["appointment"][0]["reference"] in {f"Appointment/{a['id']}" for a in appointments}
    assert {s["code"] for s in enc["meta"]["security"]} >= {"42CFRPart2"}


def test_encounters_are_searchable_through_the_api(cast, client):
    from openiop.accounts.services import api_token_create

    attended_group(cast)
    token = api_token_create(actor=cast.clinician_a, name="t")[1]
    response = client.get(
        "/fhir/R4/Encounter",
        {"patient": str(cast.patient_a.uuid)},
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    bundle = json.loads(response.content)
    assert response.status_code == 200 and bundle["total"] == 1
    validate(bundle)
