"""Writes out answers of the /fhir/R4/ read API on the demo, for validate.mjs.

    DATABASE_URL=sqlite:///... python .ci/validators/fhir/api_answers.py OUT_DIR

What a staff member's token reads (the CapabilityStatement, reads, searches
with _include, _elements and _summary, $everything page by page, Group), what an outside recipient's
token reads under a Part 2 consent (with the notice), and the OperationOutcome
of refused requests, each fetched through Django's test client and written as
OUT_DIR/<name>.json. Exits 1 when an answer has another status than expected.
Meant for a throwaway copy of the demo (it issues tokens).
"""

import json
import os
import sys
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "openiop.settings")
os.environ.setdefault("DEBUG", "1")

import django  # noqa: E402

django.setup()

from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from openiop.accounts.models import User  # noqa: E402
from openiop.accounts.services import api_token_create  # noqa: E402
from openiop.consent.models import Part2Consent  # noqa: E402
from openiop.consent.recipients import recipient_issue_token  # noqa: E402
from openiop.patients.models import Patient  # noqa: E402

BASE = "/fhir/R4"


def client(raw: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}", HTTP_HOST="localhost")


def main(out: Path) -> int:
    out.mkdir(parents=True, exist_ok=True)
    director = User.objects.get(username="director")
    staff = client(api_token_create(actor=director, name="interop check")[1])
    patient = Patient.objects.order_by("mrn").first()
    p = patient.uuid
    asks = [
        ("metadata", staff, f"{BASE}/metadata", 200),
        ("patient", staff, f"{BASE}/Patient/{p}", 200),
        ("patients", staff, f"{BASE}/Patient?_count=5", 200),
        ("conditions", staff, f"{BASE}/Condition?patient={p}", 200),
        ("goals", staff, f"{BASE}/Goal?patient={p}", 200),
        ("careplans", staff, f"{BASE}/CarePlan?patient={p}&_include=CarePlan:goal", 200),
        (
            "observations",
            staff,
            f"{BASE}/Observation?patient={p}&_include=Observation:derived-from",
            200,
        ),
        ("encounters", staff, f"{BASE}/Encounter?patient={p}&_count=5", 200),
        ("groups", staff, f"{BASE}/Group", 200),
        ("patients-elements", staff, f"{BASE}/Patient?_elements=birthDate&_count=5", 200),
        ("careplans-summary", staff, f"{BASE}/CarePlan?patient={p}&_summary=data", 200),
        ("not-found", staff, f"{BASE}/Patient/00000000-0000-0000-0000-000000000000", 404),
        ("unknown-type", staff, f"{BASE}/Nothing", 404),
        ("bad-date", staff, f"{BASE}/Patient?birthdate=not-a-date", 400),
    ]
    consent = (
        Part2Consent.objects.filter(
            patient__organization=patient.organization,
            recipient_scope="named",
            recipient__isnull=False,
            revoked_on__isnull=True,
        )
        .select_related("recipient", "patient")
        .order_by("id")
    )
    consent = next((c for c in consent if c.state(timezone.localdate()) == "active"), None)
    if consent is not None:
        outside = client(recipient_issue_token(actor=director, recipient=consent.recipient)[1])
        q = consent.patient.uuid
        asks += [
            ("recipient-patient", outside, f"{BASE}/Patient/{q}", 200),
            ("recipient-everything", outside, f"{BASE}/Patient/{q}/$everything", 200),
        ]
    failures = 0
    pages = 0
    everything = f"{BASE}/Patient/{p}/$everything?_count=40"
    while everything and pages < 3:  # the first pages, through their next links
        asks.append((f"everything-{pages + 1}", staff, everything, 200))
        answer = staff.get(everything, HTTP_PREFER="handling=lenient")
        link = {lk["relation"]: lk["url"] for lk in answer.json().get("link", [])}.get("next")
        everything = urlsplit(link)._replace(scheme="", netloc="").geturl() if link else None
        pages += 1
    for name, who, url, status in asks:
        strict = {"HTTP_PREFER": "handling=strict"} if status == 400 else {}
        answer = who.get(url, **strict)
        if answer.status_code != status:
            print(f"{name}: {url} answered {answer.status_code}, not {status}", file=sys.stderr)
            failures += 1
        (out / f"{name}.json").write_text(json.dumps(answer.json()))
    print(f"{len(asks)} answers of the read API written to {out}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
