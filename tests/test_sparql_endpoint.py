"""The public SPARQL endpoint ``/sparql``, mostly against the real waitress server.

Covers the SPARQL 1.1 Protocol (GET, form POST, direct POST, dataset parameters), every
result format parsed by a real parser, content negotiation, 400/405/406/413/415, the service
description, CORS, the time limit (503 while other requests keep being answered), the row
cap, the private graph (adversarial probes), the remote and in-memory backends, real clients
(SPARQLWrapper, rdflib SPARQLStore, Comunica) and a replay of the W3C protocol manifest.

W3C protocol manifest (tests/data/w3c-protocol/manifest.ttl): every query case passes. The
deviations are the update cases, because /sparql is read-only and refuses updates with 400:
``update_dataset_default_graph``, ``update_dataset_default_graphs``,
``update_dataset_named_graphs``, ``update_dataset_full``, ``update_post_form``,
``update_post_direct`` and ``update_base_uri`` expect 2xx. The ``bad_update_*`` cases expect
4xx and get 400, but because every update is refused, not because of the specific defect
each case tests.
"""

from __future__ import annotations

import contextlib
import csv
import http.client
import io
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pyoxigraph as ox
import pytest
import yaml
from rdflib import Dataset, Graph, Literal, Namespace, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import RDF, RDFS
from rdflib.query import Result

from cckg.core import iris
from cckg.core.store import EmbeddedStore, RemoteStore
from cckg.webapp import create_app
from cckg.webapp.pages.sparql import close_pool, pool_for
from cckg.webapp.sparql_guard import scan

ROOT = Path(__file__).resolve().parent.parent
JS_DIR = ROOT / "tests" / "js"
W3C_DIR = ROOT / "tests" / "data" / "w3c-protocol"
BASE = "https://w3id.org/cckg/"
CCKG = f"{BASE}def/cckg#"
PRIVATE = str(iris.private_graph(BASE))
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
PREFIXES = f"PREFIX cckg: <{CCKG}>\nPREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
SOLUTION_LABELS = (
    PREFIXES + "SELECT ?s ?label WHERE { ?s a cckg:Solution ; rdfs:label ?label } "
    "ORDER BY ?s ?label LIMIT 12"
)
SOLUTION_COUNT = PREFIXES + "SELECT (COUNT(?s) AS ?n) WHERE { ?s a cckg:Solution }"
CONSTRUCT_LABELS = (
    PREFIXES + "CONSTRUCT { ?s rdfs:label ?label } WHERE { ?s a cckg:Solution ; rdfs:label ?label }"
)
# A cross join over the cities with a regex: ~15-20 s of work, so it always hits the limit.
SLOW_QUERY = (
    PREFIXES + "SELECT * WHERE { ?a a cckg:City . ?b a cckg:City . ?c a cckg:City . "
    "FILTER(REGEX(CONCAT(STR(?a), STR(?b), STR(?c)), 'zz+q')) }"
)
BROWSER_ACCEPT = (
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,"
    "image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7"
)
COMUNICA_SNIFF_ACCEPT = (
    "application/n-quads,application/trig;q=0.95,application/ld+json;q=0.9,"
    "application/n-triples;q=0.8,text/turtle;q=0.6,application/rdf+xml;q=0.5,"
    "text/n3;q=0.35,application/xml;q=0.3,image/svg+xml;q=0.3,text/xml;q=0.3,"
    "text/html;q=0.2,application/xhtml+xml;q=0.18,application/json;q=0.135"
)


# ---------------------------------------------------------------- helpers


def http_call(
    url: str,
    method: str = "GET",
    params: dict | list | None = None,
    data: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 60,
) -> tuple[int, http.client.HTTPMessage, bytes]:
    """One request with urllib; returns (status, headers, body) for errors too."""
    if params:
        url = f"{url}?{urlencode(params, doseq=True)}"
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def raw_call(
    base: str, method: str, path: str, body: bytes | None = None, headers: dict | None = None
) -> tuple[int, dict[str, str], bytes]:
    """A request exactly as given (urllib would add a Content-Type to a POST)."""
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


def sparql_get(base: str, query: str, accept: str | None = None, **extra) -> tuple:
    headers = {"Accept": accept} if accept else {}
    return http_call(f"{base}/sparql", params={"query": query, **extra}, headers=headers)


def bindings(body: bytes) -> list[dict]:
    return json.loads(body)["results"]["bindings"]


def private_values() -> list[str]:
    """The practitioners' e-mail addresses and phone numbers (private graph only)."""
    data = yaml.safe_load((ROOT / "data" / "examples" / "practitioners.yaml").read_text())
    out = []
    for rec in data["records"]:
        out += [rec["email"], str(rec["phone"])]
    assert len(out) >= 20 and all(v for v in out)
    return out


SECRETS = private_values()


def assert_no_secrets(body: bytes | str) -> None:
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    assert "@example.org" not in text
    leaked = [s for s in SECRETS if s in text]
    assert not leaked, f"private data leaked: {leaked}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def content_type(headers) -> str:
    return (headers.get("Content-Type") or headers.get("content-type") or "").split(";")[0]


@pytest.fixture(scope="module", autouse=True)
def _stop_workers(app):
    """Stop this module's query workers when it is done (a later use starts new ones)."""
    yield
    close_pool(app)


# ---------------------------------------------------------------- the engine's dataset


def test_pyoxigraph_dataset_arguments_override_from_clauses():
    """What the endpoint's isolation rests on: default_graph/named_graphs beat FROM/FROM NAMED."""
    store = ox.Store()
    pub, priv = ox.NamedNode("http://ex/pub"), ox.NamedNode(PRIVATE)
    s, p = ox.NamedNode("http://ex/s"), ox.NamedNode("http://ex/p")
    store.add(ox.Quad(s, p, ox.Literal("public"), pub))
    store.add(ox.Quad(s, p, ox.Literal("secret@example.org"), priv))
    kwargs = {"default_graph": [pub], "named_graphs": [pub]}
    for q in (
        f"SELECT ?o FROM <{PRIVATE}> WHERE {{ ?s ?p ?o }}",
        f"SELECT ?o FROM NAMED <{PRIVATE}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
        f"SELECT ?o WHERE {{ GRAPH <{PRIVATE}> {{ ?s ?p ?o }} }}",
    ):
        values = {str(sol["o"].value) for sol in store.query(q, **kwargs)}
        assert "secret@example.org" not in values, q
    # ...while without them FROM would reach the private graph: the arguments are essential.
    q = f"SELECT ?o FROM <{PRIVATE}> WHERE {{ ?s ?p ?o }}"
    assert [sol["o"].value for sol in store.query(q)] == ["secret@example.org"]
    # An empty list is an empty graph (not the store's default graph).
    store.add(ox.Quad(s, p, ox.Literal("in default graph")))
    assert (
        list(store.query("SELECT ?o WHERE { ?s ?p ?o }", default_graph=[], named_graphs=[])) == []
    )


