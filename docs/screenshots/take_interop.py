"""Screenshots of Part 2 consent and FHIR exchange for the README tour.

    .venv/bin/python docs/screenshots/take_interop.py

Like take.py: the demo organization in a fresh SQLite file in a temporary
directory, the development server on 127.0.0.1:8767 (background tasks run in
the request, TASKS_BACKEND=immediate), Debian's Chromium through Playwright.
Writes consent-*.png and interop-*.png next to this script.
"""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import take  # noqa: E402
from take import CHROMIUM, CHROMIUM_ARGS, DESKTOP, ROOT, openiop, shoot  # noqa: E402

PORT = 8767
take.PORT = PORT
take.BASE = BASE = f"http://127.0.0.1:{PORT}"


def facts(env: dict) -> dict:
    """Ids the pages need, and a referral Bundle of a new (synthetic) person."""
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "openiop.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from openiop.consent.models import Disclosure, Part2Consent
    from openiop.demo.demo import DEMO_PASSWORD
    from openiop.interop.services.bundle import patient_export

    disclosed = Disclosure.objects.order_by("id").first()
    consent = Part2Consent.objects.filter(patient=disclosed.patient).order_by("id").first()
    other = Part2Consent.objects.exclude(patient=disclosed.patient).order_by("id").first()
    bundle = patient_export(patient=other.patient).bundle
    for entry in bundle["entry"]:
        r = entry["resource"]
        if r["resourceType"] == "Patient":
            r["name"] = [{"use": "official", "family": "Referral", "given": ["Quinn"]}]
            r["birthDate"] = "1991-06-15"
            r["managingOrganization"]["display"] = "Sunrise Residential Recovery (synthetic)"
            r["address"] = [{"line": ["40 Synthetic Way"], "city": "Salem", "state": "Oregon"}]
            r["address"][0]["postalCode"] = "9730"  # a digit short: listed, not imported
            r["telecom"] = [{"system": "email", "value": "quinn.referral@@example"}]
            r["identifier"] = [{"type": {"text": "Medical Record Number"}, "value": "SR-1"}]
            patient_ref = {"reference": f"Patient/{r['id']}"}
    # what a residential program's full export also holds, and the import leaves
    vitals = ("Heart rate", "Body weight", "Blood pressure", "Respiratory rate")
    for i in range(24):
        bundle["entry"].append(
            {
                "resource": {
                    "resourceType": "Observation",
                    "id": f"vitals-{i}",
                    "status": "final",
                    "category": [{"coding": [{"code": "vital-signs"}]}],
                    "code": {"text": vitals[i % len(vitals)]},
                    "subject": patient_ref,
                }
            }
        )
    for i in range(3):
        bundle["entry"].append(
            {
                "resource": {
                    "resourceType": "Encounter",
                    "id": f"stay-{i}",
                    "status": "finished",
                    "class": {"code": "IMP"},
                    "subject": patient_ref,
                }
            }
        )
    bundle["entry"].append({"request": {"method": "DELETE", "url": "Condition/withdrawn-1"}})
    path = Path(tempfile.mkdtemp(prefix="openiop-referral-")) / "referral.json"
    path.write_text(json.dumps(bundle))
    return {
        "password": DEMO_PASSWORD,
        "patient": str(disclosed.patient.uuid),
        "consent": str(consent.uuid),
        "referral": str(path),
    }


def run(browser, f: dict) -> None:
    def signed_in(username):
        context = browser.new_context(base_url=BASE, viewport=DESKTOP, device_scale_factor=1)
        context.set_default_timeout(20_000)
        page = context.new_page()
        page.goto("/accounts/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(f["password"])
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{BASE}/")
        return page

    page = signed_in("director")
    page.goto(f"/consent/patients/{f['patient']}/")
    shoot(page, "consent-patient.png", full_page=True)
    page.goto(f"/consent/{f['consent']}/")
    shoot(page, "consent-detail.png", full_page=True)
    page.goto(f"/consent/patients/{f['patient']}/disclosures/")
    shoot(page, "consent-accounting.png", full_page=True)
    page.goto(f"/consent/patients/{f['patient']}/disclosures/print/")
    page.emulate_media(media="print")
    shoot(page, "consent-accounting-print.png", full_page=True)
    page.emulate_media(media="screen")
    page.goto("/interop/exports/")
    page.get_by_role("button", name="Start the export").click()
    page.wait_for_url("**/interop/exports/*-*/")
    shoot(page, "interop-export.png", full_page=True)
    page.goto("/interop/import/")
    page.get_by_label("FHIR Bundle (JSON)").set_input_files(f["referral"])
    page.get_by_label("Admit to").select_option(index=1)
    page.get_by_role("button", name="Preview").click()
    page.get_by_text("What the import will do").wait_for()
    for group in page.locator("details.skipped-group").all()[:3]:
        group.evaluate("d => { d.open = true; }")  # a few kinds opened, the rest collapsed
    shoot(page, "interop-import-preview.png", full_page=True)
    page.context.close()


def main() -> None:
    from playwright.sync_api import sync_playwright

    tmp = Path(tempfile.mkdtemp(prefix="openiop-shots-"))
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp / 'shots.sqlite3'}",
        "DEBUG": "1",
        "TASKS_BACKEND": "immediate",
        "FHIR_EXPORT_DIR": str(tmp / "exports"),
    }
    openiop(env, "migrate", "-v0")
    openiop(env, "demo")
    f = facts(env)
    server = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "openiop", "runserver", f"127.0.0.1:{PORT}", "--noreload"],
        cwd=ROOT,
        env=env,
    )
    try:
        take.wait_for_server(server)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            run(browser, f)
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
