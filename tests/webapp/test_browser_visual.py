"""The map, the exchange network, the dashboard and the editor's result views in a real headless
Chromium (Debian package, Playwright), with and without JavaScript, at desktop and phone width,
and checked by axe-core (axe-playwright-python): no serious or critical violation.

Runs against ``live_server`` (waitress over the demo store); skipped locally without Chromium or
Playwright, a failure in CI (see ``test_browser.py``)."""

from __future__ import annotations

import re

import pytest

from tests.webapp.test_browser import ARGS, CHROMIUM, Watched, browser  # noqa: F401 (fixture)
from tests.webapp.test_visual import NAIROBI, expected_network, located

pytestmark = pytest.mark.browser

AXE_PAGES = [
    "/map",
    "/map?kind=solution",
    "/network",
    "/explore",
    f"/id/city/{NAIROBI}",
    "/releases",
]


@pytest.fixture
def watched(browser, live_server):  # noqa: F811 (the fixture imported above)
    w = Watched(browser, live_server)
    yield w
    w.close()


def marker_total(page) -> int:
    counts = page.locator("svg#worldmap a.marker").evaluate_all(
        "els => els.map(e => +e.dataset.count)"
    )
    return sum(counts)


def test_map_shows_every_located_solution_and_facets_change_it(watched, demo_store):
    page = watched.page
    watched.goto("/map?kind=solution&lang=en")
    assert page.locator("svg#worldmap a.marker").count() >= 5
    assert marker_total(page) == len(located(demo_store, "Solution"))
    # a marker opens its card beside it, with the solution's link
    single = page.locator("svg#worldmap a.marker:not([data-zoom])").first
    single.click()
    card = page.locator(".map-popup")
    assert card.is_visible()
    link = card.locator("a[href^='/id/solution/']").first
    assert link.is_visible()
    page.keyboard.press("Escape")
    assert page.locator(".map-popup").count() == 0
    # the country facet, chosen in the form, redraws the markers
    page.locator("#map-country").select_option("de")
    page.locator("form.map-filters button[type=submit]").click()
    page.wait_for_url(re.compile(r"country=de"))
    assert marker_total(page) == len(located(demo_store, "Solution", "de"))
    assert "kind=solution" in page.url
    watched.check_clean()


def test_map_zooms_into_a_cluster(watched):
    page = watched.page
    watched.goto("/map?kind=solution")
    zooming = page.locator("svg#worldmap a.marker[data-zoom]").first
    before = marker_total(page)
    zooming.click()
    page.wait_for_url(re.compile(r"z=4"))
    assert page.locator("svg#worldmap").get_attribute("data-zoom") == "4"
    assert 0 < marker_total(page) <= before
    watched.check_clean()


def test_map_list_toggle_on_a_phone(browser, live_server):  # noqa: F811
    w = Watched(browser, live_server, 375, 740)
    try:
        page = w.page
        w.goto("/map?kind=solution")
        toggle = page.locator(".view-toggle")
        assert toggle.is_visible()
        assert (
            page.locator(".map-figure").is_visible() and not page.locator(".map-list").is_visible()
        )
        toggle.locator("button[data-show=list]").click()
        assert (
            page.locator(".map-list").is_visible() and not page.locator(".map-figure").is_visible()
        )
        assert toggle.locator("button[data-show=list]").get_attribute("aria-pressed") == "true"
        for path in ("/map", "/network", "/explore", f"/id/city/{NAIROBI}"):
            w.goto(path)
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 1, f"{path} scrolls sideways by {overflow}px"
        w.check_clean()
    finally:
        w.close()


def test_network_with_javascript(watched, demo_store):
    nodes, pairs = expected_network(demo_store)
    page = watched.page
    watched.goto("/network?lang=en")
    page.wait_for_selector("#network-interactive[data-ready=true]", timeout=15000)
    assert page.locator("#network-interactive canvas").count() >= 1
    assert page.locator("#network-svg").is_hidden()
    assert page.evaluate("window.cckgNetwork.nodes().length") == len(nodes)
    assert page.evaluate("window.cckgNetwork.edges().length") == len(pairs)
    # selecting a link shows its evidence
    page.evaluate("window.cckgNetwork.edges()[0].emit('tap')")
    evidence = page.locator("#edge-evidence")
    assert evidence.is_visible()
    assert evidence.locator("a[href^='/id/']").count() >= 1
    watched.check_clean()


