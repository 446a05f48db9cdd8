"""Red-team cases (issue 13): each failure an adversarial review found on the write paths, the
parsers, the limits and the pages, as a test of our own. ``make redteam`` runs this file.

F1-F8: writes that leaked contact data, lost acknowledged writes or bypassed the gate; parser
inputs that crashed or reached the network; D1-D6: unbounded work; C1: a half-finished write
seen by read-only openers; pages without security headers, ETags moved by private writes.
"""

from __future__ import annotations

import gzip
import http.server
import json
import threading
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import URIRef

from cckg.cli import main
from cckg.core import iris
from cckg.core.query_jobs import neutralise_formula
from cckg.core.store import PENDING, EmbeddedStore, bulk_replace, canonical_hash
from cckg.webapp.caching import BodyCache

pytestmark = pytest.mark.redteam

TOKEN = "redteam-admin-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
BASE = "https://w3id.org/cckg/"
G = f"{BASE}graph/files/redteam"
CCKG = f"{BASE}def/cckg#"
UPDATE = "application/sparql-update"
PRIVATE = str(iris.private_graph())
INSTITUTIONS = f"{BASE}graph/curated/institutions"
SOME_INSTITUTION = f"{BASE}id/institution/city-of-bonn"


@pytest.fixture
def writable(demo_store, tmp_path):
    """An app over a private copy of the demo store, with the admin token set."""
    from cckg.webapp import create_app

    demo_store.backup(tmp_path / "store")
    store = EmbeddedStore(tmp_path / "store")
    app = create_app({"TESTING": True, "CCKG_STORE_OBJECT": store, "CCKG_ADMIN_TOKEN": TOKEN})
    yield app, store
    store.close()


def _emails(store: EmbeddedStore) -> list[str]:
    rows = store.select(f"SELECT ?e WHERE {{ GRAPH ?g {{ ?s <{CCKG}email> ?e }} }}", dataset="all")
    return [str(r["e"]) for r in rows]


def _public_text(store: EmbeddedStore) -> bytes:
    return store.export_nquads(store.public_graphs())


def _put(client, graph: str, turtle: str, ctype: str = "text/turtle"):
    return client.put(
        f"/data?graph={graph}", data=turtle.encode(), headers=AUTH, content_type=ctype
    )


def _update(client, text: str):
    return client.post("/update", data=text.encode(), headers=AUTH, content_type=UPDATE)


def _an_institution(store: EmbeddedStore) -> str:
    rows = store.select(
        f"SELECT ?i WHERE {{ GRAPH <{INSTITUTIONS}> {{ ?i a <{CCKG}Institution> }} }} LIMIT 1"
    )
    return str(rows[0]["i"])


# ---------------------------------------------------------------- F1-F3: contact data


def test_f1_update_cannot_read_the_private_graph(writable):
    app, store = writable
    c = app.test_client()
    emails = _emails(store)
    assert emails  # the demo store has contact data to steal
    copy = f"INSERT {{ GRAPH <{G}> {{ ?s ?p ?o }} }} WHERE {{ GRAPH <{PRIVATE}> {{ ?s ?p ?o }} }}"
    assert _update(c, copy).status_code == 403
    prefixed = (
        f"PREFIX g: <{BASE}graph/> "
        f"INSERT {{ GRAPH <{G}> {{ ?s ?p ?o }} }} WHERE {{ GRAPH g:private {{ ?s ?p ?o }} }}"
    )
    resp = _update(c, prefixed)
    assert resp.status_code == 200 and resp.json["changed"] == []  # nothing to copy from
    public = _public_text(store)
    assert not any(e.encode() in public for e in emails)


@pytest.mark.parametrize(
    "triples",
    [
        f'<{BASE}id/practitioner/someone> <{CCKG}email> "someone@example.org" .',
        f'<{BASE}id/practitioner/someone> <{CCKG}phone> "+49 228 1234567" .',
        f'<{BASE}id/practitioner/x> <https://schema.org/email> "someone@example.org" .',
        f"<{BASE}id/practitioner/y> <http://xmlns.com/foaf/0.1/mbox> <mailto:a@example.org> .",
        f'<{BASE}id/practitioner/someone> <{CCKG}note> "write to someone@example.org" .',
    ],
    ids=["cckg-email", "cckg-phone", "schema-email", "foaf-mbox", "email-in-a-note"],
)
def test_f2_contact_data_is_refused_whatever_the_type(writable, triples):
    app, store = writable
    before = canonical_hash(store.export_nquads())
    resp = _put(app.test_client(), G, triples)
    assert resp.status_code == 422, resp.data
    assert canonical_hash(store.export_nquads()) == before