# ---------------------------------------------------------------- protocol: GET / POST


def test_get_select_json(live_server):
    status, headers, body = sparql_get(live_server, SOLUTION_COUNT)
    assert status == 200
    assert content_type(headers) == "application/sparql-results+json"
    result = Result.parse(io.BytesIO(body), format="json")
    assert int(next(iter(result))[0]) == 68
    assert headers["X-CCKG-Truncated"] == "false"
    assert "Accept" in headers["Vary"]


def test_form_post_and_direct_post_give_the_same_rows(live_server):
    _, _, by_get = sparql_get(live_server, SOLUTION_LABELS)
    status, _, by_form = http_call(
        f"{live_server}/sparql",
        method="POST",
        data=urlencode({"query": SOLUTION_LABELS}).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert status == 200
    status, _, direct = http_call(
        f"{live_server}/sparql",
        method="POST",
        data=SOLUTION_LABELS.encode(),
        headers={"Content-Type": "application/sparql-query; charset=utf-8"},
    )
    assert status == 200
    assert bindings(by_get) == bindings(by_form) == bindings(direct)
    assert len(bindings(direct)) == 12


@pytest.mark.parametrize("fmt", ["json", "xml", "csv", "tsv"])
def test_select_result_formats_parse(live_server, fmt):
    accept = {
        "json": "application/sparql-results+json",
        "xml": "application/sparql-results+xml",
        "csv": "text/csv",
        "tsv": "text/tab-separated-values",
    }[fmt]
    status, headers, body = sparql_get(live_server, SOLUTION_LABELS, accept=accept)
    assert status == 200
    assert content_type(headers) == accept
    if fmt in ("json", "xml"):
        rows = [(str(r[0]), str(r[1])) for r in Result.parse(io.BytesIO(body), format=fmt)]
    else:
        reader = csv.reader(
            io.StringIO(body.decode("utf-8")), delimiter="," if fmt == "csv" else "\t"
        )
        header, *data = list(reader)
        assert header == (["s", "label"] if fmt == "csv" else ["?s", "?label"])
        if fmt == "csv":
            rows = [(s, label) for s, label in data]
        else:  # TSV cells are N-Triples terms
            rows = [(s.strip("<>"), label.rsplit("@", 1)[0].strip('"')) for s, label in data]
    expected = [
        (b["s"]["value"], b["label"]["value"])
        for b in bindings(sparql_get(live_server, SOLUTION_LABELS)[2])
    ]
    assert rows == expected


def test_ask_as_json_and_xml(live_server):
    q = PREFIXES + "ASK { ?s a cckg:Solution }"
    _, _, body = sparql_get(live_server, q)
    assert json.loads(body) == {"head": {}, "boolean": True}
    status, headers, body = sparql_get(live_server, q, accept="application/sparql-results+xml")
    assert content_type(headers) == "application/sparql-results+xml"
    assert Result.parse(io.BytesIO(body), format="xml").askAnswer is True


@pytest.mark.parametrize(
    ("accept", "rdflib_format"),
    [
        ("text/turtle", "turtle"),
        ("application/n-triples", "nt"),
        ("application/ld+json", "json-ld"),
        ("application/rdf+xml", "xml"),
        ("application/n-quads", "nquads"),
        ("application/trig", "trig"),
    ],
)
def test_construct_formats_parse_to_the_same_graph(live_server, accept, rdflib_format):
    status, headers, body = sparql_get(live_server, CONSTRUCT_LABELS, accept=accept)
    assert status == 200
    assert content_type(headers) == accept
    if rdflib_format in ("nquads", "trig"):
        ds = Dataset()
        ds.parse(data=body, format=rdflib_format)
        g = Graph()
        for s, p, o, _ in ds.quads():
            g.add((s, p, o))
    else:
        g = Graph().parse(data=body, format=rdflib_format)
    reference = Graph().parse(
        data=sparql_get(live_server, CONSTRUCT_LABELS, accept="text/turtle")[2], format="turtle"
    )
    assert len(g) == len(reference) >= 68
    assert isomorphic(g, reference)


def test_describe_returns_rdf(live_server):
    q = f"DESCRIBE <{BASE}id/practitioner/example-ana-beispiel>"
    status, headers, body = sparql_get(live_server, q)
    assert status == 200 and content_type(headers) == "text/turtle"
    g = Graph().parse(data=body, format="turtle")
    assert (
        URIRef(f"{BASE}id/practitioner/example-ana-beispiel"),
        RDF.type,
        URIRef(f"{CCKG}Practitioner"),
    ) in g
    assert_no_secrets(body)


def test_head_is_answered_like_get(live_server):
    status, headers, body = raw_call(
        live_server, "HEAD", "/sparql?" + urlencode({"query": SOLUTION_COUNT})
    )
    assert status == 200 and body == b""
    assert headers["content-type"].startswith("application/sparql-results+json")
    status, headers, body = raw_call(live_server, "HEAD", "/sparql")
    assert status == 200 and body == b"" and headers["content-type"].startswith("text/turtle")


# ---------------------------------------------------------------- content negotiation


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, "application/sparql-results+json"),
        ("*/*", "application/sparql-results+json"),
        ("text/csv;q=0.5, application/sparql-results+xml;q=0.9", "application/sparql-results+xml"),
        ("text/csv, application/sparql-results+json;q=0.2", "text/csv"),
        ("application/sparql-results+json,*/*;q=0.9", "application/sparql-results+json"),  # YASGUI
        ("text/tab-separated-values;q=1, */*;q=0.1", "text/tab-separated-values"),
        (BROWSER_ACCEPT, "application/sparql-results+json"),
        (
            "application/sparql-results+json,application/json,text/javascript,application/javascript",
            "application/sparql-results+json",
        ),  # SPARQLWrapper
        ("application/xml", "application/sparql-results+xml"),  # only when asked for explicitly
    ],
)
def test_select_conneg(client, accept, expected):
    headers = {"Accept": accept} if accept else {}
    r = client.get("/sparql", query_string={"query": SOLUTION_COUNT}, headers=headers)
    assert r.status_code == 200
    assert r.mimetype == expected


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, "text/turtle"),
        ("*/*", "text/turtle"),
        (BROWSER_ACCEPT, "text/turtle"),  # never RDF/XML from a browser's application/xml
        ("application/rdf+xml;q=0.4, application/ld+json;q=0.8", "application/ld+json"),
        ("application/turtle,text/turtle", "text/turtle"),  # SPARQLWrapper TURTLE
        (COMUNICA_SNIFF_ACCEPT, "application/n-quads"),
    ],
)
def test_construct_conneg(client, accept, expected):
    headers = {"Accept": accept} if accept else {}
    q = PREFIXES + "CONSTRUCT WHERE { ?s a cckg:Solution } LIMIT 3"
    r = client.get("/sparql", query_string={"query": q}, headers=headers)
    assert r.status_code == 200
    assert r.mimetype == expected


