"""A FHIR client we did not write (fhirpy) against a running server: search
with prefixes, counting, paging through every page, sorting, subsetting and
reading back. fhirpy builds its own query strings and reads the Bundle's
links and total the way partners' code does; it failed on `_count=0`."""

import datetime as dt

import pytest
from fhirpy import SyncFHIRClient

from openiop.accounts.services import api_token_create
from openiop.measures.instruments import sync_shipped
from openiop.measures.models import Instrument
from openiop.patients.models import Patient
from tests.factories import EpisodeFactory
from tests.interop_helpers import full_record, scores


@pytest.fixture
def fhir(transactional_db, live_server, cast):
    sync_shipped(Instrument)  # a transactional test starts without the migrations' rows
    full_record(cast)
    scores(cast)
    for i in range(4):
        p = EpisodeFactory(
            program=cast.program_a, track=cast.track_a, primary_clinician=cast.clinician_a
        ).patient
        Patient.objects.filter(pk=p.pk).update(
            legal_family_name=f"Zephyrine{i}", date_of_birth=dt.date(1990 + i, 3, 1)
        )
    token = api_token_create(actor=cast.clinician_a, name="fhirpy")[1]
    return SyncFHIRClient(f"{live_server.url}/fhir/R4", authorization=f"Bearer {token}")


def test_fhirpy_counts_pages_sorts_and_reads(fhir, cast):
    patients = fhir.resources("Patient")
    assert patients.count() == 5
    assert patients.search(name="zzzzzz").count() == 0
    assert patients.search(birthdate__ge="1992-01-01").count() == 2
    assert patients.search(birthdate="1991").count() == 1
    everyone = patients.limit(2).fetch_all()  # follows the next links
    assert len({p.id for p in everyone}) == 5
    born = [p.birthDate for p in patients.sort("-birthdate").fetch()]
    assert born == sorted(born, reverse=True)
    slim = patients.search(family="Zephyrine0").elements("birthDate").first()
    assert slim.birthDate == "1990-03-01" and "name" not in slim
    again = fhir.reference("Patient", str(cast.patient_a.uuid)).to_resource()
    assert again.id == str(cast.patient_a.uuid)


def test_fhirpy_searches_one_patients_observations_by_code(fhir, cast):
    observations = fhir.resources("Observation").search(patient=str(cast.patient_a.uuid))
    assert observations.count() >= 2
    phq9 = observations.search(code="http://loinc.org|44261-6").fetch()
    assert phq9 and all(any(c["code"] == "44261-6" for c in o.code.coding) for o in phq9)
    with_patient = observations.include("Observation", "patient").fetch_raw()
    modes = {e["search"]["mode"] for e in with_patient.entry}
    assert modes == {"match", "include"}