def test_f2_a_turtle_file_with_an_untyped_practitioners_email_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("CCKG_STORE", str(tmp_path / "store"))
    f = tmp_path / "people.ttl"
    f.write_text(f'<{BASE}id/practitioner/x> <{CCKG}email> "x@example.org" .\n')
    result = CliRunner().invoke(main, ["load", str(f)])
    assert result.exit_code == 1, result.output
    assert "personal data" in result.output


def test_f3_a_backup_naming_the_private_graph_goes_to_the_private_graph(tmp_path, monkeypatch):
    monkeypatch.setenv("CCKG_STORE", str(tmp_path / "store"))
    practitioner = f"{BASE}id/practitioner/erika-example"
    f = tmp_path / "backup.nq"
    f.write_text(f'<{practitioner}> <{CCKG}email> "erika@example.org" <{PRIVATE}> .\n')
    result = CliRunner().invoke(main, ["load", str(f)])
    assert result.exit_code == 0, result.output
    store = EmbeddedStore(tmp_path / "store")
    try:
        assert b"erika@example.org" not in _public_text(store)
        assert "erika@example.org" in _emails(store)  # kept, where it belongs
    finally:
        store.close()
    staging = tmp_path / "staging.nq"
    staging.write_text(f"<x:a> <x:b> <x:c> <{BASE}graph/staging/abc> .\n")
    result = CliRunner().invoke(main, ["load", str(staging)])
    assert result.exit_code == 2 and "staging" in result.output


# ---------------------------------------------------------------- F4: lost writes


def _live(app):
    from waitress.server import create_server

    server = create_server(app, host="127.0.0.1", port=0, threads=12, ident="redteam")
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    return server, f"http://127.0.0.1:{server.effective_port}"


def _call(url: str, data: bytes, ctype: str, method: str = "POST") -> int:
    req = urllib.request.Request(
        url, data=data, method=method, headers={**AUTH, "Content-Type": ctype}
    )
    try:
        with urllib.request.urlopen(req, timeout=120) as r:  # noqa: S310 (loopback)
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def test_f4_concurrent_writes_are_never_lost(writable):
    app, store = writable
    server, base = _live(app)
    try:
        assert _call(f"{base}/data?graph={G}", b"<x:s> <x:p> 0 .", "text/turtle", "PUT") == 201

        def post(i: int) -> int:
            return _call(f"{base}/data?graph={G}", f"<x:s> <x:p> {i} .".encode(), "text/turtle")

        with ThreadPoolExecutor(12) as pool:
            statuses = list(pool.map(post, range(1, 13)))
        # 409: based on a version that changed; 503: no thread free for writes (load shedding)
        assert set(statuses) <= {204, 409, 503} and 204 in statuses, statuses
        kept = {
            int(str(r["o"]))
            for r in store.select(f"SELECT ?o WHERE {{ GRAPH <{G}> {{ <x:s> <x:p> ?o }} }}")
        }
        acknowledged = {i for i, s in zip(range(1, 13), statuses, strict=True) if s == 204}
        assert acknowledged <= kept, (statuses, kept)

        def insert(i: int) -> int:
            text = f"INSERT DATA {{ GRAPH <{G}> {{ <x:u> <x:p> {i} }} }}".encode()
            return _call(f"{base}/update", text, UPDATE)

        with ThreadPoolExecutor(3) as pool:
            statuses = list(pool.map(insert, range(3)))
        assert set(statuses) <= {200, 409, 503} and 200 in statuses, statuses
        kept = {
            int(str(r["o"]))
            for r in store.select(f"SELECT ?o WHERE {{ GRAPH <{G}> {{ <x:u> <x:p> ?o }} }}")
        }
        assert {i for i, s in enumerate(statuses) if s == 200} <= kept
    finally:
        server.close()


def test_f4_a_write_based_on_an_old_version_gets_409(writable):
    from rdflib import Graph

    from cckg.core.gate.model import ParsedSource
    from cckg.core.writer import Origin, Write, WriteConflictError, Writer

    app, store = writable
    c = app.test_client()
    assert _put(c, G, "<x:a> <x:b> <x:c> .").status_code == 201
    g = Graph().parse(data="<x:a> <x:b> <x:d> .", format="turtle")
    write = Write(
        [ParsedSource(Path("test"), "files/redteam", g)],
        [Origin("files/redteam", "test")],
        expected={URIRef(G): "sha256:not-what-is-stored"},
    )
    with pytest.raises(WriteConflictError):
        Writer(store).write(write)


# ---------------------------------------------------------------- F5: no network while parsing


