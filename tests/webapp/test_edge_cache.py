"""The edge cache (``cckg.webapp.edge_cache``) and the validators of ``/sparql`` answers: a
repeated query is answered before Flask with the same bytes and headers, a write is never
hidden by it, and shared caches get ETag / Cache-Control they can revalidate (issue 18)."""

from __future__ import annotations

import pytest

from cckg.core.store import EmbeddedStore
from cckg.webapp.edge_cache import EdgeCache

TOKEN = "edge-cache-test-token-0123456789"
G = "https://w3id.org/cckg/graph/files/edge-test"
COUNT = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{G}> {{ ?s ?p ?o }} }}"
JSON = {"Accept": "application/sparql-results+json"}
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def writable(demo_store, tmp_path):
    """An app over a private copy of the demo store, with writes on."""
    from cckg.webapp import create_app

    demo_store.backup(tmp_path / "store")
    store = EmbeddedStore(tmp_path / "store")
    app = create_app({"TESTING": True, "CCKG_STORE_OBJECT": store, "CCKG_ADMIN_TOKEN": TOKEN})
    yield app
    from cckg.webapp.pages.sparql import close_pool

    close_pool(app)
    store.close()


def _edge(app) -> EdgeCache:
    wsgi = app.wsgi_app
    while not isinstance(wsgi, EdgeCache):  # under the access log
        wsgi = wsgi.wsgi_app
    return wsgi


def _count(response) -> int:
    return int(response.get_json()["results"]["bindings"][0]["n"]["value"])


def test_a_repeated_query_is_answered_by_the_edge_cache(writable):
    client, edge = writable.test_client(), _edge(writable)
    first = client.get("/sparql", query_string={"query": COUNT}, headers=JSON)
    assert first.status_code == 200 and edge.hits == 0
    again = client.get("/sparql", query_string={"query": COUNT}, headers=JSON)
    assert again.status_code == 200 and edge.hits == 1
    assert again.data == first.data
    assert dict(again.headers) == dict(first.headers)
    # Another Accept is another answer (CSV), not the cached JSON.
    csv = client.get("/sparql", query_string={"query": COUNT}, headers={"Accept": "text/csv"})
    assert csv.status_code == 200 and csv.mimetype == "text/csv" and edge.hits == 1


def test_a_write_is_never_hidden_by_the_edge_cache(writable):
    client, edge = writable.test_client(), _edge(writable)
    assert _count(client.get("/sparql", query_string={"query": COUNT}, headers=JSON)) == 0
    assert _count(client.get("/sparql", query_string={"query": COUNT}, headers=JSON)) == 0
    hits = edge.hits
    put = client.put(
        f"/data?graph={G}",
        data=b"<https://w3id.org/cckg/id/x/1> <http://www.w3.org/2000/01/rdf-schema#label> 'x' .",
        headers={**AUTH, "Content-Type": "text/turtle"},
    )
    assert put.status_code in (200, 201, 204), put.data
    after = client.get("/sparql", query_string={"query": COUNT}, headers=JSON)
    assert edge.hits == hits  # a miss: the store version changed
    assert _count(after) > 0


def test_validators_and_revalidation(writable):
    client = writable.test_client()
    first = client.get("/sparql", query_string={"query": COUNT}, headers=JSON)
    etag = first.headers["ETag"]
    assert etag.startswith('W/"')
    assert "public" in first.headers["Cache-Control"]
    assert "max-age=30" in first.headers["Cache-Control"]
    assert "Accept" in first.headers["Vary"]
    # A shared cache revalidates: same store version, 304 without a body.
    again = client.get(
        "/sparql", query_string={"query": COUNT}, headers={**JSON, "If-None-Match": etag}
    )
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == etag
    # Another format of the same query has another ETag.
    xml = client.get(
        "/sparql",
        query_string={"query": COUNT},
        headers={"Accept": "application/sparql-results+xml"},
    )
    assert xml.headers["ETag"] != etag


def test_volatile_answers_are_never_stored(writable):
    client, edge = writable.test_client(), _edge(writable)
    query = "SELECT (RAND() AS ?r) WHERE {}"
    for _ in range(2):
        r = client.get("/sparql", query_string={"query": query}, headers=JSON)
        assert r.status_code == 200
        assert r.headers["Cache-Control"] == "no-store" and "ETag" not in r.headers
    assert edge.hits == 0 and len(edge) == 0


def test_answers_that_set_a_cookie_are_not_kept(writable):
    client, edge = writable.test_client(), _edge(writable)
    for _ in range(2):  # ?lang= sets the language cookie
        r = client.get("/sparql", query_string={"query": COUNT, "lang": "de"}, headers=JSON)
        assert r.status_code == 200
    assert edge.hits == 0


def test_the_rate_limit_holds_for_hits(writable):
    writable.config.update(CCKG_RATE_LIMIT=60, CCKG_RATE_BURST=3)
    client = writable.test_client()
    statuses = [
        client.get("/sparql", query_string={"query": COUNT}, headers=JSON).status_code
        for _ in range(5)
    ]
    assert statuses[:3] == [200, 200, 200] and statuses[3:] == [429, 429]


def test_admin_answers_are_private(writable):
    client = writable.test_client()
    r = client.get(f"/data?graph={G}", headers=AUTH)
    assert r.headers["Cache-Control"] == "private, no-store"
    r = client.get(f"/data?graph={G}")  # refused (401): not cacheable either
    assert r.status_code == 401 and r.headers["Cache-Control"] == "private, no-store"