@pytest.mark.parametrize(
    ("query", "params", "accept", "expected"),
    [
        (SOLUTION_COUNT, {"format": "csv"}, "application/sparql-results+json", "text/csv"),
        (
            SOLUTION_COUNT,
            {"format": "json", "output": "json", "results": "json"},
            None,
            "application/sparql-results+json",
        ),
        (SOLUTION_COUNT, {"output": "xml"}, None, "application/sparql-results+xml"),
        (SOLUTION_COUNT, {"format": "tsv"}, None, "text/tab-separated-values"),
        (SOLUTION_COUNT, {"format": "no-such-format"}, "text/csv", "text/csv"),  # ignored
        (SOLUTION_COUNT, {"format": "turtle"}, None, "application/sparql-results+json"),
        (CONSTRUCT_LABELS, {"format": "xml"}, None, "application/rdf+xml"),
        (CONSTRUCT_LABELS, {"format": "json"}, None, "application/ld+json"),
        (CONSTRUCT_LABELS, {"format": "n3"}, None, "text/turtle"),
        (CONSTRUCT_LABELS, {"format": "application/n-triples"}, None, "application/n-triples"),
    ],
)
def test_format_parameters(client, query, params, accept, expected):
    headers = {"Accept": accept} if accept else {}
    r = client.get("/sparql", query_string={"query": query, **params}, headers=headers)
    assert r.status_code == 200
    assert r.mimetype == expected


def test_unacceptable_accept_is_406(client):
    r = client.get(
        "/sparql", query_string={"query": SOLUTION_COUNT}, headers={"Accept": "image/png"}
    )
    assert r.status_code == 406
    assert b"application/sparql-results+json" in r.data
    q = PREFIXES + "CONSTRUCT WHERE { ?s a cckg:Solution }"
    r = client.get("/sparql", query_string={"query": q}, headers={"Accept": "text/csv"})
    assert r.status_code == 406 and b"text/turtle" in r.data


# ---------------------------------------------------------------- dataset parameters


def count(client, query: str, **params) -> int:
    r = client.get("/sparql", query_string={"query": query, **params})
    assert r.status_code == 200, r.data
    return int(r.get_json()["results"]["bindings"][0]["n"]["value"])


def test_default_graph_uri_selects_public_graphs_only(client):
    q = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    everything = count(client, q)
    solutions = count(client, q, **{"default-graph-uri": f"{BASE}graph/curated/solutions"})
    assert 0 < solutions < everything
    both = client.get(
        "/sparql",
        query_string=[
            ("query", q),
            ("default-graph-uri", f"{BASE}graph/curated/solutions"),
            ("default-graph-uri", f"{BASE}graph/curated/cities"),
        ],
    ).get_json()
    assert solutions < int(both["results"]["bindings"][0]["n"]["value"]) < everything
    # private, staging and unknown graphs are just empty
    for g in (PRIVATE, f"{BASE}graph/staging/0123456789abcdef", "http://nowhere.example/g"):
        assert count(client, q, **{"default-graph-uri": g}) == 0


def test_named_graph_uri_and_from_clauses(client):
    solutions = f"{BASE}graph/curated/solutions"
    q_named = "SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
    assert count(client, q_named) >= 10  # all public graphs
    assert count(client, q_named, **{"named-graph-uri": solutions}) == 1
    assert count(client, q_named, **{"named-graph-uri": PRIVATE}) == 0
    # FROM / FROM NAMED are honoured, restricted to the public graphs
    by_param = count(
        client, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", **{"default-graph-uri": solutions}
    )
    assert (
        count(client, f"SELECT (COUNT(*) AS ?n) FROM <{solutions}> WHERE {{ ?s ?p ?o }}")
        == by_param
    )
    assert (
        count(
            client,
            f"PREFIX g: <{BASE}graph/curated/> "
            "SELECT (COUNT(*) AS ?n) FROM g:solutions WHERE { ?s ?p ?o }",
        )
        == by_param
    )
    assert count(client, f"SELECT (COUNT(*) AS ?n) FROM <{PRIVATE}> WHERE {{ ?s ?p ?o }}") == 0
    # protocol parameters win over FROM
    assert (
        count(
            client,
            f"SELECT (COUNT(*) AS ?n) FROM <{solutions}> WHERE {{ ?s ?p ?o }}",
            **{"default-graph-uri": PRIVATE},
        )
        == 0
    )


# ---------------------------------------------------------------- errors


def test_malformed_query_is_400_with_the_parser_message(client):
    r = client.get("/sparql", query_string={"query": "SELECT ?x WHERE { ?x ?y"})
    assert r.status_code == 400
    assert r.mimetype == "text/plain"
    assert r.data.startswith(b"Malformed query: ") and b"error at" in r.data
    assert b"Traceback" not in r.data


