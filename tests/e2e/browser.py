"""A real headless Chromium for the browser tests (the web widget, the agent console) and an axe-core scan.

Playwright drives the machine's Chromium (Debian's `chromium` package: `.ci/run` installs it); it never
downloads a browser of its own. axe-core comes from the pinned npm package that `make` installs into
node_modules. Without Chromium the browser tests skip and say why.

The fixtures `browser` and `page` are registered by tests/e2e/conftest.py; a test module uses them as

    from tests.e2e.browser import axe_violations, new_page

    def test_something(page, stack):
        page.goto(stack.ticketing_url + "/console")
        assert axe_violations(page) == []
"""

import os
import shutil
from pathlib import Path

import pytest

from ticketing.settings import REPO_ROOT

CHROMIUM = Path(os.environ.get("MOSTRADOR_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
AXE_JS = REPO_ROOT / "node_modules" / "axe-core" / "axe.min.js"
DESKTOP = {"width": 1280, "height": 800}
MOBILE = {"width": 360, "height": 740}


@pytest.fixture(scope="session")
def browser():
    """One Chromium for the whole session; each test gets its own context (cookies, storage) through `page`."""
    if not CHROMIUM.exists() and not shutil.which("chromium"):
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium; CI installs it)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (make installs it)")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    """A fresh browser context (no cookies, empty storage) and a page in it, at desktop size."""
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def new_page(browser, *, mobile: bool = False, locale: str | None = None):
    """Another independent page (a second customer, a returning visitor, a phone), closed by its context."""
    context = browser.new_context(viewport=MOBILE if mobile else DESKTOP, locale=locale, is_mobile=mobile)
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def axe_violations(page, impacts: tuple[str, ...] = ("serious", "critical")) -> list[str]:
    """Run axe-core on the page as it is now; one line per violation of the given impacts (empty: clean)."""
    if not AXE_JS.exists():
        pytest.fail(f"axe-core is not installed at {AXE_JS}: run `make test` (it runs npm ci)")
    # Evaluated through the browser's debugging channel, which a page's Content-Security-Policy does not govern
    # (an injected <script> tag would be refused by a policy without 'unsafe-inline', as ours is).
    page.evaluate(AXE_JS.read_text())
    results = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:5]}"
        for v in results["violations"]
        if v.get("impact") in impacts
    ]
