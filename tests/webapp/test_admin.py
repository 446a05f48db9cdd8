"""Writes through /update and /data: auth, the SHACL gate, atomicity, cache invalidation."""

from __future__ import annotations

import pytest
from rdflib import URIRef

from cckg.core import iris
from cckg.core.store import EmbeddedStore, canonical_hash

TOKEN = "test-admin-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
G = "https://w3id.org/cckg/graph/admin-test"
CCKG = "https://w3id.org/cckg/def/cckg#"
UPDATE = "application/sparql-update"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"


@pytest.fixture
def writable(demo_store, tmp_path):
    """An app over a private copy of the demo store, with the admin token set."""
    from cckg.webapp import create_app

    demo_store.backup(tmp_path / "store")
    store = EmbeddedStore(tmp_path / "store")
    app = create_app({"TESTING": True, "CCKG_STORE_OBJECT": store, "CCKG_ADMIN_TOKEN": TOKEN})
    yield app, store
    store.close()


def test_writes_are_off_without_a_token(client):
    for method, path in [("post", "/update"), ("put", f"/data?graph={G}"), ("get", "/data")]:
        resp = getattr(client, method)(path, headers=AUTH)
        assert resp.status_code == 404
        assert b"CCKG_ADMIN_TOKEN" in resp.data


def test_auth_statuses(writable):
    app, store = writable
    c = app.test_client()
    body = {"update": f"INSERT DATA {{ GRAPH <{G}> {{ <x:a> <x:b> <x:c> }} }}"}
    resp = c.post("/update", data=body)
    assert resp.status_code == 401 and resp.headers["WWW-Authenticate"].startswith("Bearer")
    assert c.post("/update", data=body, headers={"Authorization": "Basic abc"}).status_code == 401
    assert c.post("/update", data=body, headers={"Authorization": "Bearer nope"}).status_code == 403
    assert c.post(f"/update?access_token={TOKEN}", data=body).status_code == 400
    assert c.post(f"/update?access_token={TOKEN}", data=body, headers=AUTH).status_code == 400
    assert G not in {str(g) for g in store.named_graphs()}


def test_gsp_put_get_post_delete(writable):
    app, store = writable
    c = app.test_client()
    turtle = b"<x:a> <x:b> <x:c> ."
    assert (
        c.put(f"/data?graph={G}", data=turtle, headers=AUTH, content_type="text/turtle").status_code
        == 201
    )
    resp = c.get(f"/data?graph={G}", headers=AUTH)
    assert resp.status_code == 200 and b"<x:a> <x:b> <x:c>" in resp.data
    assert (
        c.post(
            f"/data?graph={G}",
            data=b'<x:a> <x:b> "d" .',
            headers=AUTH,
            content_type="application/n-triples",
        ).status_code
        == 204
    )
    resp = c.get(f"/data?graph={G}", headers=AUTH)
    assert b"<x:c>" in resp.data and b'"d"' in resp.data
    assert (
        c.put(
            f"/data?graph={G}", data=b"not turtle {", headers=AUTH, content_type="text/turtle"
        ).status_code
        == 400
    )
    assert (
        c.put(f"/data?graph={G}", data=turtle, headers=AUTH, content_type="text/html").status_code
        == 415
    )
    assert (
        c.put("/data?default", data=turtle, headers=AUTH, content_type="text/turtle").status_code
        == 400
    )
    assert c.delete(f"/data?graph={G}", headers=AUTH).status_code == 204
    assert c.get(f"/data?graph={G}", headers=AUTH).status_code == 404


@pytest.mark.slow
def test_non_conforming_writes_are_refused_and_write_nothing(writable):
    app, store = writable
    c = app.test_client()
    before = canonical_hash(store.export_nquads())
    bad = f"<https://w3id.org/cckg/id/solution/broken> a <{CCKG}Solution> ."
    resp = c.put(f"/data?graph={G}", data=bad.encode(), headers=AUTH, content_type="text/turtle")
    assert resp.status_code == 422, resp.data
    assert resp.json["violations"]
    resp = c.post(
        "/update",
        data=f"INSERT DATA {{ GRAPH <{G}> {{ {bad} }} }}".encode(),
        headers=AUTH,
        content_type=UPDATE,
    )
    assert resp.status_code == 422
    assert any(v["focus"].endswith("/solution/broken") for v in resp.json["violations"])
    assert canonical_hash(store.export_nquads()) == before


