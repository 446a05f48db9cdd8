"""The private graph never leaks through /sparql: adversarial probes."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from tests.webapp.sparql.support import (
    BASE,
    CCKG,
    PRIVATE,
    SECRETS,
    assert_no_secrets,
    count,
    http_call,
    sparql_get,
)

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