def test_network_without_javascript(browser, live_server, demo_store):  # noqa: F811
    nodes, pairs = expected_network(demo_store)
    context = browser.new_context(
        java_script_enabled=False, viewport={"width": 1280, "height": 800}
    )
    try:
        page = context.new_page()
        page.goto(live_server + "/network?lang=en")
        svg = page.locator("#network-svg")
        assert svg.is_visible()
        assert svg.locator("a.edge").count() == len(pairs)
        assert svg.locator("a.node").count() == len(nodes)
        assert page.locator("#network-interactive").is_hidden()
        edge = svg.locator("a.edge").last
        target = edge.get_attribute("href")
        edge.locator("line.hit").dispatch_event("click")
        page.wait_for_url(re.compile(re.escape(target) + "$"))
        assert page.locator(f"tr{target} ul.evidence a").count() >= 1
        page.goto(live_server + f"/id/city/{NAIROBI}")
        assert page.locator("figure.city-network svg a.node").count() >= 2
    finally:
        context.close()


def test_every_chart_has_its_table(watched):
    page = watched.page
    watched.goto("/explore?lang=en")
    charts = page.locator("figure.chart")
    assert charts.count() == 7
    for i in range(charts.count()):
        chart = charts.nth(i)
        bars = chart.locator("svg.barchart g").count()
        chart.locator("details.chart-table summary").click()
        table = chart.locator("table")
        assert table.is_visible()
        assert table.locator("tbody tr").count() == bars > 0
        assert chart.locator("a[href^='/editor?query=']").count() == 1
        assert chart.locator("a[href$='.csv']").count() == 1
    watched.check_clean()


def test_editor_result_views(watched):
    page = watched.page
    watched.goto("/editor")
    page.wait_for_selector(".yasqe_queryButton")
    query = (
        "PREFIX cckg: <https://w3id.org/cckg/def/cckg#>\n"
        "PREFIX geo: <http://www.opengis.net/ont/geosparql#>\n"
        "SELECT ?city ?partner ?wkt (COUNT(?s) AS ?links) WHERE { ?s cckg:city ?city ; "
        "cckg:partnerCity ?partner . ?city geo:hasGeometry/geo:asWKT ?wkt } "
        "GROUP BY ?city ?partner ?wkt"
    )
    page.evaluate("q => window.yasgui.getTab().getYasqe().setValue(q)", query)
    page.locator(".yasqe_queryButton").click()
    views = page.locator("#result-views")
    views.wait_for(state="visible", timeout=15000)
    rows = page.locator(".yasr table.dataTable tbody tr").count()
    assert views.locator("svg.barchart rect").count() == rows > 0
    views.locator("button[data-view=map]").click()
    assert views.locator("svg.worldmap circle.result-point").count() == rows
    views.locator("button[data-view=network]").click()
    assert views.locator(".result-network canvas").count() >= 1
    watched.check_clean()


@pytest.mark.parametrize("path", AXE_PAGES)
def test_no_serious_accessibility_violations(browser, live_server, path):  # noqa: F811
    from axe_playwright_python.sync_playwright import Axe

    # axe is injected by page.evaluate; the pages' CSP (rightly) refuses it otherwise
    context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 800})
    try:
        page = context.new_page()
        page.goto(live_server + path + ("&" if "?" in path else "?") + "lang=en")
        if path.startswith("/network"):
            page.wait_for_selector("#network-interactive[data-ready=true]", timeout=15000)
        violations = Axe().run(page).response["violations"]
        bad = [
            (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
            for v in violations
            if v["impact"] in ("serious", "critical")
        ]
        assert bad == [], bad
    finally:
        context.close()
