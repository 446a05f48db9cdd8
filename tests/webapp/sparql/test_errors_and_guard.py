"""Errors of /sparql (400, 405, 406, 413, 415), the SERVICE guard, the service description and
CORS.
"""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from rdflib import Dataset, Graph, URIRef
from rdflib.namespace import RDF

from cckg.webapp import create_app
from cckg.webapp.sparql_guard import scan
from tests.webapp.sparql.support import (
    BASE,
    BROWSER_ACCEPT,
    COMUNICA_SNIFF_ACCEPT,
    PRIVATE,
    SD,
    SOLUTION_COUNT,
    content_type,
    count,
    http_call,
    raw_call,
    sparql_get,
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
