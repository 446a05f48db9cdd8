"""Adversarial probes against the live server: no private triple, no 5xx, no traceback.

The private graph holds the example practitioners' e-mail addresses and phone numbers. Each
probe is sent over real HTTP (waitress); every response body and header is searched for
every private literal, for the private graph's IRI in results, and for traceback text.
"""

from __future__ import annotations

import http.client
import json
import urllib.parse

import pytest

from cckg.core import iris

BASE = "https://w3id.org/cckg/"
ANA = f"{BASE}id/practitioner/example-ana-beispiel"
PRIVATE = str(iris.private_graph(BASE))
TRACE_MARKERS = ("Traceback (most recent call last)", 'File "/', "site-packages", "Error at 0x")

SPARQL_PROBES = [
    f"SELECT * WHERE {{ GRAPH <{PRIVATE}> {{ ?s ?p ?o }} }}",
    "SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }",
    f"SELECT * FROM <{PRIVATE}> WHERE {{ ?s ?p ?o }}",
    f"SELECT * FROM NAMED <{PRIVATE}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
    f"DESCRIBE <{ANA}>",
    f"CONSTRUCT {{ <{ANA}> ?p ?o }} WHERE {{ <{ANA}> ?p ?o }}",
    f"SELECT ?o WHERE {{ <{ANA}> (<>|!<>)* ?o }}",
    f"SELECT ?o WHERE {{ <{ANA}> !(<x:nothing>)+ ?o }}",
    "SELECT ?o WHERE { ?s ?p ?o FILTER(CONTAINS(STR(?o), '@example.org')) }",
    "SELECT ?o WHERE { ?s ?p ?o FILTER(STRSTARTS(STR(?o), 'mailto:')) }",
    "SELECT ?o WHERE { ?s ?p ?o FILTER(STRSTARTS(STR(?o), '+00')) }",
    "SELECT ?g WHERE { GRAPH ?g { } }",
    f"ASK {{ GRAPH <{PRIVATE}> {{ ?s ?p ?o }} }}",
    "SELECT * WHERE { SERVICE <http://127.0.0.1:1/sparql> { ?s ?p ?o } }",
    f"SELECT * WHERE {{ SERVICE SILENT <{PRIVATE}> {{ ?s ?p ?o }} }}",
    "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g",
    f"SELECT * WHERE {{ VALUES ?g {{ <{PRIVATE}> }} GRAPH ?g {{ ?s ?p ?o }} }}",
    "SELECT * WHERE { ?s ?p ?o } LIMIT 100000000",
    f"INSERT DATA {{ GRAPH <{PRIVATE}> {{ <x:a> <x:b> <x:c> }} }}",
    "SELECT * WHERE { ?s ?p ?o FILTER(REGEX(STR(?o), '^(a+)+$')) }",
    "SELECT * WHERE { ?s ?p ?o " + "{ " * 2000 + "} " * 2000 + "}",
    'SELECT * WHERE { ?s ?p "\u202e\u0000gro.elpmaxe@" }',
]

EVIL_TEXT = [
    "\"'}; INSERT DATA { GRAPH <x:g> { <x:a> <x:b> <x:c> } } #",
    "} } UNION { GRAPH ?g { ?s ?p ?o } } #",
    "ana.beispiel@example.org",
    "\u202eexample.org\u202c",
    "a\x00b",
    "\U0001f600" * 50 + "\u0301" * 200,
    "%00%2e%2e%2f",
    "\\u0022 ; DROP ALL",
]

PATH_PROBES = [
    "/id/practitioner/../../graph/private",
    "/id/practitioner/%2e%2e/%2e%2e/graph/private",
    "/id/practitioner/..%2f..%2fgraph%2fprivate",
    "/id/practitioner/example-ana-beispiel%00.ttl",
    "/id/..%252f..%252fetc%252fpasswd/x",
    "/id/practitioner/example-ana-beispiel?_mediatype=text/turtle",
    "/id/practitioner/example-ana-beispiel?_mediatype=application/n-triples",
    "/id/practitioner/example-ana-beispiel?_mediatype=application/ld%2Bjson",
    "/id/practitioner/%E2%80%AEniebsieb-ana-elpmaxe",
    "/id/practitioner/" + "a" * 5000,
    "/graph/private",
    "/data?graph=" + urllib.parse.quote(PRIVATE),
    "/update",
    "/static/../../../etc/passwd",
    "/static/%2e%2e/%2e%2e/cckg/settings.py",
    "/api/search?q=%FF%FE%ED%A0%BD",  # invalid UTF-8, a lone surrogate
    "/api/match?text=%C0%AE%C0%AE%C0%AF",  # overlong UTF-8 for ../
    "/search?q=%C0%80",  # overlong NUL
    "/sparql?query=%C0%80SELECT%20*%20WHERE%20%7B%7D",
]


def _request(
    base: str,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    host, port = base.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=60)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read()
    finally:
        conn.close()