@pytest.mark.parametrize(
    ("kwargs", "status", "needle"),
    [
        ({"query_string": [("query", "ASK {}"), ("query", "ASK {}")]}, 400, b"exactly one"),
        ({"query_string": {"query": "   "}}, 400, b"empty"),
        ({"query_string": {"query": "ASK {}", "timeout": "soon"}}, 400, b"timeout"),
        ({"query_string": {"update": "CLEAR ALL"}}, 400, b"read-only"),
        ({"query_string": {"query": "INSERT DATA { <a:s> <a:p> <a:o> }"}}, 400, b"read-only"),
        ({"query_string": {"query": "DROP ALL"}}, 400, b"read-only"),
        (
            {
                "method": "POST",
                "data": "update=CLEAR+ALL",
                "content_type": "application/x-www-form-urlencoded",
            },
            400,
            b"read-only",
        ),
        (
            {"method": "POST", "data": "CLEAR ALL", "content_type": "application/sparql-update"},
            400,
            b"read-only",
        ),
        (
            {
                "method": "POST",
                "data": "format=json",
                "content_type": "application/x-www-form-urlencoded",
            },
            400,
            b"no 'query'",
        ),
        (
            {
                "method": "POST",
                "data": "ASK {}",
                "content_type": "application/sparql-query",
                "query_string": {"query": "ASK {}"},
            },
            400,
            b"both",
        ),
        ({"method": "POST", "data": "ASK {}", "content_type": "text/plain"}, 415, b"text/plain"),
        (
            {
                "method": "POST",
                "data": "ASK {}".encode("utf-16"),
                "content_type": "application/sparql-query; charset=UTF-16",
            },
            415,
            b"UTF-8",
        ),
        (
            {"method": "POST", "data": b"ASK { \xff }", "content_type": "application/sparql-query"},
            400,
            b"UTF-8",
        ),
        ({"method": "PUT", "query_string": {"query": "ASK {}"}}, 405, b"read-only"),
        ({"method": "DELETE"}, 405, b"GET or POST"),
        ({"method": "PATCH"}, 405, b"GET or POST"),
    ],
)
def test_bad_requests(client, kwargs, status, needle):
    kwargs = dict(kwargs)
    method = kwargs.pop("method", "GET")
    r = client.open("/sparql", method=method, **kwargs)
    assert r.status_code == status, r.data
    assert needle in r.data
    assert b"Traceback" not in r.data
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    if status == 405:
        assert r.headers["Allow"] == "GET, HEAD, POST, OPTIONS"


def test_post_without_content_type_is_415(live_server):
    for body in (b"query=ASK%20%7B%7D", b"ASK {}"):
        status, headers, text = raw_call(live_server, "POST", "/sparql", body=body)
        assert status == 415 and b"Content-Type" in text
        assert headers["access-control-allow-origin"] == "*"


def test_unlisted_method_gets_405_with_allow_and_cors(live_server):
    status, headers, _ = raw_call(live_server, "PROPFIND", "/sparql")
    assert status == 405
    assert headers["allow"] == "GET, HEAD, POST, OPTIONS"
    assert headers["access-control-allow-origin"] == "*"


def test_too_large_query_is_413(app, demo_store):
    small = create_app(
        {"TESTING": True, "CCKG_STORE_OBJECT": demo_store, "CCKG_SPARQL_MAX_QUERY_BYTES": 100}
    )
    r = small.test_client().post(
        "/sparql", data="ASK {}" + " " * 200, content_type="application/sparql-query"
    )
    assert r.status_code == 413


# ---------------------------------------------------------------- SERVICE and guard


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
        "SELECT * WHERE { service silent <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
        "SELECT * WHERE { ?s ?p ?o .SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }",
        "PREFIX ex: <http://ex/> SELECT * WHERE { ?s ?p ex:a\\# . "
        "SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }",
        "SELECT * WHERE { ?s ?p ?o # it's a comment\n SERVICE <http://127.0.0.1:9/> { ?x ?y ?z } }",
        "SELECT * WHERE { ?s ?p 'x' . SERVICE ?endpoint { ?a ?b ?c } "
        "VALUES ?endpoint { <http://127.0.0.1:9/> } }",
        "SELECT * WHERE { \\u0053ERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }",
    ],
)
def test_service_is_refused(client, query):
    r = client.get("/sparql", query_string={"query": query})
    assert r.status_code == 400
    assert r.data == b"SERVICE is not allowed: this endpoint only queries its own data\n"


@pytest.mark.parametrize(
    "query",
    [
        "SELECT ?service WHERE { ?service ?p 'SERVICE' } LIMIT 1",
        "PREFIX service: <http://ex/> SELECT * WHERE { ?s service:x <http://ex/SERVICE> } LIMIT 1",
        "SELECT * WHERE { ?s ?p ?o } LIMIT 1 # SERVICE <http://ex/>",
        'SELECT * WHERE { ?s ?p """ SERVICE <http://ex/> { } """ } LIMIT 1',
    ],
)
def test_the_word_service_elsewhere_is_fine(client, query):
    r = client.get("/sparql", query_string={"query": query})
    assert r.status_code == 200, r.data


def test_guard_agrees_with_pyoxigraph_on_service():
    """Every variant pyoxigraph executes as SERVICE (it tries the forbidden port 9) must be
    flagged by the lexical guard."""
    store = ox.Store()  # one triple in the default graph, so joins reach the SERVICE
    store.add(ox.Quad(ox.BlankNode("b"), ox.NamedNode("http://ex/p"), ox.Literal("a")))
    variants = [
        "SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }",
        "SELECT * WHERE { ?s ?p ?o .SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }",
        "SELECT * WHERE { {} sErViCe <http://127.0.0.1:9/> { ?s ?p ?o } }",
        "PREFIX ex: <http://ex/> SELECT * WHERE { ?s ?p ?o OPTIONAL { ?s ?p ex:o\\# } "
        "SERVICE <http://127.0.0.1:9/> {} }",
        "SELECT * WHERE { ?s ?p 'a' # it's\n SERVICE <http://127.0.0.1:9/> { } }",
        "SELECT * WHERE { ?s ?p 'a'.SERVICE <http://127.0.0.1:9/> { } }",
        "SELECT * WHERE { _:b ?p ?o . SERVICE <http://127.0.0.1:9/> { } }",
        "SELECT * WHERE { ?s ?p ?o OPTIONAL { SERVICE <http://127.0.0.1:9/> { } } }",
        "SELECT * WHERE { ?s ?p ?o MINUS { SERVICE SILENT <http://127.0.0.1:9/> { } } }",
        "SELECT * WHERE { ?s ?p ?o . SERVICE\t<http://127.0.0.1:9/>{} }",
        "SELECT * WHERE {?s ?p ?o}SERVICE<http://127.0.0.1:9/>{?s ?p ?o}",  # not valid SPARQL
        "SELECT * WHERE { \\u0053ERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }",  # not decoded
    ]
    executed = 0
    for q in variants:
        assert scan(q).uses_service, q
        try:
            list(store.query(q))
        except OSError:  # pyoxigraph tried the HTTP request
            executed += 1
        except (SyntaxError, RuntimeError):
            pass
    assert executed >= 8


