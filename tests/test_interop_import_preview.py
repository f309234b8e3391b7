"""The import preview promises what "Import it" then does: it is decided by the
same rules the confirm applies (the person's permissions, the program's
admission rules, an episode already open), so the preview and the result
agree. A refused admission keeps the upload so another program can be chosen."""

import datetime as dt
import json

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile

from openiop.care.models import Episode
from openiop.care.plans.models import Diagnosis
from openiop.care.plans.plan_models import PlanGoal
from openiop.interop.models import ImportUpload
from openiop.interop.services.bundle import patient_export
from openiop.patients.models import Patient
from tests.factories import OrganizationFactory, ProgramFactory, staff
from tests.interop_helpers import TODAY, full_record
from tests.test_interop_import_upload import Forms, confirm, referral, upload

URL = "/interop/import/"


@pytest.fixture
def fresh(db):
    org = OrganizationFactory(name="Receiving Org (synthetic)")
    adult = ProgramFactory(organization=org, name="Adult IOP")
    teens = ProgramFactory(
        organization=org, site=adult.site, name="Adolescent IOP", population="adolescent"
    )
    director = staff("program_director", organization=org, username="recv.director")
    intake = staff("intake_coordinator", organization=org, username="recv.intake")
    return org, adult, teens, director, intake


def exported(cast) -> dict:
    full_record(cast)
    return patient_export(patient=cast.patient_a).bundle


def created_in(response) -> dict:
    """What the preview says will be created, by kind (from the page's decision)."""
    d = response.context["decision"]
    return {
        "support_persons": len(d.support_persons),
        "diagnoses": len(d.diagnoses),
        "goals": len(d.goals),
    }


def result_messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def agree(preview, done) -> None:
    """What the preview listed as not imported, the result page says too."""
    said = result_messages(done)
    for note in preview.context["decision"].notes:
        assert note in said


def test_intake_preview_and_result_agree_on_the_clinical_record(cast, fresh, client):
    org, adult, teens, director, intake = fresh
    client.force_login(intake)
    bundle = exported(cast)
    response = client.post(
        URL,
        {
            "bundle": SimpleUploadedFile("r.json", json.dumps(bundle).encode()),
            "program": adult.pk,
            "admission_type": "step_down",
            "referral_source": "inpatient",
        },
    )
    html = response.content.decode()
    promised = created_in(response)
    assert promised["diagnoses"] == 0 and promised["goals"] == 0
    dl = html.split('id="will-create"')[1].split("</dl>")[0]
    assert "F10.20" not in dl and "stay sober" not in dl
    assert "your role does not write the clinical record" in html
    done = confirm(client, html)
    assert done.status_code == 302
    patient = Patient.objects.get(organization=org)
    assert not Diagnosis.objects.filter(patient=patient).exists()
    assert not PlanGoal.objects.filter(problem__version__plan__patient=patient).exists()
    agree(response, done)
    notes = " ".join(result_messages(done))
    assert "your role does not write the clinical record" in notes
    assert promised["support_persons"] == patient.support_persons.count() == 1


def test_an_age_the_program_does_not_admit_is_refused_at_preview_and_the_upload_kept(fresh, client):
    org, adult, teens, director, intake = fresh
    client.force_login(director)
    born = dt.date(TODAY.year - 80, 1, 2)
    html = upload(client, teens, referral(birth_date=born.isoformat()))
    assert "What the import will do" not in html
    assert "The patient is 80 on the admission date; Adolescent IOP admits ages 12 to 17" in html
    assert not Patient.objects.filter(organization=org).exists()
    kept = ImportUpload.objects.get()
    form = next(f for f in Forms(html).forms if f.get("upload"))
    assert form["upload"] == str(kept.uuid)
    # another program, the same upload: no need to choose the file again
    again = client.post(
        URL,
        {
            **form,
            "program": adult.pk,
            "admission_type": "step_down",
            "referral_source": "inpatient",
        },
    )
    preview = again.content.decode()
    assert "What the import will do" in preview and "Adult IOP from" in preview
    assert confirm(client, preview).status_code == 302
    episode = Episode.objects.get(patient__organization=org)
    assert episode.program == adult


def test_the_same_bundle_twice_previews_no_second_admission(cast, fresh, client):
    org, adult, teens, director, intake = fresh
    client.force_login(director)
    bundle = exported(cast)
    first = upload(client, adult, bundle)
    assert "<dt>Admission</dt><dd>Adult IOP from" in first
    assert confirm(client, first).status_code == 302
    client.get(URL)  # the first result's messages read
    response = client.post(
        URL,
        {
            "bundle": SimpleUploadedFile("r.json", json.dumps(bundle).encode()),
            "program": adult.pk,
            "admission_type": "step_down",
            "referral_source": "inpatient",
        },
    )
    html = response.content.decode()
    assert "<dt>Admission</dt><dd>Adult IOP from" not in html
    assert "already has an open episode" in html
    assert created_in(response) == {"support_persons": 0, "diagnoses": 0, "goals": 0}
    done = confirm(client, html)
    assert done.status_code == 302
    assert "Imported: nothing new." in result_messages(done)
    agree(response, done)
    assert Episode.objects.filter(patient__organization=org).count() == 1
    assert Diagnosis.objects.filter(patient__organization=org).count() == 1
