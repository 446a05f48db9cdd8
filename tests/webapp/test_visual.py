"""The map, the exchange network, the dashboard and citations, through the test client: what
is drawn matches the data (counted independently with SPARQL), the exports load, bad input is a
clear 4xx, and the markup keeps the Content-Security-Policy (no inline styles, no external
requests)."""

from __future__ import annotations

import csv
import io
import json
import re
from urllib.parse import parse_qs, urlparse

import networkx as nx
import pytest

from cckg.core.release import make_release
from cckg.webapp import versions as app_versions

PREFIXES = """PREFIX cckg: <https://w3id.org/cckg/def/cckg#>
PREFIX geo: <http://www.opengis.net/ont/geosparql#>
"""
LOCATED = (
    PREFIXES
    + """SELECT DISTINCT ?thing WHERE {
  ?thing a ?class ; cckg:city ?city . ?city geo:hasGeometry/geo:asWKT ?wkt }"""
)
LINKS = (
    PREFIXES
    + """SELECT DISTINCT ?a ?b WHERE {
  { ?x a cckg:Solution ; cckg:city ?a ; cckg:partnerCity ?b }
  UNION { ?x a cckg:ProjectIdea ; cckg:city ?a ; cckg:partnerCity ?b }
  UNION { ?x a cckg:Event ; cckg:city ?a ; cckg:participatingCity ?b }
  UNION { ?x a cckg:Event ; cckg:participatingCity ?a ; cckg:participatingCity ?b }
  FILTER(?a != ?b) }"""
)
NAIROBI = "184745"


def located(demo_store, cls: str, country: str | None = None) -> set[str]:
    """Things of a class whose city has a point (independently of the app's code)."""
    text = LOCATED.replace("?class", f"cckg:{cls}")
    if country:
        text = text.replace(
            "cckg:city ?city .",
            f"cckg:city ?city ; cckg:country <{demo_store.base_iri}id/country/{country}> .",
        )
    return {str(r["thing"]) for r in demo_store.select(text)}


def markers(html: str) -> list[tuple[int, list[str]]]:
    found = re.findall(r'class="marker f-[a-z-]+" data-count="(\d+)" data-members="([^"]*)"', html)
    return [(int(n), members.split()) for n, members in found]


def test_map_has_a_marker_for_every_located_solution(client, demo_store):
    html = client.get("/map?kind=solution&lang=en").get_data(as_text=True)
    drawn = markers(html)
    members = [m for _, ms in drawn for m in ms]
    expected = located(demo_store, "Solution")
    assert expected and sorted(members) == sorted(expected)
    assert sum(n for n, _ in drawn) == len(expected)
    assert len(drawn) < len(expected)  # clustered
    assert '<image href="/map/world.svg"' in html and "Natural Earth" in html
    for iri in expected:  # and each in the list, with its link
        assert f'data-iri="{iri}"' in html


def test_map_filters_like_search(client, demo_store):
    german = located(demo_store, "Solution", "de")
    html = client.get("/map?kind=solution&country=DE").get_data(as_text=True)
    members = sorted(m for _, ms in markers(html) for m in ms)
    assert members == sorted(german) and 0 < len(german) < len(located(demo_store, "Solution"))
    assert 'value="de" selected' in html
    events = client.get("/map?kind=event").get_data(as_text=True)
    assert sum(n for n, _ in markers(events)) == len(located(demo_store, "Event"))


def test_map_zoom_splits_clusters_and_keeps_filters(client):
    html = client.get("/map?kind=solution").get_data(as_text=True)
    zoom = re.search(r'<a href="(/map\?[^"]*z=4[^"]*)" class="marker', html)
    assert zoom, "a cluster over several places links to the map zoomed in on it"
    url = zoom.group(1).replace("&amp;", "&")
    assert "kind=solution" in url
    zoomed = client.get(url)
    assert zoomed.status_code == 200
    assert 'data-zoom="4"' in zoomed.get_data(as_text=True)


