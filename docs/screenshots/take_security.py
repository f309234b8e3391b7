"""Screenshots of the sign-in pages the security work added, for the README tour.

    .venv/bin/python docs/screenshots/take_security.py

Like take.py: the demo organization in a fresh SQLite file in a temporary
directory, the development server on 127.0.0.1:8768 with two-factor required,
Debian's Chromium through Playwright. Writes security-*.png next to this script.
"""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import take  # noqa: E402
from take import CHROMIUM, CHROMIUM_ARGS, DESKTOP, ROOT, openiop, shoot  # noqa: E402

PORT = 8768
take.PORT = PORT
take.BASE = BASE = f"http://127.0.0.1:{PORT}"


def facts(env: dict) -> dict:
    """The admin gets a confirmed authenticator, so it can sign in with two factors."""
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "openiop.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from openiop.accounts.models import User
    from openiop.consent.models import ExternalRecipient
    from openiop.demo.demo import DEMO_PASSWORD

    admin = User.objects.get(username="admin")
    device = TOTPDevice.objects.create(user=admin, name="phone", confirmed=True)
    recipient = ExternalRecipient.objects.order_by("id").first()
    return {
        "password": DEMO_PASSWORD,
        "key": device.bin_key.hex(),
        "recipient": str(recipient.uuid),
    }


def run(browser, f: dict) -> None:
    from django_otp.oath import totp

    def context():
        c = browser.new_context(base_url=BASE, viewport=DESKTOP, device_scale_factor=1)
        c.set_default_timeout(20_000)
        return c

    def sign_in(page, username):
        page.goto("/accounts/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(f["password"])
        page.get_by_role("button", name="Sign in").click()

    # the admin: password, then the code; the staff page issues enrolment codes
    page = context().new_page()
    sign_in(page, "admin")
    page.wait_for_url("**/accounts/verify/**")
    page.get_by_label("Six-digit code").fill(f"{totp(bytes.fromhex(f['key'])):06d}")
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url(f"{BASE}/")
    page.goto("/organization/staff/")
    shoot(page, "security-staff.png", full_page=True)
    page.get_by_role("row", name="clinician").get_by_role(
        "button", name="Issue enrolment code"
    ).first.click()
    page.get_by_text("Give this code").wait_for()
    code = page.locator(".big-code code").inner_text()
    shoot(page, "security-enrolment-code.png")
    page.goto(f"/consent/recipients/{f['recipient']}/")
    shoot(page, "security-recipient.png", full_page=True)
    page.context.close()

    # a clinician without an authenticator, where two-factor is required
    page = context().new_page()
    sign_in(page, "clinician")
    page.wait_for_url("**/accounts/two-factor/")
    shoot(page, "security-enrol.png")
    page.get_by_label("Enrolment code").fill(code)
    page.get_by_role("button", name="Continue").click()
    page.locator(".qr").wait_for()
    shoot(page, "security-enrol-qr.png", full_page=True)
    page.context.close()


def main() -> None:
    from playwright.sync_api import sync_playwright

    tmp = Path(tempfile.mkdtemp(prefix="openiop-shots-"))
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp / 'shots.sqlite3'}",
        "DEBUG": "1",
        "REQUIRE_2FA": "1",
        "TASKS_BACKEND": "immediate",
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