@pytest.mark.slow
def test_update_applies_and_refuses_private_and_default(writable):
    app, store = writable
    c = app.test_client()
    ok = f"INSERT DATA {{ GRAPH <{G}> {{ <x:a> <x:b> 'one' }} }}"
    resp = c.post("/update", data=ok.encode(), headers=AUTH, content_type=UPDATE)
    assert resp.status_code == 200 and resp.json["changed"] == [G]
    assert store.ask(f"ASK {{ GRAPH <{G}> {{ <x:a> <x:b> 'one' }} }}")
    private = iris.private_graph()
    for text, status in [
        (f"INSERT DATA {{ GRAPH <{private}> {{ <x:a> <x:b> <x:c> }} }}", 403),
        (f"DROP GRAPH <{private}>", 403),
        ("INSERT DATA { <x:a> <x:b> <x:c> }", 400),
        ("LOAD <http://127.0.0.1:1/x>", 400),
        ("INSERT DATA { GRAPH <x:g> { <x:a> <x:b> ", 400),
    ]:
        resp = c.post("/update", data=text.encode(), headers=AUTH, content_type=UPDATE)
        assert resp.status_code == status, (text, resp.data)
    assert private in store.named_graphs()
    resp = c.post("/update", data={"update": f"DROP GRAPH <{G}>"}, headers=AUTH)
    assert resp.status_code == 200
    assert G not in {str(g) for g in store.named_graphs()}


def test_private_graph_writable_only_through_data(writable):
    app, store = writable
    c = app.test_client()
    private = iris.private_graph()
    resp = c.get(f"/data?graph={private}", headers=AUTH)
    assert resp.status_code == 200 and b"@example.org" in resp.data
    assert c.get(f"/data?graph={private}").status_code == 401


def test_write_invalidates_caches(writable):
    from cckg.webapp import caching

    app, store = writable
    c = app.test_client()
    with app.app_context():
        before = caching.store_version(app).tag
    app.extensions["cckg_search"] = object()
    resp = c.put(
        f"/data?graph={G}", data=b"<x:a> <x:b> <x:c> .", headers=AUTH, content_type="text/turtle"
    )
    assert resp.status_code == 201
    assert "cckg_search" not in app.extensions
    with app.app_context():
        assert caching.store_version(app).tag != before


def test_writes_record_the_same_prov_as_cckg_load(writable):
    """/data and /update write through the loaders' writer: the graph's PROV names the route
    (no file, so no checksum), and a POST merge or an update keeps one PROV, not two."""
    app, store = writable
    c = app.test_client()
    prov = "http://www.w3.org/ns/prov#"

    def metadata() -> dict[str, set[str]]:
        rows = store.select(
            "SELECT ?p ?o WHERE { GRAPH ?g { ?g ?p ?o } }", {"g": URIRef(G)}, dataset="all"
        )
        out: dict[str, set[str]] = {}
        for r in rows:
            out.setdefault(str(r["p"]), set()).add(str(r["o"]))
        return out

    turtle = b"<x:a> <x:b> <x:c> ."
    assert (
        c.put(f"/data?graph={G}", data=turtle, headers=AUTH, content_type="text/turtle").status_code
        == 201
    )
    meta = metadata()
    assert meta[f"{RDF}type"] == {f"{prov}Entity"}
    assert meta[f"{prov}wasDerivedFrom"] == {"PUT /data"}
    assert meta["http://purl.org/dc/terms/identifier"] == {"admin-test"}
    assert meta[f"{CCKG}loaderVersion"] and len(meta[f"{prov}generatedAtTime"]) == 1
    assert len(meta[f"{CCKG}contentHash"]) == 1 and f"{CCKG}checksum" not in meta
    body = b'<x:a> <x:b> "d" .'
    resp = c.post(f"/data?graph={G}", data=body, headers=AUTH, content_type="text/turtle")
    assert resp.status_code == 204
    meta = metadata()
    assert meta[f"{prov}wasDerivedFrom"] == {"POST /data"}
    assert len(meta[f"{CCKG}contentHash"]) == 1 and len(meta[f"{prov}generatedAtTime"]) == 1
    update = f"INSERT DATA {{ GRAPH <{G}> {{ <x:a> <x:b> 'e' }} }}"
    resp = c.post("/update", data=update.encode(), headers=AUTH, content_type=UPDATE)
    assert resp.status_code == 200
    meta = metadata()
    assert meta[f"{prov}wasDerivedFrom"] == {"POST /update"}
    assert len(meta[f"{CCKG}contentHash"]) == 1 and len(meta[f"{prov}generatedAtTime"]) == 1