@pytest.mark.parametrize(
    ("query", "form", "from_graphs", "from_named"),
    [
        ("SELECT * WHERE { ?s ?p ?o }", "SELECT", [], []),
        ("# comment\nPREFIX a: <http://a/>\nask {}", "ASK", [], []),
        ("DESCRIBE <http://ex/x>", "DESCRIBE", [], []),
        ("CONSTRUCT WHERE { ?s ?p ?o }", "CONSTRUCT", [], []),
        ("INSERT DATA { <a:b> <a:c> <a:d> }", "INSERT", [], []),
        ("WITH <http://g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }", "WITH", [], []),
        (
            "PREFIX g: <http://g/> SELECT * FROM g:a FROM NAMED g:b\\-c WHERE { ?s ?p ?o }",
            "SELECT",
            ["http://g/a"],
            ["http://g/b-c"],
        ),
        (
            "BASE <http://h/x/> SELECT * FROM <g> FROM NAMED <../n> WHERE { ?s ?p ?o }",
            "SELECT",
            ["http://h/x/g"],
            ["http://h/n"],
        ),
        (
            "CONSTRUCT { ?s ?p ?o . { } } FROM <http://g/a> WHERE { ?s ?p ?o FROM <http://x> }",
            "CONSTRUCT",
            ["http://g/a"],
            [],
        ),
        ("SELECT * WHERE { ?s ?p 'FROM <http://x>' }", "SELECT", [], []),
    ],
)
def test_guard_scan(query, form, from_graphs, from_named):
    info = scan(query, "http://endpoint.example/sparql")
    assert (info.form, info.from_graphs, info.from_named) == (form, from_graphs, from_named)
    assert not info.uses_service


def test_from_is_honoured_in_construct(client):
    solutions = f"{BASE}graph/curated/solutions"
    q = f"CONSTRUCT {{ ?s ?p ?o }} FROM <{solutions}> WHERE {{ ?s ?p ?o }}"
    r = client.get(
        "/sparql", query_string={"query": q}, headers={"Accept": "application/n-triples"}
    )
    expected = count(
        client, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", **{"default-graph-uri": solutions}
    )
    assert len([line for line in r.data.splitlines() if line.strip()]) == expected


# ---------------------------------------------------------------- service description


def test_service_description(live_server, demo_store):
    status, headers, body = http_call(f"{live_server}/sparql", headers={"Accept": "text/turtle"})
    assert status == 200 and content_type(headers) == "text/turtle"
    g = Graph().parse(data=body, format="turtle")
    service = next(g.subjects(RDF.type, SD.Service))
    assert g.value(service, SD.endpoint) == URIRef(f"{live_server}/sparql")
    assert (service, SD.supportedLanguage, SD.SPARQL11Query) in g
    formats = set(g.objects(service, SD.resultFormat))
    for name in ("SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV", "Turtle"):
        assert URIRef(f"http://www.w3.org/ns/formats/{name}") in formats
    dataset = g.value(service, SD.defaultDataset)
    names = {str(g.value(ng, SD.name)) for ng in g.objects(dataset, SD.namedGraph)}
    assert names == {str(x) for x in demo_store.public_graphs()}
    assert PRIVATE not in names
    assert g.value(dataset, SD.defaultGraph) is not None


@pytest.mark.parametrize(
    ("accept", "expected", "rdflib_format"),
    [
        (None, "text/turtle", "turtle"),
        ("*/*", "text/turtle", "turtle"),
        (COMUNICA_SNIFF_ACCEPT, "application/n-quads", "nquads"),
        ("application/ld+json", "application/ld+json", "json-ld"),
        ("application/rdf+xml", "application/rdf+xml", "xml"),
        ("application/n-triples", "application/n-triples", "nt"),
    ],
)
def test_service_description_conneg(client, accept, expected, rdflib_format):
    r = client.get("/sparql", headers={"Accept": accept} if accept else {})
    assert r.status_code == 200 and r.mimetype == expected
    g = Dataset() if rdflib_format == "nquads" else Graph()
    g.parse(data=r.data, format=rdflib_format)
    assert (None, SD.endpoint, URIRef("http://localhost/sparql")) in g


def test_browser_gets_an_html_form(client):
    r = client.get("/sparql", headers={"Accept": BROWSER_ACCEPT})
    assert r.status_code == 200 and r.mimetype == "text/html"
    assert b"<form" in r.data and b'name="query"' in r.data
    assert PRIVATE.encode() not in r.data


def test_forwarded_headers_only_when_configured(demo_store):
    fwd = {
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "kg.example.net",
        "Accept": "text/turtle",
    }
    plain = create_app({"TESTING": True, "CCKG_STORE_OBJECT": demo_store})
    g = Graph().parse(data=plain.test_client().get("/sparql", headers=fwd).data, format="turtle")
    assert (None, SD.endpoint, URIRef("http://localhost/sparql")) in g
    proxied = create_app(
        {"TESTING": True, "CCKG_STORE_OBJECT": demo_store, "CCKG_TRUSTED_PROXIES": 1}
    )
    g = Graph().parse(data=proxied.test_client().get("/sparql", headers=fwd).data, format="turtle")
    assert (None, SD.endpoint, URIRef("https://kg.example.net/sparql")) in g


# ---------------------------------------------------------------- CORS


def test_cors_on_answers_and_errors(live_server):
    for params in ({"query": SOLUTION_COUNT}, {"query": "SELECT {"}, None):
        status, headers, _ = http_call(f"{live_server}/sparql", params=params)
        assert headers["Access-Control-Allow-Origin"] == "*", status
    status, headers, _ = sparql_get(live_server, SOLUTION_COUNT)
    assert "X-CCKG-Truncated" in headers["Access-Control-Expose-Headers"]


def test_preflight(live_server):
    status, headers, body = raw_call(
        live_server,
        "OPTIONS",
        "/sparql",
        headers={
            "Origin": "https://yasgui.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, x-requested-with",
        },
    )
    assert status == 204 and body == b""
    assert headers["access-control-allow-origin"] == "*"
    assert "POST" in headers["access-control-allow-methods"]
    assert "content-type" in headers["access-control-allow-headers"].lower()
    assert "x-requested-with" in headers["access-control-allow-headers"].lower()


# ---------------------------------------------------------------- limits


