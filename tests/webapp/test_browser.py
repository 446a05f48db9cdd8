"""The front end in a real headless Chromium (Debian package) driven by Playwright.

Runs against ``live_server`` (waitress over the demo store). In CI (``CI=true``) a missing
Chromium or Playwright is a failure; locally the tests are skipped with the reason.
Screenshots of the main pages at desktop and phone widths go to ``test-artifacts/``.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from tests import ROOT

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = ROOT / "test-artifacts"
VIEWPORTS = {"desktop": (1280, 800), "phone": (375, 740)}


def _missing(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (required in CI: scripts/ensure-test-deps.sh installs it)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("playwright is not installed (pip install playwright; never playwright install)")
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        _missing(f"{CHROMIUM} is missing (apt-get install -y chromium)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield b
        b.close()


class Watched:
    """A page plus the console errors, page errors and off-host requests it caused."""

    def __init__(self, browser, live_server: str, width: int = 1280, height: int = 800):
        self.base = live_server
        self.context = browser.new_context(
            viewport={"width": width, "height": height}, locale="en-GB"
        )
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.external: list[str] = []
        self.page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))
        self.page.on(
            "console", lambda m: m.type == "error" and self.errors.append(f"console: {m.text}")
        )
        self.page.on("request", self._request)

    def _request(self, req) -> None:
        if not req.url.startswith((self.base, "data:", "blob:", "about:")):
            self.external.append(req.url)

    def goto(self, path: str):
        response = self.page.goto(self.base + path)
        assert response is not None and response.status == 200, path
        return response

    def check_clean(self) -> None:
        assert self.errors == [], self.errors
        assert self.external == [], self.external

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def watched(browser, live_server):
    w = Watched(browser, live_server)
    yield w
    w.close()


def test_german_search_facet_solution_city(watched):
    page = watched.page
    watched.goto("/?lang=de")
    assert page.locator("html").get_attribute("lang") == "de"
    page.get_by_label("Lösungen, Institutionen, Veranstaltungen suchen").fill("Kompostierung")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/search\?"))
    results = page.locator("main ol.results > li a.hit")
    assert results.count() >= 1
    # Filter by a facet (kind: solution); the query text is kept.
    page.locator("nav.facets [data-facet=kind] a[href*='kind=solution']").click()
    page.wait_for_url(re.compile(r"kind="))
    assert "q=Kompostierung" in page.url
    hits = page.locator("main ol.results > li a.hit")
    assert hits.count() >= 1
    # Open the composting solution (Bizerte, supported by Rostock): it has a city.
    page.locator("main ol.results a.hit[href$='/id/solution/bizerte-composting']").click()
    page.wait_for_url(re.compile(r"/id/solution/"))
    assert page.locator("h1").inner_text().strip()
    assert page.locator("a[href*='_mediatype=text/turtle'], a[type='text/turtle']").count() >= 1
    city = page.locator("section.entity a[href*='/id/city/']").first
    city.click()
    page.wait_for_url(re.compile(r"/id/city/"))
    assert page.locator("h1").inner_text().strip()
    watched.check_clean()


def test_match_form_shows_reasons(watched):
    page = watched.page
    watched.goto("/match?lang=en")
    page.locator("#text").fill("We want to compost organic waste from markets")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/match\?"))
    assert page.locator("li.result").count() >= 1
    assert page.locator("li.result ul.reasons li").count() >= 1
    watched.check_clean()


def test_editor_runs_a_named_query(watched):
    page = watched.page
    watched.goto("/editor")
    page.wait_for_selector(".yasqe_queryButton")
    assert page.locator("#plain-editor").is_hidden()
    # Pick a named example from the list, then run it.
    page.locator("a[data-example='list_solutions_by_theme']").click()
    text = page.evaluate("window.yasgui.getTab().getYasqe().getValue()")
    assert "SELECT" in text.upper()
    page.evaluate(
        "q => window.yasgui.getTab().getYasqe().setValue(q)",
        "PREFIX cckg: <https://w3id.org/cckg/def/cckg#>\n"
        "SELECT ?s WHERE { ?s a cckg:Solution } LIMIT 5",
    )
    page.locator(".yasqe_queryButton").click()
    page.wait_for_selector(".yasr table.dataTable tbody tr", timeout=15000)
    assert page.locator(".yasr table.dataTable tbody tr").count() >= 1
    watched.check_clean()


def test_explore_page_and_rtl(watched):
    page = watched.page
    watched.goto("/explore")
    assert page.locator("ul.bars li").count() >= 1
    watched.goto("/?lang=ar")
    assert page.locator("html").get_attribute("dir") == "rtl"
    watched.goto("/?lang=en")  # leave the cookie in English for the screenshots
    watched.check_clean()


def test_keyboard_skip_link(watched):
    page = watched.page
    watched.goto("/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.getAttribute('href')")
    assert focused == "#content"
    watched.check_clean()


SCREENSHOT_PAGES = {
    "home": "/",
    "search": "/search?q=waste",
    "match": "/match?text=composting+organic+waste",
    "explore": "/explore",
    "editor": "/editor",
    "queries": "/queries",
    "map": "/map",
    "network": "/network",
}


@pytest.mark.parametrize("size", sorted(VIEWPORTS))
def test_screenshots_and_no_console_errors(browser, live_server, size):
    width, height = VIEWPORTS[size]
    ARTIFACTS.mkdir(exist_ok=True)
    w = Watched(browser, live_server, width, height)
    try:
        paths = dict(SCREENSHOT_PAGES)
        w.goto("/search?kind=solution")
        paths["solution"] = w.page.locator("main ol.results > li a.hit").first.get_attribute("href")
        for name, path in paths.items():
            w.goto(path)
            if name == "editor":
                w.page.wait_for_selector(".yasqe_queryButton")
            # Readable at phone width: nothing wider than the viewport.
            overflow = w.page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 1, f"{name} scrolls sideways by {overflow}px at {width}px"
            w.page.screenshot(path=str(ARTIFACTS / f"{name}-{size}.png"), full_page=True)
        w.check_clean()
    finally:
        w.close()
