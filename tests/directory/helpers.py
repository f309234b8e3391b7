"""Helpers of the program finder tests: where the real Oregon file is, a
well-formed export row, a listed OpenIOP program."""

import datetime as dt
import json
import os
from pathlib import Path

import pytest

from openiop.directory.models import DirectoryProfile
from openiop.directory.services import program_sync

REPO = Path(__file__).resolve().parents[2]
# the real export, kept with the package (openiop/directory/data/README.md)
OREGON = REPO / "openiop" / "directory" / "data" / "oregon-2026-02.json"


def on_ci() -> bool:
    """Whether the environment variable CI is set (CI=true on CI)."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def require_data_file(path: Path) -> Path:
    """The real FindTreatment.gov export the data tests read. Without it the
    tests are skipped with the reason shown, except on CI, where a missing file
    is a failure: a green CI run must mean the data tests ran."""
    if path.exists():
        return path
    reason = f"the real FindTreatment.gov file is not at {path}"
    if on_ci():
        pytest.fail(f"{reason} (CI is set: the data tests must run on CI)", pytrace=False)
    pytest.skip(reason)


def list_program(program, **profile):
    """List a program on the finder with the given profile fields. A program
    offering family sessions gets someone licensed to lead them (the listing
    says so only then)."""
    if profile.get("family_program"):
        family_staff(program)
    defaults = {"organization_id": program.organization_id, "listed": True}
    found, _ = DirectoryProfile.objects.update_or_create(
        program=program, defaults={**defaults, **profile}
    )
    return program_sync(found)


def family_staff(program):
    from openiop.accounts.models import StaffCredential
    from openiop.scheduling.services.types import session_types_ensure
    from tests.factories import staff

    session_types_ensure(program.organization)
    therapist = staff("clinician", program=program)
    StaffCredential.objects.create(
        user=therapist,
        organization=program.organization,
        license_type="LMFT",
        number=f"TEST-{therapist.pk}",
        state="OR",
        expires_on=dt.date.today() + dt.timedelta(days=400),
    )
    return therapist


def write_json(tmp_path, rows, **top) -> Path:
    path = tmp_path / "export.json"
    path.write_text(
        json.dumps({"recordCount": len(rows), "totalPages": 1, "page": 1, **top, "rows": rows})
    )
    return path


def row(**changes) -> dict:
    """A well-formed FindTreatment.gov export row (Portland, IOP, Medicaid)."""
    base = {
        "_irow": 1,
        "name1": "Example Recovery Center",
        "name2": "Downtown",
        "street1": "1 Main St",
        "street2": "",
        "city": "Portland",
        "state": "OR",
        "zip": "97204",
        "phone": "503-555-0100",
        "intake1": "",
        "hotline1": "",
        "website": "https://example.org",
        "latitude": "45.5181",
        "longitude": "-122.6745",
        "type_facility": "SA",
        "services": [
            {"f1": "Type of Care", "f2": "TC", "f3": "Substance use treatment"},
            {"f1": "Setting", "f2": "SET", "f3": "Intensive outpatient treatment; Outpatient"},
            {"f1": "Payment", "f2": "PAY", "f3": "Medicaid; Cash or self-payment"},
        ],
    }
    base.update(changes)
    return base


TODAY = dt.date.today()
