"""The import page keeps the uploaded Bundle on the server, encrypted, for an
hour, and the preview is confirmed by reference: a Bundle of several
megabytes imports (it used to travel back in a hidden field and fail with a
400), another person's reference is not found, an expired one is removed, and
a file over the limit or not FHIR is refused with nothing stored."""

import datetime as dt
import json
import random
from html.parser import HTMLParser

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.utils import timezone

from openiop.accounts.models import Membership
from openiop.audit.models import AuditEvent
from openiop.core.errors import ApplicationError
from openiop.interop.models import ImportUpload
from openiop.interop.services.import_upload import upload_bytes
from openiop.patients.models import Patient
from tests.factories import OrganizationFactory, ProgramFactory, staff

PID = "7a3c2b1d-0000-4000-8000-0000000000aa"
URL = "/interop/import/"


@pytest.fixture
def fresh(db):
    org = OrganizationFactory(name="Receiving Org (synthetic)")
    program = ProgramFactory(organization=org, name="Receiving IOP")
    director = staff("program_director", organization=org, username="recv.director")
    return org, program, director


def referral(birth_date="1984-09-17", observations=0, note_size=0, family="Brightwater") -> dict:
    entries = [
        {
            "fullUrl": f"urn:uuid:{PID}",
            "resource": {
                "resourceType": "Patient",
                "id": PID,
                "name": [{"use": "official", "family": family, "given": ["Juniper"]}],
                "birthDate": birth_date,
                "gender": "female",
            },
        }
    ]
    noise = random.Random(7)  # notes that do not compress away
    for i in range(observations):
        entries.append(
            {
                "resource": {
                    "resourceType": "Observation",
                    "id": f"obs-{i}",
                    "status": "final",
                    "code": {"text": "Heart rate"},
                    "subject": {"reference": f"urn:uuid:{PID}"},
                    "note": [{"text": f"note {i} " + noise.randbytes(note_size // 2).hex()}],
                }
            }
        )
    return {"resourceType": "Bundle", "type": "collection", "entry": entries}


class Forms(HTMLParser):
    """The page's forms: their hidden and submit fields, as a browser sends them."""

    def __init__(self, html: str):
        super().__init__()
        self.forms: list[dict] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append({})
        elif (
            tag in ("input", "button")
            and self.forms
            and a.get("name")
            and a.get("type") in ("hidden", "submit", None)
            and "value" in a
        ):
            self.forms[-1][a["name"]] = a["value"]


def upload(client, program, bundle, name="referral.json") -> str:
    raw = bundle if isinstance(bundle, bytes) else json.dumps(bundle).encode()
    response = client.post(
        URL,
        {
            "bundle": SimpleUploadedFile(name, raw, "application/json"),
            "program": program.pk,
            "admission_type": "step_down",
            "referral_source": "inpatient",
        },
    )
    assert response.status_code == 200
    return response.content.decode()


def confirm(client, html: str, **extra):
    form = next(f for f in Forms(html).forms if f.get("confirm") == "1")
    return client.post(URL, {**form, **extra})


def login(client, user):
    client.force_login(user)
    return client


def test_a_bundle_of_several_megabytes_previews_and_imports(client, fresh):
    org, program, director = fresh
    big = referral(observations=1500, note_size=2800)
    assert 4_000_000 < len(json.dumps(big)) < 5 * 1024 * 1024
    html = upload(login(client, director), program, big)
    assert "What the import will do" in html
    done = confirm(client, html)
    assert done.status_code == 302
    assert len(html) < 200_000  # the Bundle is not in the page
    assert "1500 not imported" in html
    assert Patient.objects.filter(organization=org, legal_family_name="Brightwater").exists()
    assert not ImportUpload.objects.exists()  # removed once imported


def test_another_persons_reference_is_not_found(client, fresh):
    org, program, director = fresh
    html = upload(login(client, director), program, referral())
    other = staff("program_director", organization=org, username="recv.other")
    response = confirm(login(client, other), html)
    assert response.status_code == 404
    assert not Patient.objects.filter(organization=org).exists()


def test_a_reference_for_another_organization_is_not_found(client, fresh):
    org, program, director = fresh
    html = upload(login(client, director), program, referral())
    elsewhere = ProgramFactory(name="Elsewhere IOP")
    Membership.objects.create(
        user=director, role="program_director", organization=elsewhere.organization
    )
    response = confirm(client, html, program=elsewhere.pk)
    assert response.status_code == 404


def test_an_expired_upload_is_refused_and_removed(client, fresh):
    org, program, director = fresh
    html = upload(login(client, director), program, referral())
    ImportUpload.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    response = confirm(client, html)
    assert response.status_code == 200 and "has expired" in response.content.decode()
    assert not ImportUpload.objects.exists()
    assert not Patient.objects.filter(organization=org).exists()


def test_expired_uploads_are_swept(client, fresh):
    org, program, director = fresh
    upload(login(client, director), program, referral())
    ImportUpload.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    client.get(URL)
    assert not ImportUpload.objects.exists()


def test_the_upload_is_encrypted_at_rest(client, fresh):
    org, program, director = fresh
    upload(login(client, director), program, referral())
    row = ImportUpload.objects.get()
    sealed = bytes(row.sealed)
    assert b"Brightwater" not in sealed and b"Juniper" not in sealed
    assert b"Brightwater" in upload_bytes(row)
    with override_settings(SECRET_KEY="another-secret-key-" * 4), pytest.raises(ApplicationError):
        upload_bytes(row)
    # a sealed Bundle copied to another row does not open (bound to its row)
    twin = ImportUpload.objects.create(
        organization=org,
        created_by=director,
        size=row.size,
        expires_at=row.expires_at,
        sealed=sealed,
    )
    with pytest.raises(ApplicationError):
        upload_bytes(twin)


def test_a_rotated_secret_key_still_opens_the_upload(client, fresh, settings):
    org, program, director = fresh
    upload(login(client, director), program, referral())
    row = ImportUpload.objects.get()
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-secret-key-" * 4
    assert b"Brightwater" in upload_bytes(row)


def test_a_file_over_the_limit_is_refused_and_nothing_stored(client, fresh):
    org, program, director = fresh
    raw = b" " * (5 * 1024 * 1024 + 1)
    html = upload(login(client, director), program, raw)
    assert "larger than 5 MB" in html
    assert not ImportUpload.objects.exists()
    assert not Patient.objects.filter(organization=org).exists()


@pytest.mark.parametrize(
    "raw", [b"{not json", b'{"resourceType": "Patient"}', b"\xff\xfe\x00garbage", b"[" * 5000]
)
def test_a_file_that_is_not_a_bundle_is_refused_and_not_kept(client, fresh, raw, monkeypatch):
    org, program, director = fresh

    def never(**kw):
        raise AssertionError("a file that is not a Bundle is not stored, even for a moment")

    monkeypatch.setattr("openiop.interop.services.import_upload.upload_store", never)
    html = upload(login(client, director), program, raw)
    assert "Nothing was imported" in html
    assert not ImportUpload.objects.exists()


def test_a_refused_bundle_is_not_kept(client, fresh):
    org, program, director = fresh
    html = upload(login(client, director), program, referral(birth_date="2999-01-01"))
    assert "in the future" in html
    assert not ImportUpload.objects.exists()


def test_a_partial_birth_date_is_completed_on_the_page(client, fresh):
    org, program, director = fresh
    html = upload(login(client, director), program, referral(birth_date="1929-12"))
    assert "The full birth date is needed" in html and "December 1929" in html
    form = next(f for f in Forms(html).forms if "upload" in f)
    preview = client.post(URL, {**form, "date_of_birth": "1929-12-05"}).content.decode()
    assert "born 1929-12-05" in preview
    assert confirm(client, preview).status_code == 302
    patient = Patient.objects.get(organization=org)
    assert patient.date_of_birth == dt.date(1929, 12, 5)


def test_a_matching_patient_the_person_cannot_see_is_not_shown(cast):
    other = cast.patient_b  # in program B; director A works in program A only
    bundle = referral(birth_date=other.date_of_birth.isoformat(), family=other.legal_family_name)
    bundle["entry"][0]["resource"]["name"][0]["given"] = [other.legal_given_name]
    html = upload(cast.client("director_a"), cast.program_a, bundle)
    assert other.mrn not in html
    assert "a program you do not work in" in html
    assert not any(f.get("confirm") for f in Forms(html).forms)


def test_a_matching_patient_shown_on_the_preview_is_an_audited_read(cast):
    mine = cast.patient_a
    bundle = referral(birth_date=mine.date_of_birth.isoformat(), family=mine.legal_family_name)
    bundle["entry"][0]["resource"]["name"][0]["given"] = [mine.legal_given_name]
    html = upload(cast.client("director_a"), cast.program_a, bundle)
    assert mine.mrn in html
    assert AuditEvent.objects.filter(
        event="fhir.import.match", patient=mine, actor=cast.director_a
    ).exists()
