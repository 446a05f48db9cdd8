"""Per-version caches of rendered bodies: /id pages and /sparql results.

A repeated request is answered from the cache with the same body and headers; a write through
the store changes the version at once, so nothing stale is served; answers that change from one
run to the next (NOW, RAND, UUID) are never reused.
"""

from __future__ import annotations

import pytest
from rdflib import RDFS, Graph, Literal, URIRef

from cckg.core.settings import DEFAULT_BASE_IRI as BASE
from cckg.core.store import EmbeddedStore
from cckg.webapp import create_app
from cckg.webapp.caching import BodyCache, body_cache

GRAPH = URIRef(f"{BASE}graph/curated/one")
THING = URIRef(f"{BASE}id/city/testville")


def _graph(label: str) -> Graph:
    g = Graph()
    g.add((THING, RDFS.label, Literal(label, lang="en")))
    return g


@pytest.fixture
def small():
    store = EmbeddedStore(None)
    store.replace_graphs({GRAPH: [_graph("Testville")]})
    app = create_app({"TESTING": True, "CCKG_STORE_OBJECT": store})
    yield store, app, app.test_client()
    store.close()


def _cache_size(app, name: str) -> int:
    with app.app_context():
        return len(body_cache(name, app))


def test_id_page_is_rendered_once_and_reused(small):
    _, app, c = small
    first = c.get("/id/city/testville", headers={"Accept": "text/turtle"})
    assert first.status_code == 200 and b"Testville" in first.data
    assert _cache_size(app, "id") == 1
    again = c.get("/id/city/testville", headers={"Accept": "text/turtle"})
    assert _cache_size(app, "id") == 1
    assert again.data == first.data
    for header in ("Content-Type", "ETag", "Last-Modified", "Vary", "Link", "Content-Location"):
        assert again.headers.get(header) == first.headers.get(header), header


def test_revalidation_of_a_cached_page_is_304_with_its_headers(small):
    _, _, c = small
    accept = {"Accept": "text/turtle"}
    first = c.get("/id/city/testville", headers=accept)
    c.get("/id/city/testville", headers=accept)  # now served from the cache
    cond = c.get("/id/city/testville", headers={**accept, "If-None-Match": first.headers["ETag"]})
    assert cond.status_code == 304 and cond.data == b""
    for header in ("ETag", "Link", "Content-Location", "Cache-Control", "Last-Modified"):
        assert cond.headers.get(header) == first.headers.get(header), header
    assert "Accept" in cond.headers["Vary"]
    other = c.get("/id/city/testville", headers={**accept, "If-None-Match": 'W/"other"'})
    assert other.status_code == 200 and other.data == first.data


def test_id_cache_keys_on_representation_language_and_query(small):
    _, app, c = small
    turtle = c.get("/id/city/testville", headers={"Accept": "text/turtle"})
    ntriples = c.get("/id/city/testville", headers={"Accept": "application/n-triples"})
    html_en = c.get("/id/city/testville?lang=en")
    html_de = c.get("/id/city/testville?lang=de")
    assert turtle.content_type.startswith("text/turtle")
    assert ntriples.content_type.startswith("application/n-triples")
    assert turtle.data != ntriples.data
    assert html_en.data != html_de.data and b'lang="de"' in html_de.data
    assert _cache_size(app, "id") == 4


def test_id_page_follows_a_write_at_once(small):
    store, _, c = small
    before = c.get("/id/city/testville", headers={"Accept": "text/turtle"})
    store.replace_graphs({GRAPH: [_graph("Neustadt")]})
    after = c.get("/id/city/testville", headers={"Accept": "text/turtle"})
    assert b"Testville" in before.data
    assert b"Neustadt" in after.data and b"Testville" not in after.data
    assert after.headers["ETag"] != before.headers["ETag"]


def test_sparql_answer_is_reused_until_a_write(small):
    store, app, c = small
    q = {"query": "SELECT ?l WHERE { ?s ?p ?l }"}
    first = c.get("/sparql", query_string=q)
    assert _cache_size(app, "sparql") == 1
    again = c.get("/sparql", query_string=q)
    assert again.data == first.data and again.headers["X-CCKG-Truncated"] == "false"
    store.replace_graphs({GRAPH: [_graph("Neustadt")]})
    after = c.get("/sparql", query_string=q)
    assert [b["l"]["value"] for b in after.get_json()["results"]["bindings"]] == ["Neustadt"]


def test_sparql_formats_are_cached_apart(small):
    _, _, c = small
    q = {"query": "SELECT ?l WHERE { ?s ?p ?l }"}
    json_type = "application/sparql-results+json"
    as_json = c.get("/sparql", query_string=q, headers={"Accept": json_type})
    as_csv = c.get("/sparql", query_string=q, headers={"Accept": "text/csv"})
    assert as_json.content_type.startswith(json_type)
    assert as_csv.content_type.startswith("text/csv") and as_csv.data.startswith(b"l\r\n")


@pytest.mark.parametrize("fn", ["STRUUID()", "UUID()", "RAND()", "str(NOW())"])
def test_volatile_answers_are_not_reused(small, fn):
    _, app, c = small
    q = {"query": f"SELECT ?v WHERE {{ BIND({fn} AS ?v) }}"}
    values = {c.get("/sparql", query_string=q).get_json()["results"]["bindings"][0]["v"]["value"]
              for _ in range(3)}  # fmt: skip
    assert _cache_size(app, "sparql") == 0
    if fn != "str(NOW())":  # NOW() may repeat within the clock's resolution
        assert len(values) == 3


def test_body_cache_is_bounded_by_entries_and_bytes():
    entries = BodyCache(max_entries=2, max_bytes=1000)
    for i in range(3):
        entries.put((str(i),), b"x", "text/plain")
    assert len(entries) == 2 and entries.get(("0",)) is None and entries.get(("2",)) is not None

    sized = BodyCache(max_entries=100, max_bytes=1600)
    sized.put(("a",), b"x" * 90, "text/plain")
    sized.get(("a",))  # recently used: kept
    for key in "bcdefghijklmnopqrs":
        sized.put((key,), b"y" * 90, "text/plain")
    assert sized.get(("a",)) is None  # evicted by bytes once it was least recently used
    assert sum(len(sized.get((k,)).body) for k in "hijklmnopqrs" if sized.get((k,))) <= 1600
    sized.put(("huge",), b"z" * 200, "text/plain")  # over 1/16 of the budget: not kept
    assert sized.get(("huge",)) is None


def test_body_cache_off(small):
    store, _, _ = small
    app = create_app({"TESTING": True, "CCKG_STORE_OBJECT": store, "CCKG_BODY_CACHE": 0})
    c = app.test_client()
    c.get("/id/city/testville")
    c.get("/sparql", query_string={"query": "ASK {}"})
    assert _cache_size(app, "id") == 0 and _cache_size(app, "sparql") == 0
