"""Take the treatment-plan screenshots of the README tour.

    .venv/bin/python docs/screenshots/take_plans.py

Like take.py: builds the demo organization in a fresh SQLite file in a
temporary directory, runs the development server on 127.0.0.1:8767, signs in
as the demo clinician in Debian's Chromium (Playwright) and writes
plans-*.png next to this script; the print views are shot with print media
emulation, and the plan is also printed to PDF (plans-print.pdf in the
temporary directory, rendered to PNG with pdftoppm when it is installed).
"""

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from take import CHROMIUM, CHROMIUM_ARGS, DESKTOP, ROOT, demo_password, openiop  # noqa: E402

HOST, PORT = "127.0.0.1", 8767
BASE = f"http://{HOST}:{PORT}"


def wait_for_server(server, timeout=30.0):
    import time
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"runserver exited with status {server.returncode}")
        try:
            with urllib.request.urlopen(f"{BASE}/healthz", timeout=2) as r:  # noqa: S310
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise SystemExit("runserver did not answer")


def shoot(page, name, *, print_media=False, **kwargs):
    page.emulate_media(media="print" if print_media else "screen")
    page.wait_for_load_state("networkidle")
    path = HERE / name
    page.screenshot(path=str(path), animations="disabled", caret="hide", **kwargs)
    print(f"  {path.relative_to(ROOT)}  {path.stat().st_size // 1024} KB")


def take(browser, password, tmp: Path) -> None:
    context = browser.new_context(base_url=BASE, viewport=DESKTOP, device_scale_factor=1)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("clinician")
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{BASE}/")
    shoot(page, "plans-dashboard.png")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Plan reviews").click()
    shoot(page, "plans-reviews-due.png")
    # a patient of the caseload with a signed plan
    page.goto("/care/caseload/")
    for href in [a.get_attribute("href") for a in page.locator("table a").all()]:
        page.goto(href)
        if page.get_by_text("signed", exact=True).count():
            break
    shoot(page, "plans-chart.png", full_page=True)
    page.locator("a:has-text('Treatment plan')").first.click()
    shoot(page, "plans-plan.png", full_page=True)

    page.goto(page.url + "print/")
    shoot(page, "plans-print.png", print_media=True, full_page=True)
    page.emulate_media(media="print")
    pdf = tmp / "plans-print.pdf"
    page.pdf(path=str(pdf), format="Letter", print_background=False)
    if shutil.which("pdftoppm"):
        subprocess.run(  # noqa: S603
            [
                shutil.which("pdftoppm"),
                "-png",
                "-r",
                "60",
                "-f",
                "1",
                "-l",
                "1",
                str(pdf),
                str(HERE / "plans-pdf"),
            ],  # noqa: S607
            check=True,
        )
    page.go_back()
    page.emulate_media(media="screen")

    # a second version, to compare side by side
    page.get_by_label("What changes and why").fill("Add a family objective after the review")
    page.get_by_role("button", name="Start version 2").click()
    page.get_by_role("link", name="+ Add an objective").first.click()
    page.get_by_label("Objective").fill("Invite my partner to two family sessions.")
    page.get_by_label("Target date").fill("2027-01-15")
    page.get_by_role("button", name="Save in the draft").click()
    page.get_by_role("link", name="Edit").nth(1).click()
    page.get_by_label("Goal").fill("“I want to stay on my medication and keep my job.”")
    page.get_by_role("button", name="Save in the draft").click()
    page.get_by_role("link", name="Compare versions").click()
    shoot(page, "plans-compare.png", full_page=True)

    page.goto(page.url.split("/care/")[0] + "/care/plan-library/")
    shoot(page, "plans-library.png")

    # an assessment
    page.goto("/care/caseload/")
    page.locator("table a").first.click()
    link = page.locator("a:has-text('Assessment')").first
    if link.count():
        link.click()
        shoot(page, "plans-assessment.png", full_page=True)
    context.close()


def main() -> None:
    from playwright.sync_api import sync_playwright

    tmp = Path(tempfile.mkdtemp(prefix="openiop-plan-shots-"))
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
                take(browser, password, tmp)
            finally:
                browser.close()
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
