"""The store interface, run on both backends (embedded pyoxigraph, real Oxigraph server)."""

from __future__ import annotations

import pytest
from rdflib import Graph, Literal, URIRef

from cckg import iris
from cckg.sparql_text import inject_values
from cckg.store import QuerySyntaxError, canonical_hash

EX = "http://example.org/"
P = URIRef(EX + "p")
EMAIL = URIRef(EX + "email")


def graph_of(*triples) -> Graph:
    g = Graph()
    for t in triples:
        g.add(t)
    return g


def seed(store):
    a, b = URIRef(EX + "a"), URIRef(EX + "b")
    store.replace_graphs(
        {
            iris.graph("curated/one"): [graph_of((a, P, Literal("A", lang="en")), (a, P, b))],
            iris.graph("curated/two"): [graph_of((b, P, Literal("B", lang="de")))],
            iris.private_graph(): [graph_of((a, EMAIL, Literal("a@example.org")))],
        }
    )


def test_public_graphs_exclude_private(store):
    seed(store)
    assert iris.private_graph() in store.named_graphs()
    assert iris.private_graph() not in store.public_graphs()
    assert len(store.public_graphs()) == 2


def test_default_graph_is_union_of_public_graphs(store):
    seed(store)
    rows = store.select("SELECT ?s ?o WHERE { ?s ?p ?o }")
    assert len(rows) == 3
    assert not any(str(r["o"]) == "a@example.org" for r in rows)


@pytest.mark.parametrize(
    "query",
    [
        "SELECT ?o WHERE { GRAPH ?g { ?s ?p ?o } }",
        "SELECT ?o FROM <https://w3id.org/cckg/graph/private> WHERE { ?s ?p ?o }",
        "SELECT ?o FROM NAMED <https://w3id.org/cckg/graph/private> "
        "WHERE { GRAPH ?g { ?s ?p ?o } }",
        "SELECT ?o WHERE { GRAPH <https://w3id.org/cckg/graph/private> { ?s ?p ?o } }",
        "SELECT ?o WHERE { ?s <http://example.org/email>|<http://example.org/p>* ?o }",
    ],
)
def test_private_data_never_reaches_public_queries(store, query):
    seed(store)
    rows = store.select(query)
    assert all(str(r.get("o")) != "a@example.org" for r in rows)


def test_all_dataset_sees_private_graph(store):
    seed(store)
    rows = store.select("SELECT ?o WHERE { GRAPH ?g { ?s ?p ?o } }", dataset="all")
    assert "a@example.org" in {str(r["o"]) for r in rows}


def test_bindings_are_values_not_text(store):
    seed(store)
    rows = store.select("SELECT ?o WHERE { ?s ?p ?o }", {"s": URIRef(EX + "a")})
    assert {str(r["o"]) for r in rows} == {"A", EX + "b"}
    hostile = Literal('x" } ; DROP ALL ; SELECT * { ?s ?p "')
    assert store.select("SELECT ?s WHERE { ?s ?p ?o }", {"o": hostile}) == []
    assert store.ask("ASK { ?s ?p ?o }", {"o": Literal("B", lang="de")})


def test_construct_and_ask(store):
    seed(store)
    g = store.construct("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", {"p": P})
    assert len(g) == 3
    assert not store.ask("ASK { ?s ?p 'nothing' }")


def test_replace_is_idempotent_and_replaces(store):
    seed(store)
    before = canonical_hash(store.export_nquads())
    seed(store)
    assert canonical_hash(store.export_nquads()) == before
    store.replace_graphs(
        {iris.graph("curated/one"): [graph_of((URIRef(EX + "z"), P, Literal("Z")))]}
    )
    rows = store.select(
        "SELECT ?s WHERE { GRAPH ?g { ?s ?p ?o } }", {"g": iris.graph("curated/one")}
    )
    assert {str(r["s"]) for r in rows} == {EX + "z"}
    # no staging graph is left behind
    assert not [g for g in store.named_graphs() if "/staging/" in g]


def test_syntax_error_is_reported(store):
    with pytest.raises(QuerySyntaxError):
        store.select("SELECT ?s WHERE { ?s ?p }")


def test_inject_values_refuses_unsafe_iris():
    with pytest.raises(ValueError):
        inject_values("SELECT ?s WHERE { ?s ?p ?o }", {"s": URIRef("http://x/> } DROP ALL {")})
    q = inject_values(
        'PREFIX x: <http://x/> CONSTRUCT { ?s ?p "{" } WHERE { ?s ?p ?o }',
        {"s": URIRef("http://x/a")},
    )
    assert q.endswith("WHERE { VALUES (?s) { (<http://x/a>) }  ?s ?p ?o }")


def test_substitute_term_serialises_and_skips_strings_and_iris():
    from cckg.sparql_text import substitute_term

    q = 'SELECT ?x WHERE { ?this <http://e/p?this> "?this" . ?thisOther ?p $this } # ?this'
    out = substitute_term(q, "this", URIRef("http://x/a"))
    assert out == (
        'SELECT ?x WHERE { <http://x/a> <http://e/p?this> "?this" . ?thisOther ?p <http://x/a> }'
        " # ?this"
    )
    with pytest.raises(ValueError):
        substitute_term(q, "this", URIRef("http://x/a> } DROP ALL {"))
