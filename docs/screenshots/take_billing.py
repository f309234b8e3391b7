"""Take the billing screenshots of the README tour.

    .venv/bin/python docs/screenshots/take_billing.py [--database demo.sqlite3]

Like take.py: builds the demo organization in a fresh SQLite file in a
temporary directory (or uses a copy of an existing demo database given with
--database), runs the development server on 127.0.0.1:8771, signs in as the
demo billing user and the program director in Debian's Chromium (Playwright)
and writes billing-*.png next to this script: the worklist of held days, one
held day with its checks, the authorizations with their warnings, a concurrent
review packet and the charges.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from take import CHROMIUM, CHROMIUM_ARGS, DESKTOP, ROOT, demo_password, openiop  # noqa: E402
from take_plans import shoot  # noqa: E402

HOST, PORT = "127.0.0.1", 8771
BASE = f"http://{HOST}:{PORT}"
TOP = {"x": 0, "y": 0, "width": DESKTOP["width"], "height": 1500}  # a long page's first part


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


def signed_in(browser, username: str, password: str):
    context = browser.new_context(base_url=BASE, viewport=DESKTOP, device_scale_factor=1)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{BASE}/")
    return context, page


def take(browser, password: str) -> None:
    context, page = signed_in(browser, "billing", password)
    page.goto("/billing/")
    shoot(page, "billing-worklist.png", full_page=True, clip=TOP)
    # a day held for more than one reason, one of them the authorization
    page.goto("/billing/?reason=authorization")
    rows = page.locator("tbody tr").filter(has=page.locator("li + li"))
    (rows.first if rows.count() else page.locator("tbody tr").first).locator("a").first.click()
    shoot(page, "billing-day.png", full_page=True)
    page.goto("/billing/authorizations/")
    shoot(page, "billing-authorizations.png")
    page.goto("/billing/charges/")
    shoot(page, "billing-charges.png")
    context.close()

    # the packet holds scores and progress: the care team reads it, billing does not
    context, page = signed_in(browser, "director", password)
    page.goto("/billing/authorizations/reviews/?show=all")
    page.get_by_role("link", name="Review packet").first.click()
    shoot(page, "billing-packet.png", full_page=True, clip=TOP)
    context.close()


def main() -> None:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser()
    parser.add_argument("--database", help="a demo SQLite database to copy instead of building")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="openiop-billing-shots-"))
    db = tmp / "shots.sqlite3"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{db}",
        "DEBUG": "1",
        "DJANGO_SETTINGS_MODULE": "openiop.settings",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("REQUIRE_2FA", None)
    server = None
    try:
        if args.database:
            shutil.copyfile(args.database, db)
        else:
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
            server.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
