"""Take the screenshots of the README tour.

    .venv/bin/python docs/screenshots/take.py

Builds the demo organization in a fresh SQLite file in a temporary directory,
runs the development server on 127.0.0.1:8765, signs in as the demo users in
Debian's Chromium (Playwright) and writes the PNGs next to this script. Never
touches var/openiop.sqlite3. Set CHROMIUM to use another Chromium binary.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = Path(__file__).resolve().parent
HOST, PORT = "127.0.0.1", 8765
BASE = f"http://{HOST}:{PORT}"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def openiop(env: dict, *args: str) -> None:
    subprocess.run([sys.executable, "-m", "openiop", *args], cwd=ROOT, env=env, check=True)  # noqa: S603


def wait_for_server(server: subprocess.Popen, timeout: float = 30) -> None:
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


def demo_password(env: dict) -> str:
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "openiop.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from openiop.demo.demo import DEMO_PASSWORD

    return DEMO_PASSWORD


def shoot(page, name: str, **kwargs) -> None:
    page.wait_for_load_state("networkidle")
    path = OUT / name
    page.screenshot(path=str(path), animations="disabled", caret="hide", **kwargs)
    print(f"  {path.relative_to(ROOT)}  {path.stat().st_size // 1024} KB")


def take(browser, password: str) -> None:
    def signed_in(username: str, viewport: dict = DESKTOP, **context_args):
        context = browser.new_context(
            base_url=BASE, viewport=viewport, device_scale_factor=1, **context_args
        )
        context.set_default_timeout(15_000)
        page = context.new_page()
        page.goto("/accounts/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{BASE}/")
        return page

    def search_patients(page) -> str:
        """Open Patients and type the start of a family name several patients share."""
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Patients").click()
        rows = page.locator("#results tbody tr").evaluate_all(
            "trs => trs.map(tr => [tr.querySelector('a').textContent,"
            " !tr.textContent.includes('no open episode')])"
        )
        prefixes = Counter(name.split(",")[0][:4] for name, _ in rows)
        in_treatment = {name.split(",")[0][:4] for name, active in rows if active}
        family = max(in_treatment, key=lambda prefix: (prefixes[prefix], prefix))
        with page.expect_response(lambda r: "q=" in r.url):
            page.get_by_label("Name, MRN or date of birth").press_sequentially(family, delay=40)
        page.wait_for_url(f"**/patients/?q={family}*")
        return family

    context = browser.new_context(base_url=BASE, viewport=DESKTOP, device_scale_factor=1)
    page = context.new_page()
    page.goto("/accounts/login/")
    shoot(page, "login.png")
    context.close()

    page = signed_in("director")
    shoot(page, "dashboard-director.png", full_page=True)
    page.goto("/care/census/")
    shoot(page, "census.png", full_page=True)
    page.goto("/organization/programs/")
    shoot(page, "programs.png")
    page.context.close()

    page = signed_in("clinician")
    search_patients(page)
    shoot(page, "patients.png")
    page.locator("#results tbody tr").filter(has_not_text="no open episode").first.get_by_role(
        "link"
    ).click()
    page.wait_for_url("**/patients/*-*/")
    shoot(page, "chart.png", full_page=True)
    page.context.close()

    page = signed_in("auditor")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Audit log").click()
    shoot(page, "audit.png")
    page.context.close()

    page = signed_in("clinician", viewport=PHONE, is_mobile=True, has_touch=True)
    search_patients(page)
    shoot(page, "patients-phone.png", full_page=True)
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
    env.pop("REQUIRE_2FA", None)  # off under DEBUG: the demo users have no phones
    server = None
    try:
        openiop(env, "migrate", "--noinput", "-v", "0")
        openiop(env, "demo")
        password = demo_password(env)
        server = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "openiop", "runserver", f"{HOST}:{PORT}", "--noreload"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_server(server)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                take(browser, password)
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
