"""The store's content version (``Store.version``), version scopes and the named-query answers
kept per version, on the embedded store and a real Oxigraph server.

Across two web app instances over one server: tests/webapp/test_shared_store.py.
"""

from __future__ import annotations

import urllib.request
from typing import Any

import pytest
from rdflib import RDF, RDFS, Graph, Literal, URIRef

from cckg.core import queries as nq
from cckg.core.settings import DEFAULT_BASE_IRI as BASE
from cckg.core.store import EmbeddedStore, RemoteStore, Store, version_scope
from cckg.core.writer import GraphWrite, Origin, write_graphs

GRAPH = URIRef(f"{BASE}graph/curated/version-test")
CITY = URIRef(f"{BASE}def/cckg#City")


def _graph(*names: str) -> Graph:
    g = Graph()
    for name in names:
        thing = URIRef(f"{BASE}id/city/{name.lower()}")
        g.add((thing, RDF.type, CITY))
        g.add((thing, RDFS.label, Literal("Testville", lang="en")))
    return g


def _write(store: Store, *names: str) -> None:
    """Through the writer (without its gate): the data and its PROV rows."""
    origin = Origin("version-test", "test")
    write_graphs(store, [GraphWrite(GRAPH, _graph(*names), origin)], skip_unchanged=False)


def test_the_version_follows_writes_and_leaves_out_private_data():
    store = EmbeddedStore(None)
    _write(store, "a")
    first = store.version()
    assert store.version() is first and len(first.rows) == 1
    _write(store, "a", "b")
    second = store.version()
    assert second.token != first.token and second.digest != first.digest
    # The private graph's contact data changes no public content.
    private = URIRef(f"{BASE}graph/private")
    g = Graph()
    g.add((URIRef(f"{BASE}id/city/a"), URIRef("https://schema.org/email"), Literal("x@y.z")))
    store.replace_graphs({private: [g]})
    assert store.version().digest == second.digest
    store.close()


def test_named_query_answers_are_kept_per_version(monkeypatch):
    store = EmbeddedStore(None)
    _write(store, "a")
    query = nq.named_queries()["find_things_by_label"]
    raw = {"label": "Testville@en"}
    sent: list[str] = []
    real = store.select

    def counting(*args: Any, **kwargs: Any) -> Any:
        sent.append(args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(store, "select", counting)
    assert len(nq.run_page(store, query, raw).rows) == 1
    assert len(nq.run_page(store, query, raw).rows) == 1
    assert len(sent) == 1  # the second run was answered from what the first read
    _write(store, "a", "b")
    assert len(nq.run_page(store, query, raw).rows) == 2  # never the answer of before
    assert len(sent) == 2
    store.close()


@pytest.mark.remote
def test_a_remote_store_is_asked_once_per_scope_and_sees_other_writers(oxigraph_server):
    one = RemoteStore(f"{oxigraph_server}/query", f"{oxigraph_server}/update")
    other = RemoteStore(f"{oxigraph_server}/query", f"{oxigraph_server}/update")
    _write(other, "a")
    asked: list[str] = []
    real = one._bindings

    def counting(query: str, fields: list[tuple[str, str]]) -> Any:
        asked.append(query)
        return real(query, fields)

    one._bindings = counting  # type: ignore[method-assign]
    with version_scope():
        first = one.version()
        assert one.version() is first and one.public_graphs() == [GRAPH]
        versions = [q for q in asked if "contentHash" in q]
        assert len(versions) == 1
        _write(other, "a", "b")  # another process: seen from the next scope on
        assert one.version() is first
    second = one.version()
    assert second.digest != first.digest
    assert second.digest == other.version().digest  # the same in every process
    # A write through the object itself is seen at once, inside a scope too.
    with version_scope():
        before = one.version()
        _write(one, "c")
        assert one.version().token != before.token


@pytest.mark.remote
def test_the_version_is_the_same_on_the_embedded_store_and_a_server(oxigraph_server):
    embedded = EmbeddedStore(None)
    _write(embedded, "a")
    remote = RemoteStore(f"{oxigraph_server}/query", f"{oxigraph_server}/update")
    req = urllib.request.Request(  # noqa: S310 (loopback test server)
        f"{oxigraph_server}/store",
        data=embedded.export_nquads(),
        headers={"Content-Type": "application/n-quads"},
        method="POST",
    )
    urllib.request.urlopen(req, timeout=60).read()  # noqa: S310
    assert remote.version().digest == embedded.version().digest
    embedded.close()
