"""Two web app instances (two workers, two servers) over one real Oxigraph server.

Each keeps what it derives from the store (matcher facts, search index, named-query answers,
rendered pages, /sparql answers) per store version, so a repeated request reads nothing again;
a write through either instance changes the version (the writer's PROV rows), and the other
instance serves nothing of the old content from its next request on.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from cckg.core.store import RemoteStore
from cckg.webapp import create_app

pytestmark = pytest.mark.remote

TOKEN = "test-admin-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
BASE = "https://w3id.org/cckg/"
SOLUTION = f"{BASE}id/solution/belo-horizonte-zona-30"
NEW_LABEL = "Zyxwvut streets of Belo Horizonte"
NEW_THEME = "flood-management"  # not among the solution's themes before the write
RELABEL = f"""
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX cckg: <https://w3id.org/cckg/def/cckg#>
DELETE {{ GRAPH ?g {{ ?s rdfs:label ?old }} }}
INSERT {{ GRAPH ?g {{ ?s rdfs:label "{NEW_LABEL}"@en ; cckg:theme <{BASE}id/theme/{NEW_THEME}> }} }}
WHERE {{ VALUES ?s {{ <{SOLUTION}> }} GRAPH ?g {{ ?s rdfs:label ?old FILTER(lang(?old) = "en") }} }}
"""
# What each cache serves: a match, a search, a named query with its parameter, an aggregate,
# a rendered page and a /sparql answer.
MATCH = "/api/match?theme=road-safety-traffic-calming&kind=solution&limit=50"
SEARCH = "/api/search?q=Zyxwvut"
NAMED = "/queries/list_solutions_by_theme?theme=road-safety-traffic-calming&format=csv"
TREE = "/queries/list_themes_tree_with_counts?format=json"
PAGE = "/id/solution/belo-horizonte-zona-30"
SPARQL = f"/sparql?query=SELECT%20%3Fl%20WHERE%20%7B%20%3C{SOLUTION}%3E%20%3Chttp%3A%2F%2Fwww.w3.org%2F2000%2F01%2Frdf-schema%23label%3E%20%3Fl%20%7D"  # noqa: E501


@pytest.fixture
def two_apps(oxigraph_server, demo_store, tmp_path, monkeypatch) -> Iterator[list[Flask]]:
    req = urllib.request.Request(  # noqa: S310 (loopback test server)
        f"{oxigraph_server}/store",
        data=demo_store.export_nquads(),
        headers={"Content-Type": "application/n-quads"},
        method="POST",
    )
    urllib.request.urlopen(req, timeout=120).read()  # noqa: S310
    monkeypatch.setenv("CCKG_CACHE_DIR", str(tmp_path / "cache"))  # sentence vectors
    apps = []
    for _ in range(2):
        store = RemoteStore(f"{oxigraph_server}/query", f"{oxigraph_server}/update")
        config = {"TESTING": True, "CCKG_STORE_OBJECT": store, "CCKG_ADMIN_TOKEN": TOKEN}
        apps.append(create_app(config))
    yield apps


def _tree_count(body: bytes, theme: str) -> int:
    rows: list[dict[str, Any]] = json.loads(body)["results"]["bindings"]
    row = next(r for r in rows if r["theme"]["value"].endswith(f"/theme/{theme}"))
    return int(row["solutions"]["value"])


def _shows_write(path: str, body: bytes) -> bool:
    """The new label; for the search (whose answer repeats the words asked), the solution
    found by it."""
    return (b"belo-horizonte-zona-30" if path == SEARCH else b"Zyxwvut") in body


def _get(app: Flask, path: str) -> bytes:
    accept = "application/sparql-results+json" if path.startswith("/sparql") else "text/html"
    resp = app.test_client().get(path, headers={"Accept": accept})
    assert resp.status_code == 200, (path, resp.status_code, resp.data[:300])
    return resp.data


def test_a_write_through_one_instance_is_seen_by_the_other_at_once(two_apps):
    writer, reader = two_apps
    before = {path: _get(reader, path) for path in (MATCH, SEARCH, NAMED, TREE, PAGE, SPARQL)}
    assert not any(_shows_write(path, body) for path, body in before.items())
    matcher = reader.extensions["cckg_matcher"]
    cache = matcher._store_cache()
    assert cache.props  # what the match read is kept ...
    assert _get(reader, MATCH) == before[MATCH]
    assert matcher._store_cache() is cache  # ... and reused by the next request
    flood = _tree_count(before[TREE], NEW_THEME)

    resp = writer.test_client().post(
        "/update", data=RELABEL.encode(), headers=AUTH, content_type="application/sparql-update"
    )
    assert resp.status_code == 200, resp.data

    # The reader's very next request of each kind sees the write: no stale answer.
    after = {path: _get(reader, path) for path in before}
    for path in (MATCH, SEARCH, NAMED, PAGE, SPARQL):
        assert _shows_write(path, after[path]), path
    assert _tree_count(after[TREE], NEW_THEME) == flood + 1
    assert reader.extensions["cckg_matcher"]._store_cache() is not cache
    # The writer, which had read nothing before, agrees.
    assert _tree_count(_get(writer, TREE), NEW_THEME) == flood + 1


def test_a_request_asks_a_remote_store_for_its_version_once(two_apps, monkeypatch):
    """The version is one small query per request; what the request then reads is kept per
    version, so a repeated named query sends nothing but that query."""
    app = two_apps[0]
    store: RemoteStore = app.extensions["cckg_store"]
    sent: list[str] = []
    real = store._bindings

    def counting(query: str, fields: list[tuple[str, str]]) -> Any:
        sent.append(query)
        return real(query, fields)

    monkeypatch.setattr(store, "_bindings", counting)
    _get(app, TREE)
    sent.clear()
    _get(app, TREE)
    assert len(sent) == 1 and "contentHash" in sent[0]
