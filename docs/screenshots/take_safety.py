"""Screenshots of the safety net for the README tour.

    .venv/bin/python docs/screenshots/take_safety.py

Like take.py: the demo organization in a fresh SQLite file in a temporary
directory, the development server on 127.0.0.1:8769, Debian's Chromium through
Playwright. Writes safety-*.png next to this script.
"""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import take  # noqa: E402
from take import CHROMIUM, CHROMIUM_ARGS, DESKTOP, ROOT, openiop, shoot  # noqa: E402

PORT = 8769
take.PORT = PORT
take.BASE = BASE = f"http://127.0.0.1:{PORT}"
PHONE = {"width": 390, "height": 844}


def facts(env: dict) -> dict:
    """A one-time PHQ-9 link for a demo patient, and the demo's password."""
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "openiop.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from openiop.accounts.models import User
    from openiop.care.models import Episode
    from openiop.demo.demo import DEMO_PASSWORD
    from openiop.measures.models import Instrument
    from openiop.measures.services import link_create

    clinician = User.objects.get(username="clinician")
    episode = Episode.objects.filter(primary_clinician=clinician, status="active").first()
    _link, token = link_create(
        actor=clinician,
        patient=episode.patient,
        purpose="questionnaire",
        instrument=Instrument.objects.get(organization__isnull=True, code="phq9"),
    )
    _link, checkin = link_create(actor=clinician, patient=episode.patient, purpose="checkin")
    return {
        "password": DEMO_PASSWORD,
        "link": f"/m/{token}/",
        "checkin": f"/m/{checkin}/",
        "episode": str(episode.uuid),
    }


def run(browser, f: dict) -> None:
    phone = browser.new_context(
        base_url=BASE, viewport=PHONE, is_mobile=True, has_touch=True
    ).new_page()
    phone.goto(f["link"])
    for item in range(1, 9):
        phone.locator(f'input[name="item_{item}"][value="1"]').check()
    phone.locator('input[name="item_9"][value="1"]').check()
    phone.get_by_role("button", name="Send my answers").tap()
    phone.get_by_role("heading", name="Thank you").wait_for()
    shoot(phone, "safety-phone-thanks.png", full_page=True)
    phone.context.close()

    context = browser.new_context(base_url=BASE, viewport=DESKTOP, device_scale_factor=1)
    page = context.new_page()
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("clinician")
    page.get_by_label("Password").fill(f["password"])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{BASE}/")
    shoot(page, "safety-dashboard.png")
    page.get_by_role("region", name="Alerts").get_by_role("link").first.click()
    page.get_by_role("heading", level=1).wait_for()
    shoot(page, "safety-alert.png", full_page=True)
    page.goto(f"/care/episodes/{f['episode']}/safety-plan/")
    page.get_by_label("Signs that a crisis may be starting").fill(
        "Not sleeping for two nights\nSkipping group\nGiving things away"
    )
    page.get_by_label("What I can do on my own to feel better").fill(
        "Walk the dog around the park\nHot shower and loud music"
    )
    page.get_by_label("People and places that take my mind off things").fill(
        "Coffee with my sister at the corner cafe"
    )
    page.get_by_label("People I can ask for help (name and phone)").fill(
        "Sam Testperson (sister), 555-0100"
    )
    page.get_by_label("Making my surroundings safe").fill(
        "My sister keeps my medicines; no alcohol in the house"
    )
    page.get_by_label("What is worth living for, in my words").fill("My kids. Finishing school.")
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Safety plan saved").wait_for()
    shoot(page, "safety-plan.png", full_page=True)
    page.goto(f"/care/episodes/{f['episode']}/safety-plan/print/")
    page.emulate_media(media="print")
    shoot(page, "safety-plan-print.png", full_page=True)
    context.close()

    admin = browser.new_context(base_url=BASE, viewport=DESKTOP, device_scale_factor=1).new_page()
    admin.goto("/accounts/login/")
    admin.get_by_label("Username").fill("admin")
    admin.get_by_label("Password").fill(f["password"])
    admin.get_by_role("button", name="Sign in").click()
    admin.wait_for_url(f"{BASE}/")
    admin.goto("/organization/safety/")
    shoot(admin, "safety-settings.png", full_page=True)
    admin.context.close()

    phone = browser.new_context(
        base_url=BASE, viewport=PHONE, is_mobile=True, has_touch=True
    ).new_page()
    phone.goto(f["checkin"])
    shoot(phone, "safety-checkin.png")
    phone.context.close()


def main() -> None:
    from playwright.sync_api import sync_playwright

    tmp = Path(tempfile.mkdtemp(prefix="openiop-shots-"))
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp / 'shots.sqlite3'}",
        "DEBUG": "1",
        "TASKS_BACKEND": "immediate",
        "EMAIL_FILE_PATH": str(tmp / "mail"),
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