@pytest.fixture(scope="module")
def secrets(demo_store) -> list[str]:
    """Every literal in the private graph (e-mails, phones): none may ever be served."""
    rows = demo_store.select(
        "SELECT DISTINCT ?o WHERE { GRAPH ?g { ?s ?p ?o } FILTER(isLiteral(?o) || "
        "STRSTARTS(STR(?o), 'mailto:') || STRSTARTS(STR(?o), 'tel:')) }",
        {"g": iris.private_graph()},
        dataset="all",
    )
    values = sorted({str(r["o"]) for r in rows if len(str(r["o"]).strip()) >= 6})
    values = [v for v in values if "@" in v or v.startswith(("+", "tel:", "mailto:"))]
    assert any("@example.org" in v for v in values), values
    return values


def check(
    status: int, headers: dict[str, str], body: bytes, secrets: list[str], echo: str = ""
) -> None:
    """No 5xx, no traceback, no private literal (``echo``, the probe's own input, may be
    repeated back: a search page shows what was searched for)."""
    assert status < 500, (status, body[:300])
    text = body.decode("utf-8", "replace") + json.dumps(headers)
    if echo:
        for form in (
            echo,
            json.dumps(echo)[1:-1],
            urllib.parse.quote(echo),
            urllib.parse.quote_plus(echo),
            echo.replace("@", "&#64;"),
        ):
            text = text.replace(form, "")
    for marker in TRACE_MARKERS:
        assert marker not in text, marker
    for secret in secrets:
        for variant in {secret, secret.replace("+", "%2B"), secret.replace(" ", "%20")}:
            assert variant not in text, f"private literal {secret!r} leaked"
    # The private graph's IRI may only appear inside an error message, never as data.
    assert f"<{PRIVATE}>" not in text.replace(f"<{PRIVATE}> ", "") or status >= 400


@pytest.mark.parametrize("query", SPARQL_PROBES, ids=range(len(SPARQL_PROBES)))
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_sparql_probe(live_server, secrets, query, method):
    accept = "application/sparql-results+json, application/n-triples;q=0.9"
    if method == "GET":
        path = "/sparql?" + urllib.parse.urlencode({"query": query})
        status, headers, body = _request(live_server, "GET", path, headers={"Accept": accept})
    else:
        status, headers, body = _request(
            live_server,
            "POST",
            "/sparql",
            query.encode("utf-8"),
            {"Content-Type": "application/sparql-query", "Accept": accept},
        )
    check(status, headers, body, secrets)
    if "INSERT" in query:
        assert status == 400


@pytest.mark.parametrize("text", EVIL_TEXT, ids=range(len(EVIL_TEXT)))
@pytest.mark.parametrize(
    "route",
    [
        "/api/search?q=",
        "/api/match?text=",
        "/search?q=",
        "/api/match?theme=",
        "/api/search?kind=",
        "/api/match?city=",
    ],
)
def test_search_and_match_probe(live_server, secrets, route, text):
    path = route + urllib.parse.quote(text, safe="")
    check(*_request(live_server, "GET", path), secrets, echo=text)


@pytest.mark.parametrize("path", PATH_PROBES, ids=range(len(PATH_PROBES)))
def test_path_probe(live_server, secrets, path):
    status, headers, body = _request(live_server, "GET", path, headers={"Accept": "*/*"})
    check(status, headers, body, secrets)
    assert b"root:" not in body


def test_practitioner_page_has_no_contact_data(live_server, secrets):
    for mt in ["text/html", "text/turtle", "application/ld+json", "application/rdf+xml"]:
        status, headers, body = _request(
            live_server, "GET", "/id/practitioner/example-ana-beispiel", headers={"Accept": mt}
        )
        assert status in (200, 404, 406)
        check(status, headers, body, secrets)


@pytest.mark.parametrize(
    "route,size", [("/sparql", 1_000_000), ("/api/match", 100_000), ("/api/search", 100_000)]
)
def test_huge_inputs(live_server, secrets, route, size):
    if route == "/sparql":
        query = "SELECT * WHERE { ?s ?p ?o FILTER(?o = '" + "x" * size + "') }"
        result = _request(
            live_server,
            "POST",
            "/sparql",
            query.encode(),
            {"Content-Type": "application/sparql-query"},
        )
        assert result[0] in (400, 413)
    else:
        key = "text" if route == "/api/match" else "q"
        path = f"{route}?{key}=" + "word%20" * (size // 7)
        result = _request(live_server, "GET", path)
    check(*result, secrets)


def test_huge_get_query_is_refused_cleanly(live_server, secrets):
    path = "/sparql?query=" + urllib.parse.quote("SELECT * WHERE { ?s ?p ?o } #" + "y" * 60_000)
    check(*_request(live_server, "GET", path), secrets)


def test_dump_and_void_have_no_private_data(live_server, secrets):
    for path in ["/dataset", "/.well-known/void"]:
        status, headers, body = _request(
            live_server, "GET", path, headers={"Accept": "text/turtle"}
        )
        check(status, headers, body, secrets)
        assert PRIVATE.encode() not in body
