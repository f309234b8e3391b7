"""Browser tests: Debian's Chromium driven by Playwright against pytest-django's
live server (a real HTTP server on a transactional test database).

Without /usr/bin/chromium the tests are skipped with the reason shown, except
on CI (CI=true), where a missing browser is a failure: a green CI run must mean
the browser tests ran.
"""

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("OPENIOP_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
DESKTOP = {"width": 1280, "height": 800}
TIMEOUT_MS = 10_000

HERE = Path(__file__).parent


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Every test in this folder is a browser test, whether or not it says so
    (so the default `-m 'not e2e'` run never starts a browser)."""
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.e2e)


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true: browser tests must run on CI)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser() -> Iterator:
    if not CHROMIUM.exists():
        _unavailable(f"Chromium not found at {CHROMIUM}; install Debian's chromium package")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed (pip install -e '.[dev]')")

    # Playwright's sync API keeps an event loop running in this thread; the
    # ORM calls the tests make to build their data are still synchronous.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as p:
            b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            yield b
            b.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def new_page(browser, live_server) -> Iterator[Callable]:
    """Open a page in a fresh browser context (own cookies) on the live server.

    Every page records console errors in `page.console_errors`.
    """
    contexts = []

    def make(**context_args):
        context_args.setdefault("viewport", DESKTOP)
        context = browser.new_context(base_url=live_server.url, **context_args)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        pg = context.new_page()
        pg.console_errors = []
        pg.on(
            "console",
            lambda msg: pg.console_errors.append(msg.text) if msg.type == "error" else None,
        )
        pg.on("pageerror", lambda exc: pg.console_errors.append(str(exc)))
        return pg

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    return new_page()
