"""What the /sparql tests share: constants, HTTP helpers, the private values to look for."""

from __future__ import annotations

import http.client
import json
import socket
import urllib.error
import urllib.request
from urllib.parse import urlencode, urlsplit

import yaml
from rdflib import Namespace

from cckg.core import iris
from tests import ROOT

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


def count(client, query: str, **params) -> int:
    r = client.get("/sparql", query_string={"query": query, **params})
    assert r.status_code == 200, r.data
    return int(r.get_json()["results"]["bindings"][0]["n"]["value"])
