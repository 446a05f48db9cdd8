"""The SPARQL 1.1 Protocol at /sparql: GET, form POST and direct POST, every result format parsed
by a real parser, content negotiation, the dataset parameters.
"""

from __future__ import annotations

import csv
import io
import json
from urllib.parse import urlencode

import pyoxigraph as ox
import pytest
from rdflib import Dataset, Graph, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import RDF
from rdflib.query import Result

from tests.webapp.sparql.support import (
    BASE,
    BROWSER_ACCEPT,
    CCKG,
    COMUNICA_SNIFF_ACCEPT,
    CONSTRUCT_LABELS,
    PREFIXES,
    PRIVATE,
    SOLUTION_COUNT,
    SOLUTION_LABELS,
    assert_no_secrets,
    bindings,
    content_type,
    count,
    http_call,
    raw_call,
    sparql_get,
)

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
