"""Take the screenshots of the scheduling pages.

    .venv/bin/python docs/screenshots/take_scheduling.py

Like take.py (whose helpers it uses): the demo organization in a fresh SQLite
file in a temporary directory, the development server on 127.0.0.1:8793,
Debian's Chromium; writes scheduling-*.png next to this script.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import take  # noqa: E402

HOST, PORT = "127.0.0.1", 8793
BASE = f"http://{HOST}:{PORT}"


def wait_for_server(server: subprocess.Popen, timeout: float = 40) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"runserver exited with status {server.returncode}")
        try:
            with urllib.request.urlopen(f"{BASE}/healthz", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.3)
    raise SystemExit(f"runserver did not answer on {BASE} within {timeout:.0f}s")


def shots(browser, password: str) -> None:
    def signed_in(username: str):
        context = browser.new_context(base_url=BASE, viewport=take.DESKTOP, device_scale_factor=1)
        context.set_default_timeout(20_000)
        page = context.new_page()
        page.goto("/accounts/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{BASE}/")
        return page

    page = signed_in("director")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Schedule").click()
    page.get_by_label("Program").select_option(label="Adult Substance Use IOP")
    page.get_by_role("button", name="Show").click()
    take.shoot(page, "scheduling-week.png", full_page=False)
    page.goto("/scheduling/plan/")
    page.locator("table a").first.click()
    page.wait_for_url("**/scheduling/runs/*/")
    take.shoot(page, "scheduling-review.png", full_page=False)
    page.goto("/scheduling/alerts/")
    take.shoot(page, "scheduling-alerts.png", full_page=True)
    page.context.close()

    page = signed_in("clinician")
    page.goto("/scheduling/notes/?status=signed")
    page.locator("table a").first.click()
    take.shoot(page, "scheduling-note.png", full_page=True)
    page.get_by_role("link", name="The session and its roster").click()
    take.shoot(page, "scheduling-roster.png", full_page=True)
    page.locator(".sc-roster a").first.click()
    page.wait_for_url("**/scheduling/patients/*/")
    take.shoot(page, "scheduling-patient.png", full_page=True)
    page.context.close()


def main() -> None:
    from playwright.sync_api import sync_playwright

    tmp = Path(tempfile.mkdtemp(prefix="openiop-sched-shots-"))
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
        password = take.demo_password(env)
        server = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "openiop", "runserver", f"{HOST}:{PORT}", "--noreload"],
            cwd=take.ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_server(server)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=take.CHROMIUM, args=take.CHROMIUM_ARGS)
            try:
                shots(browser, password)
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