@pytest.mark.slow
def test_timeout_is_503_while_other_requests_are_answered(live_server, app):
    outcome: dict = {}

    def slow() -> None:
        t0 = time.monotonic()
        outcome["response"] = sparql_get(live_server, SLOW_QUERY, timeout="2")
        outcome["seconds"] = time.monotonic() - t0

    pool = pool_for(app)
    assert sparql_get(live_server, "ASK {}")[0] == 200  # workers are up
    killed_before, pids_before = pool.killed, set(pool.pids())
    thread = threading.Thread(target=slow)
    thread.start()
    time.sleep(0.4)  # the slow query is running in a worker now
    fast = []
    for _ in range(3):
        t0 = time.monotonic()
        status, _, body = http_call(f"{live_server}/health")
        assert status == 200
        status, _, body = sparql_get(live_server, "ASK { ?s ?p ?o }")
        assert status == 200 and json.loads(body)["boolean"] is True
        fast.append(time.monotonic() - t0)
    thread.join(30)
    status, headers, body = outcome["response"]
    assert status == 503
    assert body == b"query exceeded the 2 s time limit\n"
    assert headers["Retry-After"] == "2"
    assert 1.9 <= outcome["seconds"] < 4.0, outcome["seconds"]
    assert max(fast) < 1.5, fast
    assert pool.killed == killed_before + 1
    # the killed worker is gone and replaced: the endpoint keeps answering
    deadline = time.monotonic() + 10
    while len(pool.pids()) < pool.size and time.monotonic() < deadline:
        time.sleep(0.05)
    gone = pids_before - set(pool.pids())
    assert len(gone) == 1 and not any(alive(pid) for pid in gone)
    assert sparql_get(live_server, SOLUTION_COUNT)[0] == 200


def alive(pid: int) -> bool:
    """True for a running process (a zombie counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def children_of(pid: int) -> list[int]:
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


def test_workers_see_writes_made_by_the_server(tmp_path):
    """Workers open the store read-only while the server holds it read-write; they reopen it
    when the server has committed, so answers follow the server's writes."""
    store = EmbeddedStore(tmp_path / "store")

    def graph_of(*labels: str) -> Graph:
        g = Graph()
        for label in labels:
            g.add((URIRef(f"{BASE}id/city/{label.lower()}"), RDFS.label, Literal(label)))
        return g

    one, two = URIRef(f"{BASE}graph/curated/one"), URIRef(f"{BASE}graph/curated/two")
    store.replace_graphs({one: [graph_of("A")]})
    wapp = create_app({"TESTING": True, "CCKG_STORE_OBJECT": store, "CCKG_SPARQL_WORKERS": 1})
    c = wapp.test_client()
    q = "SELECT ?l WHERE { ?s ?p ?l } ORDER BY ?l"

    def labels() -> list[str]:
        r = c.get("/sparql", query_string={"query": q})
        assert r.status_code == 200, r.data
        return [b["l"]["value"] for b in r.get_json()["results"]["bindings"]]

    try:
        assert labels() == ["A"]
        store.replace_graphs({two: [graph_of("B")]})  # a new graph: transactional load
        assert labels() == ["A", "B"]
        store.replace_graphs({one: [graph_of("C", "D")]})  # staging graph + MOVE
        assert labels() == ["B", "C", "D"]
    finally:
        close_pool(wapp)
        store.close()


# `cckg serve` on a busy 2-core machine (a full `make test` beside other work): starting the
# server and its workers has taken most of a minute, and stopping it several seconds (before
# the serve command froze its heap on the way out, the exit garbage-collected all of it). The
# limits only bound a failing run: the test waits for events (an answer, the process exits).
SERVE_START_S = 180
SERVE_STOP_S = 120
WORKERS_GONE_S = 60


def _answer(proc: subprocess.Popen, base: str, query: str, log: Path) -> bytes:
    """The first 200 answer of ``cckg serve`` to ``query``: polled, since the server must come
    up and start its workers (meanwhile 503, all workers busy); fails when the server exits."""
    deadline = time.monotonic() + SERVE_START_S
    last: object = None
    while True:
        if proc.poll() is not None:
            pytest.fail(f"cckg serve exited {proc.returncode}:\n{log.read_text(errors='replace')}")
        try:
            status, _, body = sparql_get(base, query)
            if status == 200:
                return body
            last = (status, body[:300])
        except OSError as e:  # not listening yet
            last = e
        if time.monotonic() > deadline:
            pytest.fail(f"cckg serve did not answer in {SERVE_START_S} s (last: {last!r})")
        time.sleep(0.2)


def _pidfds(pids: list[int]) -> dict[int, int]:
    """pidfd -> pid of running processes (not our children): readable once the process has
    exited, and immune to the pid being reused meanwhile."""
    fds = {}
    for pid in pids:
        try:
            fds[os.pidfd_open(pid)] = pid
        except ProcessLookupError:  # gone already
            pass
    return fds


def _still_running(fds: dict[int, int], timeout: float) -> list[int]:
    """Wait up to ``timeout`` seconds for the processes of ``fds`` to exit; closes the fds and
    returns the pids of those that did not."""
    poller = select.poll()
    for fd in fds:
        poller.register(fd, select.POLLIN)
    left = dict(fds)
    deadline = time.monotonic() + timeout
    try:
        while left and (remaining := deadline - time.monotonic()) > 0:
            for fd, _ in poller.poll(remaining * 1000):
                poller.unregister(fd)
                left.pop(fd)
    finally:
        for fd in fds:
            os.close(fd)
    return sorted(left.values())


@contextlib.contextmanager
def _children_take_ctrl_c() -> Iterator[None]:
    """Start children with SIGINT at its default, as in a terminal. A signal this process
    ignores stays ignored across exec, and it ignores SIGINT when the test run was started as
    a background job of a non-interactive shell (`make test &` in a script, some CI runners):
    Python then never turns SIGINT into KeyboardInterrupt, and `cckg serve` would not stop.
    Any handler of ours is reset to the default in the child at exec."""
    ignored = signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    if ignored:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        if ignored:
            signal.signal(signal.SIGINT, signal.SIG_IGN)


