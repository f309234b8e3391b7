"""Take the screenshots of measurement-based care and program outcomes.

    .venv/bin/python docs/screenshots/take_measures.py

Like take.py: a fresh SQLite file in a temporary directory with the demo
organization, plus a 2,000-patient benchmark organization with a measurement
history (so the outcomes page has figures above the minimum count); the
development server on 127.0.0.1:8779; Debian's Chromium through Playwright.
Writes measures-*.png and outcomes.png next to this script.
"""

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import take  # noqa: E402  (the README tour's helpers)

take.PORT = 8779  # take.py uses 8765, the directory 8766, interop 8767
take.BASE = f"http://{take.HOST}:{take.PORT}"
BASE = take.BASE


def prepare(env: dict) -> dict:
    """Django-side set-up in this process: names and links the pages need."""
    os.environ.update(env)
    sys.path.insert(0, str(take.ROOT))
    import django

    django.setup()
    from django.db.models import Count

    from openiop.demo.seed import BENCH_PASSWORD, bench_username, seed_organization
    from openiop.measures import services
    from openiop.measures.models import Instrument, LinkPurpose, SafetyAlert
    from openiop.measures.seed import seed_measures
    from openiop.patients.models import Patient

    org = seed_organization(patients=2000, weeks=26, seed=3).organization
    seed_measures(org, seed=3)
    rich = (
        Patient.objects.filter(organization__slug="demo", episodes__program__focus="mental_health")
        .annotate(n=Count("measure_responses"))
        .order_by("-n", "id")
        .first()
    )
    alert = (
        SafetyAlert.objects.filter(status="open", response__source="patient_link")
        .select_related("patient", "episode__primary_clinician")
        .first()
    )
    clinician = alert.episode.primary_clinician
    _link, token = services.link_create(
        actor=clinician,
        patient=alert.patient,
        purpose=LinkPurpose.QUESTIONNAIRE,
        instrument=Instrument.objects.get(organization__isnull=True, code="phq9"),
    )
    _link, checkin = services.link_create(
        actor=clinician, patient=alert.patient, purpose=LinkPurpose.CHECKIN
    )
    return {
        "rich": str(rich.uuid),
        "rich_clinician": rich.episodes.first().primary_clinician.username,
        "alert_patient": str(alert.patient.uuid),
        "clinician": clinician.username,
        "link": f"/m/{token}/",
        "checkin": f"/m/{checkin}/",
        "bench_admin": bench_username(org.slug, "admin"),
        "bench_password": BENCH_PASSWORD,
    }


def shoot_all(browser, password: str, facts: dict) -> None:
    def signed_in(username, pw=password, viewport=take.DESKTOP, **kw):
        context = browser.new_context(base_url=BASE, viewport=viewport, device_scale_factor=1, **kw)
        context.set_default_timeout(20_000)
        page = context.new_page()
        page.goto("/accounts/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(pw)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{BASE}/")
        return page

    page = signed_in(facts["clinician"])
    take.shoot(page, "measures-dashboard-alert.png")
    page.goto(f"/patients/{facts['alert_patient']}/")
    page.get_by_role("region", name="Measures").get_by_text("All scores, trends").wait_for()
    page.get_by_role("region", name="Measures").scroll_into_view_if_needed()
    take.shoot(page, "measures-chart-card.png")
    page.goto(f"/measures/patients/{facts['alert_patient']}/responses/new/?instrument=gad7")
    for item in range(1, 8):
        page.locator(f'input[name="item_{item}"][value="{2 if item < 5 else 1}"]').check()
    page.locator("#preview").get_by_text("Total").wait_for()
    take.shoot(page, "measures-entry.png", full_page=True)
    page.context.close()

    page = signed_in(facts["rich_clinician"])
    page.goto(f"/measures/patients/{facts['rich']}/")
    take.shoot(page, "measures-trends.png", full_page=True)
    page.context.close()

    phone = browser.new_context(
        base_url=BASE, viewport=take.PHONE, device_scale_factor=1, is_mobile=True, has_touch=True
    ).new_page()
    phone.goto(facts["link"])
    take.shoot(phone, "measures-phone.png")
    phone.goto(facts["checkin"])
    phone.locator('input[name="mood"][value="6"]').check()
    phone.locator('input[name="cravings"][value="3"]').check()
    take.shoot(phone, "measures-checkin-phone.png")
    phone.context.close()

    page = signed_in(facts["bench_admin"], facts["bench_password"])
    page.goto("/outcomes/")
    take.shoot(page, "outcomes.png", full_page=True)
    page.context.close()


def main() -> None:
    from playwright.sync_api import sync_playwright

    tmp = Path(tempfile.mkdtemp(prefix="openiop-shots-"))
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp / 'shots.sqlite3'}",
        "DEBUG": "1",
        "DJANGO_SETTINGS_MODULE": "openiop.settings",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("REQUIRE_2FA", None)
    server = None
    try:
        take.openiop(env, "migrate", "--noinput", "-v", "0")
        take.openiop(env, "demo")
        facts = prepare(env)
        password = take.demo_password(env)
        address = f"{take.HOST}:{take.PORT}"
        server = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            [sys.executable, "-m", "openiop", "runserver", address, "--noreload"],
            cwd=take.ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        take.wait_for_server(server)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=take.CHROMIUM, args=take.CHROMIUM_ARGS)
            try:
                shoot_all(browser, password, facts)
            finally:
                browser.close()
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