class _Recorder(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        _Recorder.hits.append(self.path)
        body = b'{"@context": {"name": "http://schema.org/name"}}'
        self.send_response(200)
        self.send_header("Content-Type", "application/ld+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def recorder():
    _Recorder.hits = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}", _Recorder.hits
    server.shutdown()


def _remote_context_doc(url: str, key: str = "@context") -> str:
    if key == "@import":
        context = {"@import": f"{url}/ctx.jsonld"}
    else:
        context = f"{url}/ctx.jsonld"
    return json.dumps({"@context": context, "@id": "urn:x:a", "name": "x"})


@pytest.mark.parametrize("key", ["@context", "@import"])
def test_f5_remote_json_ld_contexts_are_never_fetched(writable, recorder, tmp_path, key):
    url, hits = recorder
    app, _ = writable
    doc = _remote_context_doc(url, key)
    resp = _put(app.test_client(), G, doc, "application/ld+json")
    assert resp.status_code == 400 and url.encode() in resp.data
    f = tmp_path / "remote.jsonld"
    f.write_text(doc)
    result = CliRunner().invoke(main, ["validate", str(f)])
    assert result.exit_code == 2 and "remote.jsonld" in result.output and url in result.output
    assert hits == []  # nothing reached the network


# ---------------------------------------------------------------- F6-F8: the gate


def test_f6_deletes_that_leave_links_dangling_are_refused(writable):
    app, store = writable
    c = app.test_client()
    before = canonical_hash(store.export_nquads())
    resp = _update(c, f"DROP GRAPH <{INSTITUTIONS}>")
    assert resp.status_code == 422, resp.data
    assert "still links to" in resp.data.decode()
    assert c.delete(f"/data?graph={BASE}graph/ontology/cckg", headers=AUTH).status_code == 422
    assert canonical_hash(store.export_nquads()) == before


def test_f7_a_source_cannot_redefine_what_another_graph_describes(writable, tmp_path, monkeypatch):
    app, store = writable
    c = app.test_client()
    inst = _an_institution(store)
    resp = _put(c, G, f'<{inst}> <http://www.w3.org/2000/01/rdf-schema#label> "Another name"@en .')
    assert resp.status_code == 422 and b"is described by the graph" in resp.data
    equivalent = (
        f"<{CCKG}Practitioner> <http://www.w3.org/2002/07/owl#equivalentClass> "
        f"<{CCKG}Institution> ."
    )
    assert _put(c, G, equivalent).status_code == 422


def test_f7_two_files_of_one_load_cannot_describe_one_thing(tmp_path, monkeypatch):
    monkeypatch.setenv("CCKG_STORE", str(tmp_path / "store"))
    thing = f"{BASE}id/institution/twice"
    for name in ("one", "two"):
        (tmp_path / f"{name}.ttl").write_text(
            f'<{thing}> <http://www.w3.org/2000/01/rdf-schema#label> "{name}"@en .\n'
        )
    result = CliRunner().invoke(
        main, ["validate", str(tmp_path / "one.ttl"), str(tmp_path / "two.ttl")]
    )
    assert result.exit_code == 1 and "also described" in result.output


def test_f8_data_cannot_claim_load_metadata(writable, tmp_path, monkeypatch):
    app, store = writable
    c = app.test_client()
    last_modified = c.get("/dataset").headers["Last-Modified"]
    claim = (
        f"<{G}> <http://www.w3.org/ns/prov#generatedAtTime> "
        '"2099-01-01T00:00:00Z"^^<http://www.w3.org/2001/XMLSchema#dateTime> .'
    )
    resp = _put(c, G, claim)
    assert resp.status_code == 422 and b"load metadata" in resp.data
    assert c.get("/dataset").headers["Last-Modified"] == last_modified
    monkeypatch.setenv("CCKG_STORE", str(tmp_path / "store"))
    f = tmp_path / "claim.ttl"
    f.write_text(claim.replace(G, f"{BASE}graph/files/claim") + "\n<x:a> <x:b> <x:c> .\n")
    result = CliRunner().invoke(main, ["validate", str(f)])
    assert result.exit_code == 1 and "load metadata" in result.output


# ---------------------------------------------------------------- hostile loader inputs


def _validate(path: Path) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def test_deeply_nested_json_ld_is_refused_cleanly(tmp_path):
    f = tmp_path / "deep.jsonld"
    f.write_text('{"@id": "urn:x:a", "urn:x:p": ' + "[" * 3000 + "1" + "]" * 3000 + "}")
    code, out = _validate(f)
    assert code == 2 and "deep.jsonld" in out and "nested" in out


def test_a_json_ld_predicate_iri_with_a_space_is_refused_before_loading(tmp_path):
    f = tmp_path / "space.jsonld"
    f.write_text(json.dumps({"@id": "urn:x:a", "urn:x:bad predicate": "v"}))
    code, out = _validate(f)
    assert code == 2 and "invalid IRI" in out


@pytest.mark.parametrize("name", ["institutions.csv", "solutions.yaml"])
def test_oversized_tabular_sources_are_refused_before_parsing(tmp_path, monkeypatch, name):
    monkeypatch.setenv("CCKG_MAX_SOURCE_BYTES", "10000")
    f = tmp_path / name
    f.write_text(("id,label\n" if name.endswith("csv") else "records:\n") + "x" * 20000)
    code, out = _validate(f)
    assert code == 2 and "CCKG_MAX_SOURCE_BYTES" in out


def test_csv_cells_never_start_a_formula(client):
    assert neutralise_formula("=cmd|' /C calc'!A0") == "'=cmd|' /C calc'!A0"
    assert neutralise_formula("@SUM(1)") == "'@SUM(1)"
    assert neutralise_formula("-5") == "-5" and neutralise_formula("+3.5e2") == "+3.5e2"
    query = 'SELECT ?x WHERE { VALUES ?x { "=HYPERLINK(\\"http://x\\")" "-7" "plain" } }'
    resp = client.get("/sparql", query_string={"query": query}, headers={"Accept": "text/csv"})
    lines = resp.data.decode().splitlines()
    assert "'=HYPERLINK" in lines[1] and lines[2] == "-7" and lines[3] == "plain"


# ---------------------------------------------------------------- D1-D6: bounded work


def test_d1_named_queries_run_with_the_time_limit(demo_store):
    from cckg.webapp import create_app
    from cckg.webapp.pages.sparql import close_pool

    app = create_app(
        {"TESTING": True, "CCKG_STORE_OBJECT": demo_store, "CCKG_SPARQL_TIMEOUT_S": 1e-4}
    )
    try:
        resp = app.test_client().get("/queries/get_city_by_geonames_id?geonamesId=")
        assert resp.status_code == 503 and "Retry-After" in resp.headers
    finally:
        close_pool(app)


def test_d1_named_query_results_are_capped(demo_store):
    from cckg.webapp import create_app
    from cckg.webapp.pages.sparql import close_pool

    app = create_app({"TESTING": True, "CCKG_STORE_OBJECT": demo_store, "CCKG_SPARQL_ROW_CAP": 3})
    try:
        resp = app.test_client().get("/queries/get_city_by_geonames_id?geonamesId=&format=json")
        assert resp.status_code == 200
        assert resp.headers["X-CCKG-Truncated"] == "true"
        assert len(json.loads(resp.data)["results"]["bindings"]) <= 3
    finally:
        close_pool(app)


def test_d2_cheap_pages_keep_a_thread_while_heavy_routes_are_full(demo_store):
    from cckg.webapp import create_app

    app = create_app({"TESTING": True, "CCKG_STORE_OBJECT": demo_store, "CCKG_HEAVY_SLOTS": 1})
    assert app.test_client().get("/search?q=waste").status_code == 200  # the index is built
    with app.test_request_context("/sparql"):
        from cckg.webapp.reliability import _heavy_slots

        slots = _heavy_slots(app)
        assert slots.acquire(blocking=False)  # a slow query holds the only heavy slot
        try:
            c = app.test_client()
            resp = c.get("/sparql", query_string={"query": "ASK {}"})
            assert resp.status_code == 503 and resp.headers["Retry-After"] == "1"
            assert c.get("/health").status_code == 200
            assert c.get("/search?q=waste").status_code == 200
            # A page whose data is not built yet would hold a thread for seconds: it waits
            # for a heavy slot like a query, and is refused while none is free.
            cold = c.get("/explore")
            assert cold.status_code == 503 and cold.headers["Retry-After"] == "2"
            assert c.get("/health").status_code == 200
        finally:
            slots.release()
    assert app.test_client().get("/explore").status_code == 200
    resp = app.test_client().get("/sparql", query_string={"query": "ASK {}"})
    assert resp.status_code == 200


def test_d3_new_host_headers_do_not_recount_the_dataset(client, monkeypatch):
    from cckg.webapp.pages import dataset

    calls = []
    original = dataset.dataset_info
    monkeypatch.setattr(dataset, "dataset_info", lambda *a: calls.append(1) or original(*a))
    client.application.extensions.pop("cckg_caching", None)  # a fresh version cache
    for i in range(20):
        resp = client.get(
            "/.well-known/void", headers={"Host": f"host{i}.example", "Accept": "text/turtle"}
        )
        assert resp.status_code == 200 and f"host{i}.example".encode() in resp.data
    assert len(calls) <= 1


def test_d4_concurrent_cold_dumps_are_built_once(demo_store, monkeypatch):
    from cckg.webapp import create_app
    from cckg.webapp.pages import dataset

    app = create_app({"TESTING": True, "CCKG_STORE_OBJECT": demo_store})
    calls = []
    original = dataset.nquads
    monkeypatch.setattr(dataset, "nquads", lambda *a: calls.append(1) or original(*a))
    client_barrier = threading.Barrier(6)

    def fetch(_: int) -> bytes:
        client_barrier.wait(timeout=60)
        return app.test_client().get("/dumps/all.nq.gz").data

    with ThreadPoolExecutor(6) as pool:
        bodies = list(pool.map(fetch, range(6)))
    assert len(calls) == 1
    assert all(b == bodies[0] for b in bodies) and gzip.decompress(bodies[0])


def test_d5_the_body_cache_counts_its_keys():
    cache = BodyCache(max_entries=100, max_bytes=16 * 10_000)
    for i in range(20):
        cache.put((f"{i:05d}" + "k" * 9_000,), b"x", "text/plain")  # big keys, tiny bodies
    assert len(cache) < 20  # keys alone went over the budget


def test_d6_results_are_capped_in_bytes_too(demo_store):
    from cckg.webapp import create_app

    app = create_app(
        {"TESTING": True, "CCKG_STORE_OBJECT": demo_store, "CCKG_SPARQL_MAX_BYTES": 20_000}
    )
    from cckg.webapp.pages.sparql import close_pool

    try:
        query = "SELECT ?s ?p ?o WHERE { ?s ?p ?o }"
        resp = app.test_client().get("/sparql", query_string={"query": query})
        assert resp.status_code == 200 and resp.headers["X-CCKG-Truncated"] == "true"
        assert len(resp.data) < 200_000
    finally:
        close_pool(app)


# ---------------------------------------------------------------- C1: crash and start-up


def test_c1_read_only_openers_never_see_half_a_write(tmp_path, monkeypatch, caplog):
    from rdflib import Graph, Literal

    path = tmp_path / "s"
    g1 = URIRef("urn:x:g")
    old, new = Graph(), Graph()
    for i in range(1000):
        old.add((URIRef(f"urn:x:s{i}"), URIRef("urn:x:p"), Literal("old")))
    for i in range(1500):
        new.add((URIRef(f"urn:x:s{i}"), URIRef("urn:x:p"), Literal("new")))
    store = EmbeddedStore(path)
    store.replace_graphs({g1: [old]})
    monkeypatch.setattr(bulk_replace, "recover", lambda *a: False)  # "crash" after the commit
    monkeypatch.setattr(bulk_replace, "TRANSACTION_MAX", 10)
    store.replace_graphs({g1: [new]})
    store.close()
    monkeypatch.undo()
    assert (path / PENDING / bulk_replace.JOURNAL).exists()
    with caplog.at_level("WARNING", logger="cckg.store"):
        reader = EmbeddedStore(path, read_only=True)
    try:
        rows = reader.select('SELECT (COUNT(*) AS ?n) WHERE { ?s ?p "new" }')
        assert int(rows[0]["n"]) == 1500
        assert not reader.ask('ASK { ?s ?p "old" }')
    finally:
        reader.close()
    assert "interrupted" in caplog.text  # the replay says what it does


# ---------------------------------------------------------------- pages


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/search?q=waste",
        "/match",
        "/sparql",
        "/editor",
        "/def/cckg",
        "/id/theme/mobility",
        "/api/search?q=x",
        "/health",
    ],
)
def test_security_headers_on_every_response(client, path):
    resp = client.get(path, headers={"Accept": "text/html"})
    csp = resp.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "Strict-Transport-Security" not in resp.headers  # plain http
    if resp.mimetype == "text/html" and path != "/editor":
        assert "'unsafe-inline'" not in csp and "script-src 'self' 'nonce-" in csp


def test_hsts_over_https(client):
    resp = client.get("/", base_url="https://localhost")
    assert resp.headers["Strict-Transport-Security"].startswith("max-age=")


def test_etags_do_not_move_on_private_writes(writable):
    app, store = writable
    c = app.test_client()
    page = "/id/theme/mobility"
    etag = c.get(page).headers["ETag"]
    body = f'<{BASE}id/practitioner/erika-example> <{CCKG}email> "new@example.org" .'
    assert _put(c, PRIVATE, body).status_code in (201, 204)
    assert c.get(page).headers["ETag"] == etag