def test_map_list_is_capped_and_the_markers_still_count_everything(client, demo_store, monkeypatch):
    from cckg.webapp.pages import geo

    expected = located(demo_store, "Solution")
    monkeypatch.setattr(geo, "MAX_LISTED", 5)
    html = client.get("/map?kind=solution&lang=en&_cap=5").get_data(as_text=True)
    listed = re.findall(r'class="map-card" data-iri="([^"]+)"', html)
    assert len(listed) == 5 < len(expected) and set(listed) <= expected
    assert 'id="map-list-more"' in html and f"5 of {len(expected)} things" in html
    drawn = markers(html)
    assert sum(n for n, _ in drawn) == len(expected)  # every solution still has its marker
    assert sorted(m for _, ms in drawn for m in ms) == sorted(listed)  # cards only for listed
    # a marker at one place that the list does not hold links to the place's page instead
    anchors = set(re.findall(r'<li id="(p-[^"]+)"', html))
    for href in re.findall(r'<a href="([^"]+)" class="marker', html):
        assert not href.startswith("#") or href[1:] in anchors, href
    assert any(h.startswith("/id/") for h in re.findall(r'<a href="([^"]+)" class="marker', html))
    uncapped = client.get("/map?kind=solution&lang=en").get_data(as_text=True)
    assert 'id="map-list-more"' not in uncapped


@pytest.mark.parametrize(
    "url",
    ["/map?z=0", "/map?z=x", "/map?z=99", "/map?z=2&at=nowhere", "/map?z=2&at=200,0",
     "/map?q=" + "x" * 600, "/api/search?format=geojson&page=2",
     "/api/search?format=geojson&sort=x"],
)  # fmt: skip
def test_map_and_geojson_refuse_bad_input(client, url):
    r = client.get(url)
    assert r.status_code == 400, url
    assert len(r.data) < 500 and b"Traceback" not in r.data


def test_world_outline_is_cacheable_svg(client):
    r = client.get("/map/world.svg")
    assert r.status_code == 200 and r.mimetype == "image/svg+xml"
    assert r.data.count(b"<path") > 150 and b"style=" not in r.data
    assert (
        client.get("/map/world.svg", headers={"If-None-Match": r.headers["ETag"]}).status_code
        == 304
    )


def validate_feature_collection(doc: dict) -> None:
    assert doc["type"] == "FeatureCollection" and isinstance(doc["features"], list)
    ids = set()
    for f in doc["features"]:
        assert f["type"] == "Feature" and f["geometry"]["type"] == "Point"
        lon, lat = f["geometry"]["coordinates"]
        assert isinstance(lon, float | int) and isinstance(lat, float | int)
        assert -180 <= lon <= 180 and -90 <= lat <= 90
        props = f["properties"]
        assert {"iri", "kind", "label", "url"} <= set(props) and props["label"]
        assert f["id"] == props["iri"] and props["iri"] not in ids
        ids.add(props["iri"])


def test_geojson_export_of_a_search(client, demo_store):
    r = client.get("/api/search?kind=solution&format=geojson")
    assert r.status_code == 200 and r.mimetype == "application/geo+json"
    doc = r.get_json()
    validate_feature_collection(doc)
    expected = located(demo_store, "Solution")
    assert {f["properties"]["iri"] for f in doc["features"]} == expected
    assert doc["total"] == doc["withoutCoordinates"] + len(expected)
    assert doc["total"] == client.get("/api/search?kind=solution").get_json()["total"]
    assert all(f["properties"]["kind"] == "solution" for f in doc["features"])
    everything = client.get("/api/search?format=geojson").get_json()
    validate_feature_collection(everything)
    assert len(everything["features"]) > len(expected)  # not paged: more than 100 matches
    assert len(everything["features"]) > 100
    composting = client.get("/api/search?q=composting&format=geojson").get_json()
    validate_feature_collection(composting)
    assert 0 < len(composting["features"]) < len(everything["features"])


def expected_network(demo_store) -> tuple[set[str], set[frozenset[str]]]:
    pairs = {frozenset((str(r["a"]), str(r["b"]))) for r in demo_store.select(LINKS)}
    return {c for p in pairs for c in p}, pairs


def test_graphml_loads_in_networkx_with_the_expected_counts(client, demo_store):
    nodes, pairs = expected_network(demo_store)
    r = client.get("/network.graphml")
    assert r.status_code == 200 and "graphml" in r.mimetype
    g = nx.read_graphml(io.BytesIO(r.data))
    assert set(g.nodes) == nodes
    assert {frozenset(e) for e in g.edges} == pairs
    assert all(g.nodes[n]["label"] for n in g.nodes)
    assert all(
        d["evidence"].startswith("https://") and d["weight"] >= 1 for *_, d in g.edges(data=True)
    )