@pytest.mark.server
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_cckg_serve_stops_its_workers(tmp_path, sig):
    path = tmp_path / "store"
    store = EmbeddedStore(path)
    store.replace_graphs(
        {
            URIRef(f"{BASE}graph/curated/one"): [
                Graph().parse(
                    data=f"<{BASE}id/city/a> <http://www.w3.org/2000/01/rdf-schema#label> 'A' .",
                    format="turtle",
                )
            ]
        }
    )
    store.close()
    port = free_port()
    log = tmp_path / "serve.log"
    # `python -m cckg.cli serve` is `cckg serve`, without depending on the console script
    with log.open("wb") as log_file, _children_take_ctrl_c():
        proc = subprocess.Popen(
            [sys.executable, "-m", "cckg.cli", "serve", "--port", str(port)],
            cwd=ROOT,
            env={**os.environ, "CCKG_STORE": str(path)},
            stdout=subprocess.DEVNULL,
            stderr=log_file,
        )
    try:
        body = _answer(proc, f"http://127.0.0.1:{port}", "SELECT ?l WHERE { ?s ?p ?l }", log)
        assert b'"A"' in body
        workers = children_of(proc.pid)
        assert workers, "no query worker processes"
        watched = _pidfds(workers)  # before the signal
        proc.send_signal(sig)
        try:
            proc.wait(timeout=SERVE_STOP_S)
        except subprocess.TimeoutExpired:
            pytest.fail(f"cckg serve did not stop in {SERVE_STOP_S} s after {sig.name}")
        outlived = _still_running(watched, WORKERS_GONE_S)
        assert not outlived, f"workers outlived cckg serve: {outlived}"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_client_can_only_lower_the_time_limit(demo_store):
    tight = create_app(
        {
            "TESTING": True,
            "CCKG_STORE_OBJECT": demo_store,
            "CCKG_SPARQL_TIMEOUT_S": 1,
            "CCKG_SPARQL_WORKERS": 1,
        }
    )
    try:
        t0 = time.monotonic()
        r = tight.test_client().get("/sparql", query_string={"query": SLOW_QUERY, "timeout": "60"})
        elapsed = time.monotonic() - t0
        assert r.status_code == 503 and r.data == b"query exceeded the 1 s time limit\n"
        assert elapsed < 3.5, elapsed  # includes starting the worker
    finally:
        close_pool(tight)


def test_row_cap_is_signalled_in_headers(live_server):
    # the demo store has ~16,800 public triples: more than the 10,000-row cap
    status, headers, body = sparql_get(
        live_server, "SELECT ?s WHERE { ?s ?p ?o }", accept="text/csv"
    )
    assert status == 200
    assert headers["X-CCKG-Truncated"] == "true"
    assert headers["X-CCKG-Row-Cap"] == "10000"
    assert "truncated" in headers["Warning"]
    rows = list(csv.reader(io.StringIO(body.decode())))
    assert len(rows) == 1 + 10000
    status, headers, _ = sparql_get(
        live_server, "CONSTRUCT WHERE { ?s ?p ?o }", accept="application/n-triples"
    )
    assert headers["X-CCKG-Truncated"] == "true"
    status, headers, _ = sparql_get(live_server, "SELECT ?s WHERE { ?s ?p ?o } LIMIT 10000")
    assert headers["X-CCKG-Truncated"] == "false"


# ---------------------------------------------------------------- private data


def test_the_probes_would_find_the_secrets(demo_store):
    """Sanity check for the probes below: the private graph really holds the secrets."""
    rows = demo_store.select(
        f"SELECT ?o WHERE {{ GRAPH <{PRIVATE}> {{ ?s ?p ?o }} }}", dataset="all"
    )
    values = {str(r["o"]) for r in rows}
    assert set(SECRETS) <= values


PRIVATE_PROBES = [
    "SELECT ?o WHERE { ?s ?p ?o FILTER(isLiteral(?o) && CONTAINS(STR(?o), '@')) }",
    "SELECT ?g ?o WHERE { GRAPH ?g { ?s ?p ?o } FILTER(CONTAINS(STR(?o), 'example.org')) }",
    f"SELECT ?s ?p ?o WHERE {{ GRAPH <{PRIVATE}> {{ ?s ?p ?o }} }}",
    f"SELECT ?o FROM <{PRIVATE}> WHERE {{ ?s ?p ?o }}",
    f"SELECT ?o FROM NAMED <{PRIVATE}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
    f"SELECT ?o WHERE {{ VALUES ?g {{ <{PRIVATE}> }} GRAPH ?g {{ ?s ?p ?o }} }}",
    f"BASE <{BASE}> SELECT ?o FROM <graph/private> WHERE {{ ?s ?p ?o }}",
    f"PREFIX g: <{BASE}graph/> SELECT ?o FROM g:private FROM NAMED g:private "
    "WHERE { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }",
    f"PREFIX cckg: <{CCKG}> "
    "SELECT ?e ?t WHERE { { ?s cckg:email ?e } UNION { ?s cckg:phone ?t } }",
    f"PREFIX cckg: <{CCKG}> SELECT ?e WHERE {{ GRAPH ?g {{ ?s cckg:email|cckg:phone ?e }} }}",
    f"DESCRIBE <{BASE}id/practitioner/example-ana-beispiel>",
    f"DESCRIBE ?s FROM <{PRIVATE}> WHERE {{ ?s ?p ?o }}",
    f"PREFIX cckg: <{CCKG}> CONSTRUCT {{ ?s ?p ?o }} WHERE {{ ?s a cckg:Practitioner ; ?p ?o }}",
    f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{PRIVATE}> {{ ?s ?p ?o }} }}",
    f"SELECT ?o WHERE {{ <{BASE}id/practitioner/example-ana-beispiel> (!<urn:x:none>)* ?o }}",
    f"SELECT ?o WHERE {{ <{BASE}id/practitioner/example-ana-beispiel> (<urn:a>|!<urn:a>)+ ?o "
    "FILTER(isLiteral(?o)) }",
    "SELECT ?o WHERE { { SELECT ?o WHERE { GRAPH ?g { ?s ?p ?o } } } "
    "FILTER(REGEX(STR(?o), '@example\\\\.org$|555 01')) }",
    "SELECT (GROUP_CONCAT(STR(?o); separator='|') AS ?all) "
    "WHERE { ?s ?p ?o FILTER(isLiteral(?o)) }",
    "SELECT (GROUP_CONCAT(STR(?o); separator='|') AS ?all) "
    "WHERE { GRAPH ?g { ?s ?p ?o } FILTER(isLiteral(?o)) }",
    "SELECT DISTINCT ?g WHERE { GRAPH ?g { } }",
    "ASK { GRAPH ?g { ?s ?p 'ana.beispiel@example.org' } }",
    "SELECT ?o WHERE { ?s ?p ?o FILTER(STRENDS(STR(?o), '@example.org')) }",
]


@pytest.mark.parametrize("query", PRIVATE_PROBES)
def test_private_data_never_leaks(live_server, query):
    for accept in ("application/sparql-results+json", "text/tab-separated-values", "text/turtle"):
        status, _, body = sparql_get(live_server, query, accept=accept)
        if status == 406:  # a graph format asked of a SELECT, or the other way round
            continue
        assert status == 200, body
        assert_no_secrets(body)
        assert PRIVATE.encode() not in body
    for params in ({"default-graph-uri": PRIVATE}, {"named-graph-uri": PRIVATE}):
        status, _, body = http_call(
            f"{live_server}/sparql",
            method="POST",
            data=urlencode({"query": query, **params}).encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert status == 200, body
        assert_no_secrets(body)


def test_private_probe_answers_are_empty(client):
    r = client.get(
        "/sparql",
        query_string={"query": "ASK { GRAPH ?g { ?s ?p 'ana.beispiel@example.org' } }"},
    )
    assert r.get_json()["boolean"] is False
    q = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{PRIVATE}> {{ ?s ?p ?o }} }}"
    assert count(client, q) == 0
    r = client.get("/sparql", query_string={"query": "SELECT DISTINCT ?g WHERE { GRAPH ?g { } }"})
    graphs = {b["g"]["value"] for b in r.get_json()["results"]["bindings"]}
    assert PRIVATE not in graphs and graphs


