"""Other backends (in memory, remote, slow and unreachable remote stores) and real clients
(SPARQLWrapper, rdflib SPARQLStore, Comunica).
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pyoxigraph as ox
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic

from cckg.core.store import EmbeddedStore, RemoteStore
from cckg.webapp import create_app
from tests.webapp.sparql.support import (
    BASE,
    CCKG,
    CONSTRUCT_LABELS,
    JS_DIR,
    PREFIXES,
    PRIVATE,
    SOLUTION_LABELS,
    assert_no_secrets,
    count,
    free_port,
)

# ---------------------------------------------------------------- other backends


def test_in_memory_store_runs_in_process():
    store = EmbeddedStore(None)
    g_pub = ox.NamedNode(f"{BASE}graph/curated/test")
    s = ox.NamedNode(f"{BASE}id/city/x")
    store.raw.add(ox.Quad(s, ox.NamedNode(f"{CCKG}name"), ox.Literal("X"), g_pub))
    store.raw.add(
        ox.Quad(s, ox.NamedNode(f"{CCKG}email"), ox.Literal("x@example.org"), ox.NamedNode(PRIVATE))
    )
    mem_app = create_app({"TESTING": True, "CCKG_STORE_OBJECT": store})
    c = mem_app.test_client()
    r = c.get("/sparql", query_string={"query": "SELECT ?o WHERE { ?s ?p ?o }"})
    assert r.status_code == 200
    assert [b["o"]["value"] for b in r.get_json()["results"]["bindings"]] == ["X"]
    r = c.get("/sparql", query_string={"query": f"SELECT ?o FROM <{PRIVATE}> WHERE {{ ?s ?p ?o }}"})
    assert r.get_json()["results"]["bindings"] == []
    assert "cckg_sparql_pool" not in mem_app.extensions


@pytest.mark.remote
def test_remote_store_gets_the_public_dataset(sparql_server, request):
    """The endpoint in front of each remote store (Oxigraph server, Virtuoso)."""
    pub = f"{BASE}graph/curated/test"
    s = URIRef(f"{BASE}id/city/x")
    remote = sparql_server.store()
    names = Graph()
    names.add((s, URIRef(f"{CCKG}name"), Literal("X")))
    names.add((s, URIRef(f"{CCKG}name"), Literal("Y")))
    email = Graph()
    email.add((s, URIRef(f"{CCKG}email"), Literal("x@example.org")))
    remote.replace_graphs({URIRef(pub): [names], URIRef(PRIVATE): [email]})
    remote_app = create_app(
        {"TESTING": True, "CCKG_STORE_OBJECT": remote, "CCKG_SPARQL_ROW_CAP": 1}
    )
    c = remote_app.test_client()
    for q in (
        "SELECT ?o WHERE { ?s ?p ?o }",
        f"SELECT ?o WHERE {{ GRAPH <{PRIVATE}> {{ ?s ?p ?o }} }}",
        f"SELECT ?o FROM <{PRIVATE}> WHERE {{ ?s ?p ?o }}",
        "SELECT ?o WHERE { GRAPH ?g { ?s ?p ?o } }",
    ):
        r = c.get("/sparql", query_string={"query": q}, headers={"Accept": "text/csv"})
        assert r.status_code == 200, r.data
        assert_no_secrets(r.data)
    r = c.get("/sparql", query_string={"query": "SELECT ?o WHERE { ?s ?p ?o } ORDER BY ?o"})
    assert [b["o"]["value"] for b in r.get_json()["results"]["bindings"]] == ["X"]  # cap = 1
    assert r.headers["X-CCKG-Truncated"] == "true"
    r = c.get(
        "/sparql",
        query_string={"query": "SELECT ?o WHERE { ?s ?p ?o }", "default-graph-uri": PRIVATE},
    )
    assert r.get_json()["results"]["bindings"] == []
    r = c.get(
        "/sparql",
        query_string={"query": "CONSTRUCT WHERE { ?s ?p ?o }"},
        headers={"Accept": "application/rdf+xml"},
    )
    assert r.status_code == 200 and r.mimetype == "application/rdf+xml"
    assert len(Graph().parse(data=r.data, format="xml")) == 1
    for ask, expected in (("ASK { ?s ?p 'X' }", True), ("ASK { ?s ?p 'nope' }", False)):
        assert c.get("/sparql", query_string={"query": ask}).get_json()["boolean"] is expected
    private_ask = f"ASK FROM <{PRIVATE}> {{ ?s ?p 'x@example.org' }}"
    assert c.get("/sparql", query_string={"query": private_ask}).get_json()["boolean"] is False
    r = c.get("/sparql", query_string={"query": "SELECT * WHERE {"})
    assert r.status_code == 400
    r = c.get(
        "/sparql", query_string={"query": "SELECT * WHERE { SERVICE <http://127.0.0.1:9/> {} }"}
    )
    assert r.status_code == 400


@pytest.fixture
def slow_remote():
    """A fake remote store: states its version (no graph written by the writer) and lists one
    graph at once, never answers any other query."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    release = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # keep the test output clean
            pass

        def _answer(self, query: str) -> None:
            graph = {"g": {"type": "uri", "value": f"{BASE}graph/curated/test"}}
            if "contentHash" in query:  # RemoteStore.version: no PROV rows
                answer = {"head": {"vars": ["g", "hash", "time"]}, "results": {"bindings": []}}
            elif "GRAPH ?g" in query:  # RemoteStore's graph list (either form)
                answer = {"head": {"vars": ["g"]}, "results": {"bindings": [graph]}}
            else:
                answer = None
            if answer is not None:
                body = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/sparql-results+json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            else:
                release.wait(120)  # far above any time limit under test

        def do_GET(self):  # noqa: N802
            from urllib.parse import parse_qs

            self._answer(parse_qs(urlsplit(self.path).query).get("query", [""])[0])

        def do_POST(self):  # noqa: N802
            from urllib.parse import parse_qs

            length = int(self.headers.get("Content-Length", 0))
            self._answer(parse_qs(self.rfile.read(length).decode()).get("query", [""])[0])

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/query"
    release.set()
    server.shutdown()
    server.server_close()