def test_network_page_draws_every_link_without_javascript(client, demo_store):
    nodes, pairs = expected_network(demo_store)
    html = client.get("/network?lang=en").get_data(as_text=True)
    assert html.count('class="edge ') == len(pairs)
    assert html.count('class="node ') == len(nodes)
    assert f'data-nodes="{len(nodes)}" data-edges="{len(pairs)}"' in html
    # every edge links to its evidence row, which names what the cities shared
    for anchor in re.findall(r'<a href="#(e-[^"]+)" class="edge', html):
        assert f'<tr id="{anchor}">' in html
    assert 'src="/static/vendor/cytoscape/cytoscape.min.js"' in html
    cy = client.get("/network.json").get_json()["elements"]
    assert len(cy["nodes"]) == len(nodes) and len(cy["edges"]) == len(pairs)
    assert all("x" in n["position"] for n in cy["nodes"])


def test_network_filters(client):
    every = client.get("/network").get_data(as_text=True).count('class="edge ')
    in_2017 = client.get("/network?year=2017").get_data(as_text=True)
    assert 0 < in_2017.count('class="edge ') < every
    events = client.get("/network?relation=event").get_data(as_text=True)
    assert 'rel-solution" data-edge' not in events and 0 < events.count('class="edge ') < every
    nairobi = client.get(f"/network?city={NAIROBI}").get_data(as_text=True)
    assert 0 < nairobi.count('class="edge ') < every
    edges = list(
        csv.DictReader(io.StringIO(client.get("/network.csv?year=2017").get_data(as_text=True)))
    )
    assert len(edges) == in_2017.count('class="edge ')
    assert all("2017" in row["years"].split() for row in edges)
    nodes = client.get("/network.csv?table=nodes").get_data(as_text=True).splitlines()
    assert nodes[0] == "id,label,activity,degree,focus"


def test_network_draws_the_strongest_links_when_there_are_too_many(client, demo_store, monkeypatch):
    from cckg.webapp.pages import network

    _, pairs = expected_network(demo_store)
    every = nx.read_graphml(io.BytesIO(client.get("/network.graphml").data))
    weights = sorted((d["weight"] for *_, d in every.edges(data=True)), reverse=True)
    monkeypatch.setattr(network, "MAX_LINKS", 10)
    html = client.get("/network?lang=en&_cap=10").get_data(as_text=True)
    drawn = re.findall(r'<a href="#(e-[^"]+)" class="edge', html)
    assert len(drawn) == 10 < len(pairs)
    assert all(f'<tr id="{anchor}">' in html for anchor in drawn)
    assert html.count("<tr id=") == 10
    assert f"10 strongest of {len(pairs)} links" in html
    shown = [int(w) for w in re.findall(r'<tr id="e-[^"]+"><td>.*?</td><td>(\d+)</td>', html)]
    assert sorted(shown, reverse=True) == weights[:10]
    cy = client.get("/network.json?_cap=10").get_json()["elements"]
    assert len(cy["edges"]) == 10
    ends = {e["data"][k] for e in cy["edges"] for k in ("source", "target")}
    assert {n["data"]["id"] for n in cy["nodes"]} == ends
    # the exports keep every link
    assert nx.read_graphml(
        io.BytesIO(client.get("/network.graphml?_cap=10").data)
    ).number_of_edges() == len(pairs)


@pytest.mark.parametrize(
    "url",
    ["/network?year=17", "/network?year=2019-2015", "/network?relation=friends",
     "/network?city=Not%20A%20Slug", "/network.csv?table=people", "/network.graphml?year=x"],
)  # fmt: skip
def test_network_refuses_bad_input(client, url):
    r = client.get(url)
    assert r.status_code == 400, url
    assert len(r.data) < 500


def test_city_page_shows_whom_it_exchanged_with(client):
    html = client.get(f"/id/city/{NAIROBI}?lang=en").get_data(as_text=True)
    assert "Exchanged with" in html and 'class="city-network"' in html
    assert html.count('class="edge ') >= 1
    assert f"/network?city={NAIROBI}" in html
    assert 'class="land-this"' in html  # the locator draws Kenya


