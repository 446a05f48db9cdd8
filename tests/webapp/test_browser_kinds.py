"""One entity page of each kind (need, offer, event, institution, theme, city) in a real headless
Chromium (Debian package, Playwright) at desktop width and at 390 px: the kind's section shows,
nothing overflows sideways, the collapsed linked data opens, axe-core finds no serious or
critical violation; and the same pages without JavaScript.

Runs against ``live_server`` (waitress over the demo store); skipped locally without Chromium
or Playwright, a failure in CI (see ``test_browser.py``). Screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

import pytest

from tests.webapp.test_browser import ARTIFACTS, browser  # noqa: F401 (fixture)
from tests.webapp.test_kind_pages import KIND_PAGES

pytestmark = pytest.mark.browser

SIZES = {"desktop": (1280, 800), "phone": (390, 844)}
RUNS = [("desktop", "en"), ("phone", "en"), ("phone", "ar")]  # ar: right to left


@pytest.mark.parametrize("size,lang", RUNS)
def test_kind_pages_read_well_and_pass_axe(browser, live_server, size, lang):  # noqa: F811
    from axe_playwright_python.sync_playwright import Axe

    width, height = SIZES[size]
    # axe is injected by page.evaluate; the pages' CSP (rightly) refuses it otherwise
    context = browser.new_context(bypass_csp=True, viewport={"width": width, "height": height})
    ARTIFACTS.mkdir(exist_ok=True)
    problems = []
    try:
        page = context.new_page()
        for path in KIND_PAGES:
            response = page.goto(f"{live_server}{path}?lang={lang}")
            assert response is not None and response.status == 200, path
            assert page.locator("section.kind-section").first.is_visible(), path
            overflow = page.evaluate(
                "() => document.documentElement.scrollWidth - window.innerWidth"
            )
            assert overflow <= 1, f"{path} is {overflow}px wider than the {width}px viewport"
            details = page.locator("details.linked-data")
            assert not details.evaluate("d => d.open"), path  # collapsed below the section
            details.locator("summary").click()
            assert page.locator("#props").is_visible(), path
            kind = path.split("/")[2]
            shot = ARTIFACTS / f"kind-{kind}-{size}-{lang}.png"
            page.screenshot(path=str(shot), full_page=True)
            for v in Axe().run(page).response["violations"]:
                if v["impact"] in ("serious", "critical"):
                    problems.append((path, v["id"], [n["target"] for n in v["nodes"]][:3]))
    finally:
        context.close()
    assert problems == [], problems


def test_kind_pages_work_without_javascript(browser, live_server):  # noqa: F811
    context = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        page.goto(f"{live_server}/id/need/2020-amman-community-land-use-plan?lang=en")
        helpers = page.locator("ol.kind-results > li")
        assert helpers.count() >= 3
        link = helpers.first.locator("a.introduce")
        link.click()
        page.wait_for_url("**/introductions/new?**")
        page.goto(f"{live_server}/id/city/250441?lang=en")
        names = page.locator("details.more-names")
        names.locator("summary").click()  # native <details>: no script needed
        assert names.evaluate("d => d.open")
    finally:
        context.close()