def test_service_to_ourselves_is_refused(live_server):
    q = (
        f"SELECT * WHERE {{ SERVICE <{live_server}/sparql?default-graph-uri={PRIVATE}> "
        "{ ?s ?p ?o } }"
    )
    status, _, body = sparql_get(live_server, q)
    assert status == 400 and b"SERVICE is not allowed" in body


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
    """A fake remote store: lists one graph at once, never answers any other query."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    release = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # keep the test output clean
            pass

        def _answer(self, query: str) -> None:
            if "GRAPH ?g" in query and "GROUP BY ?g" in query:  # RemoteStore.named_graphs
                body = json.dumps(
                    {
                        "head": {"vars": ["g"]},
                        "results": {
                            "bindings": [
                                {"g": {"type": "uri", "value": f"{BASE}graph/curated/test"}}
                            ]
                        },
                    }
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/sparql-results+json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            else:
                release.wait(10)

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
    assert time.monotonic() - t0 < 3


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


# ---------------------------------------------------------------- W3C protocol manifest


MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
CNT = Namespace("http://www.w3.org/2011/content#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
HTS = "http://www.w3.org/2011/http-statusCodes#StatusCode"
UPDATE_DEVIATIONS = {
    "update_dataset_default_graph",
    "update_dataset_default_graphs",
    "update_dataset_named_graphs",
    "update_dataset_full",
    "update_post_form",
    "update_post_direct",
    "update_base_uri",
}
RESULT_TYPES = {"application/sparql-results+json", "application/sparql-results+xml"}
TABULAR_TYPES = RESULT_TYPES | {"text/csv", "text/tab-separated-values"}
RDF_TYPES = {"application/rdf+xml", "text/turtle", "application/n-triples"}


def _manifest_cases() -> list[tuple[str, list[dict]]]:
    g = Graph().parse(W3C_DIR / "manifest.ttl", format="turtle")
    manifest = next(g.subjects(RDF.type, MF.Manifest))
    cases = []
    for entry in g.items(g.value(manifest, MF.entries)):
        name = str(entry).rsplit("#", 1)[-1]
        action = g.value(entry, MF.action)
        requests = []
        for req in g.items(g.value(action, HT.requests)):
            headers = (
                {
                    str(g.value(h, HT.fieldName)): str(g.value(h, HT.fieldValue))
                    for h in g.items(g.value(req, HT.headers))
                }
                if g.value(req, HT.headers)
                else {}
            )
            body = g.value(g.value(req, HT.body), CNT.chars) if g.value(req, HT.body) else None
            resp = g.value(req, HT.resp)
            requests.append(
                {
                    "method": str(g.value(req, HT.methodName)),
                    "path": str(g.value(req, HT.absolutePath)).replace("/sparql/", "/sparql", 1),
                    "headers": headers,
                    "body": None if body is None else str(body),
                    "status": {
                        str(s).removeprefix(HTS)[0] for s in g.objects(resp, MF.expectedStatus)
                    },
                    "format": str(g.value(resp, MF.expectedFormat) or ""),
                    "boolean": g.value(resp, MF.expectedBoolean),
                }
            )
        cases.append((name, requests))
    return cases


W3C_CASES = _manifest_cases()


@pytest.fixture(scope="module")
def w3c_server(tmp_path_factory) -> Iterator[str]:
    """The app over a store holding the manifest's graphs (plus a private graph), behind
    waitress, so the protocol cases run against a real server."""
    from waitress.server import create_server

    path = tmp_path_factory.mktemp("w3c") / "store"
    store = EmbeddedStore(path)
    for n in (1, 2, 3):
        store.raw.load(
            (W3C_DIR / f"data{n}.nt").read_bytes(),
            format=ox.RdfFormat.N_TRIPLES,
            to_graph=ox.NamedNode(f"http://kasei.us/2009/09/sparql/data/data{n}.rdf"),
        )
    store.raw.add(
        ox.Quad(
            ox.NamedNode("http://ex/p"),
            ox.NamedNode(f"{CCKG}email"),
            ox.Literal("w3c@example.org"),
            ox.NamedNode(PRIVATE),
        )
    )
    w3c_app = create_app({"TESTING": True, "CCKG_STORE_OBJECT": store})
    server = create_server(w3c_app, host="127.0.0.1", port=free_port(), threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.effective_port}"
    yield base
    close_pool(w3c_app)
    server.close()
    store.close()


@pytest.mark.parametrize(("name", "requests"), W3C_CASES, ids=[c[0] for c in W3C_CASES])
def test_w3c_protocol_manifest(w3c_server, name, requests):
    for i, req in enumerate(requests):
        charset = "utf-16" if "UTF-16" in req["headers"].get("content-type", "") else "utf-8"
        body = None if req["body"] is None else req["body"].encode(charset)
        status, headers, data = raw_call(
            w3c_server, req["method"], req["path"], body, req["headers"]
        )
        assert b"Traceback" not in data
        if name in UPDATE_DEVIATIONS:
            # Deviation: the endpoint is read-only; the update is refused, never executed.
            assert i == 0 and status == 400 and b"read-only" in data
            return
        assert str(status)[0] in req["status"], (name, status, data[:300])
        ctype = headers.get("content-type", "").split(";")[0]
        if req["format"] == "boolean":
            assert ctype in RESULT_TYPES
            fmt = "json" if ctype.endswith("json") else "xml"
            answer = Result.parse(io.BytesIO(data), format=fmt).askAnswer
            if req["boolean"] is not None:
                assert answer is req["boolean"].toPython(), (name, data)
        elif req["format"] == "tabular":
            assert ctype in TABULAR_TYPES
        elif req["format"] == "RDF":
            assert ctype in RDF_TYPES
            Graph().parse(
                data=data,
                format={"text/turtle": "turtle", "application/rdf+xml": "xml"}.get(ctype, "nt"),
            )
        assert_no_secrets(data)