def test_dashboard_charts_each_have_a_table_csv_and_query(client, demo_store):
    html = client.get("/explore?lang=en").get_data(as_text=True)
    figures = re.findall(r'<figure class="chart" id="chart-([a-z-]+)".*?</figure>', html, re.S)
    assert len(figures) == 7
    for name in figures:
        block = html[html.index(f'id="chart-{name}"') :]
        block = block[: block.index("</figure>")]
        assert "<svg" in block and "<table>" in block, name
        rows = block.count('<th scope="row">')
        assert rows == block.count('<g transform="translate('), name
        r = client.get(f"/explore/{name}.csv")
        assert r.status_code == 200 and r.mimetype == "text/csv"
        assert len(r.get_data(as_text=True).strip().splitlines()) == rows + 1, name
        editor = re.search(r'href="(/editor\?query=[^"]+)"', block)
        assert editor, name
        query = parse_qs(urlparse(editor.group(1).replace("&amp;", "&")).query)["query"][0]
        assert demo_store.select(query) is not None  # the query behind the chart runs
    sections = ("Events per year by format", "SDG coverage", "Needs without offers, by region",
                "Themes with the fewest good practices",
                "Solutions by status and period")  # fmt: skip
    for section in sections:
        assert section in html
    assert client.get("/explore/nothing.csv").status_code == 404


@pytest.mark.parametrize(
    "path", ["/map", "/network", "/explore", f"/id/city/{NAIROBI}", "/releases", "/dataset"]
)
def test_pages_keep_the_content_security_policy(client, path):
    r = client.get(path)
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    nonce = re.search(r"'nonce-([^']+)'", r.headers["Content-Security-Policy"]).group(1)
    assert " style=" not in html, path
    for tag in re.findall(r"<(?:script|style)\b[^>]*>", html):
        assert "src=" in tag or f'nonce="{nonce}"' in tag or 'type="application/json"' in tag, tag
    for url in re.findall(r'(?:src|href)="(https?:[^"]+)"', html):
        assert not re.search(r"<(?:script|img|image|link)[^>]*" + re.escape(url), html), url


@pytest.fixture
def released(app, demo_store, tmp_path):
    app.config["CCKG_RELEASES"] = str(tmp_path)
    made = make_release(demo_store, tmp_path, "2026-12-01")
    yield made
    app.config.pop("CCKG_RELEASES")
    for store in app.extensions.pop(app_versions.STORES, {}).values():
        store.close()


def test_citations_name_the_live_dataset_without_a_release(app, client, tmp_path):
    app.config["CCKG_RELEASES"] = str(tmp_path / "none")
    try:
        bib = client.get("/cite.bib").get_data(as_text=True)
        assert "accessed" in bib and "/dataset}" in bib
        assert "No release yet" in client.get("/map").get_data(as_text=True)
    finally:
        app.config.pop("CCKG_RELEASES")


def test_citations_and_release_pages(client, released):
    home = client.get("/?lang=en").get_data(as_text=True)
    assert "Cite this" in home and "release 2026-12-01" in home
    assert "@misc{cckg_2026_12_01" in client.get("/dataset").get_data(as_text=True)
    bib = client.get("/cite.bib")
    assert bib.mimetype == "application/x-bibtex" and "version = {2026-12-01}" in bib.get_data(
        as_text=True
    )
    assert client.get("/cite.ris").get_data(as_text=True).startswith("TY  - DATA")
    assert json.loads(client.get("/cite.json").data)[0]["version"] == "2026-12-01"
    page = client.get("/release/2026-12-01").get_data(as_text=True)
    assert released.files[0].sha256 in page
    f = client.get(f"/release/2026-12-01/{released.files[0].name}")
    assert f.status_code == 200 and f.mimetype == "application/gzip"
    assert client.get("/release/2026-12-01/SHA256SUMS").status_code == 200
    assert client.get("/release/2026-12-01/../../etc/passwd").status_code == 404
    assert client.get("/release/2026-12-01/other.txt").status_code == 404
    assert client.get("/release/2099-01-01").status_code == 404
    assert client.get("/release/not-a-version").status_code == 400
    assert client.get("/cite.bib?release=2099-01-01").status_code == 404
    assert "2026-12-01" in client.get("/releases").get_data(as_text=True)


def test_named_query_pinned_to_a_release(client, released):
    live = client.get("/queries/count_sdg_coverage?format=json").get_json()
    pinned = client.get("/queries/count_sdg_coverage?format=json&release=2026-12-01")
    assert pinned.status_code == 200 and pinned.headers["X-CCKG-Release"] == "2026-12-01"
    assert pinned.get_json()["results"] == live["results"]
    html = client.get("/queries/list_solutions_by_status?release=2026-12-01").get_data(as_text=True)
    assert "Pinned to release 2026-12-01" in html
    assert client.get("/queries/count_sdg_coverage?release=2099-01-01").status_code == 404
    assert client.get("/queries/count_sdg_coverage?release=soon").status_code == 400