def test_remote_store_timeout_is_503(slow_remote):
    remote_app = create_app(
        {"TESTING": True, "CCKG_STORE_OBJECT": RemoteStore(slow_remote), "CCKG_SPARQL_TIMEOUT_S": 1}
    )
    t0 = time.monotonic()
    r = remote_app.test_client().get("/sparql", query_string={"query": "ASK { ?s ?p ?o }"})
    assert r.status_code == 503 and r.data == b"query exceeded the 1 s time limit\n"
    assert time.monotonic() - t0 < 60  # the fake store never answers on its own


def test_unreachable_remote_store_is_503():
    port = free_port()  # nothing listens there
    remote_app = create_app(
        {
            "TESTING": True,
            "CCKG_STORE_OBJECT": RemoteStore(f"http://127.0.0.1:{port}/query", timeout_s=2),
        }
    )
    r = remote_app.test_client().get("/sparql", query_string={"query": "ASK {}"})
    assert r.status_code == 503 and b"not available" in r.data
    assert b"Traceback" not in r.data


# ---------------------------------------------------------------- real clients


def test_sparqlwrapper(live_server):
    from SPARQLWrapper import JSON, POST, POSTDIRECTLY, TURTLE, XML, SPARQLWrapper
    from SPARQLWrapper.SPARQLExceptions import QueryBadFormed

    sw = SPARQLWrapper(f"{live_server}/sparql")
    sw.setReturnFormat(JSON)
    sw.setQuery(SOLUTION_LABELS)
    by_get = sw.query().convert()["results"]["bindings"]
    assert len(by_get) == 12
    sw.setMethod(POST)
    assert sw.query().convert()["results"]["bindings"] == by_get
    sw.setRequestMethod(POSTDIRECTLY)
    assert sw.query().convert()["results"]["bindings"] == by_get
    sw.setQuery(PREFIXES + "ASK { ?s a cckg:Solution }")
    assert sw.query().convert()["boolean"] is True

    sw = SPARQLWrapper(f"{live_server}/sparql")
    sw.setQuery(CONSTRUCT_LABELS)
    sw.setReturnFormat(TURTLE)
    turtle = Graph().parse(data=sw.query().convert(), format="turtle")
    sw.setReturnFormat(XML)
    rdfxml = sw.query().convert()
    assert isinstance(rdfxml, Graph)
    assert len(turtle) >= 68 and isomorphic(turtle, rdfxml)

    sw.setReturnFormat(JSON)
    sw.setQuery("SELECT * WHERE { ?s ?p")
    with pytest.raises(QueryBadFormed, match="error at"):
        sw.query()


def test_rdflib_sparqlstore(live_server, client):
    from rdflib.plugins.stores.sparqlstore import SPARQLStore

    g = Graph(store=SPARQLStore(f"{live_server}/sparql", returnFormat="json"))
    expected = count(client, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    assert len(g) == expected > 10000
    rows = list(g.query(SOLUTION_LABELS))
    assert len(rows) == 12
    assert all(isinstance(r[1], Literal) for r in rows)


@pytest.fixture(scope="session", autouse=True)
def _npm_install_started(
    request, tmp_path_factory
) -> Iterator[tuple[subprocess.Popen, Path] | None]:
    """Start `npm install` for Comunica early, so it overlaps building the demo store.
    node_modules is cached in tests/js (git-ignored); a no-op install takes about 1 s. Only
    when a Comunica test is selected: offline runs (`make check`) never reach for npm."""
    npm = shutil.which("npm")
    wanted = any("comunica" in item.fixturenames for item in request.session.items)
    if npm is None or not wanted:
        yield None
        return
    log_path = tmp_path_factory.mktemp("npm") / "install.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [npm, "install", "--no-audit", "--no-fund"],
            cwd=JS_DIR,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "npm_config_update_notifier": "false"},
        )
    yield proc, log_path
    if proc.poll() is None:
        proc.kill()
        proc.wait()


@pytest.fixture(scope="session")
def comunica(_npm_install_started) -> Path:
    if _npm_install_started is None:
        pytest.skip("npm is not installed: Comunica client tests need Node.js and npm")
    proc, log_path = _npm_install_started
    try:
        rc = proc.wait(timeout=240)
    except subprocess.TimeoutExpired:
        pytest.fail("npm install for Comunica took longer than 240 s")
    log = log_path.read_text(errors="replace")
    assert rc == 0, f"npm install failed:\n{log[-3000:]}"
    exe = JS_DIR / "node_modules" / ".bin" / "comunica-sparql"
    assert exe.exists(), log[-3000:]
    return exe


@pytest.mark.server
@pytest.mark.parametrize("source_prefix", ["", "sparql@"])
def test_comunica(live_server, comunica, source_prefix):
    q = (
        PREFIXES + "SELECT ?s ?label WHERE { ?s a cckg:Solution ; rdfs:label ?label } "
        "ORDER BY ?s LIMIT 5"
    )
    out = subprocess.run(
        [str(comunica), f"{source_prefix}{live_server}/sparql", "-q", q, "-t", "text/csv"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=JS_DIR,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    rows = list(csv.reader(io.StringIO(out.stdout)))
    assert rows[0] == ["s", "label"]
    assert len(rows) == 6
    assert all(r[0].strip("<>").startswith(f"{BASE}id/solution/") for r in rows[1:])
