"""Take the program finder's screenshots of the README tour.

    .venv/bin/python docs/screenshots/take_directory.py

Builds the demo (which imports openiop/directory/data/oregon-2026-02.json
when it is there and lists the demo programs) in a fresh SQLite file in a
temporary directory, runs the development server on 127.0.0.1:8766 and writes
docs/screenshots/directory-*.png with Debian's Chromium (Playwright).
"""

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from take import CHROMIUM, CHROMIUM_ARGS, DESKTOP, OUT, PHONE, ROOT, openiop, shoot  # noqa: E402

HOST, PORT = "127.0.0.1", 8766
BASE = f"http://{HOST}:{PORT}"


def wait(server):
    import take

    take.BASE = BASE
    take.wait_for_server(server)


def take_directory(browser) -> None:
    def new(viewport=DESKTOP, **kwargs):
        context = browser.new_context(
            base_url=BASE, viewport=viewport, device_scale_factor=1, **kwargs
        )
        context.set_default_timeout(15_000)
        return context.new_page()

    page = new()
    page.goto("/find/?near=97201&radius_miles=10&level_of_care=iop&payment=medicaid&sort=fit")
    shoot(page, "directory-search.png")

    names = page.locator("ol.results-list h3").all_inner_texts()[:3]
    for name in names:
        page.get_by_label(f"Compare {name}", exact=True).check()
    page.get_by_role("button", name="Compare the ticked programs").click()
    page.wait_for_url("**/find/compare/**")
    shoot(page, "directory-compare.png", full_page=True)

    page.goto("/find/match/")
    page.get_by_label("1. Where do you live or work?").fill("97201")
    page.get_by_label("Evenings").check()
    page.get_by_label("Weekends").check()
    page.get_by_label("Both (co-occurring / dual diagnosis)").check()
    page.get_by_label("26 to 64").check()
    page.get_by_label("Medicaid (e.g. Oregon Health Plan)").check()
    page.get_by_label("Yes, I'd like family involved").check()
    shoot(page, "directory-match.png", full_page=True)
    page.get_by_role("button", name="Show my matches").click()
    page.wait_for_url("**/find/shortlist/**")
    shoot(page, "directory-shortlist.png")

    page.locator("ol.results-list h3 a").first.click()
    page.wait_for_url("**/find/*-*/**")
    shoot(page, "directory-program.png", full_page=True)
    page.context.close()

    page = new(viewport=PHONE, is_mobile=True, has_touch=True)
    page.goto("/find/?near=Portland%2C+OR&radius_miles=25&level_of_care=iop&schedule=evening")
    shoot(page, "directory-phone.png", full_page=True)
    page.context.close()


def main() -> None:
    from playwright.sync_api import sync_playwright

    tmp = Path(tempfile.mkdtemp(prefix="openiop-finder-shots-"))
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
        server = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "openiop", "runserver", f"{HOST}:{PORT}", "--noreload"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait(server)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                take_directory(browser)
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
    print(f"written to {OUT}")


if __name__ == "__main__":
    main()
