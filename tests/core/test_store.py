"""The store interface, run on every backend: embedded pyoxigraph, a real Oxigraph server and a
real Virtuoso (the remote ones through the same SPARQL 1.1 Protocol client)."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.compare import isomorphic

from cckg.core import iris
from cckg.core.sparql_text import inject_values
from cckg.core.store import QuerySyntaxError, RemoteStore, StoreError, canonical_hash

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
        # Paths start from a bound node: Virtuoso cannot evaluate one open at both ends
        # ("transitive start not given").
        "PREFIX ex: <http://example.org/> SELECT ?o WHERE { ex:a ex:email|ex:p* ?o }",
        "SELECT ?o WHERE { ?s ?q ?x . ?s (<http://example.org/email>|<http://example.org/p>)* ?o }",
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
    from cckg.core.sparql_text import substitute_term

    q = 'SELECT ?x WHERE { ?this <http://e/p?this> "?this" . ?thisOther ?p $this } # ?this'
    out = substitute_term(q, "this", URIRef("http://x/a"))
    assert out == (
        'SELECT ?x WHERE { <http://x/a> <http://e/p?this> "?this" . ?thisOther ?p <http://x/a> }'
        " # ?this"
    )
    with pytest.raises(ValueError):
        substitute_term(q, "this", URIRef("http://x/a> } DROP ALL {"))


# ---------------------------------------------------------------- what remote stores change

XSD = "http://www.w3.org/2001/XMLSchema#"
WKT = URIRef("http://www.opengis.net/ont/geosparql#wktLiteral")
Q = URIRef(EX + "q")
NEXT = URIRef(EX + "next")


def typed(value: str, datatype: str) -> Literal:
    return Literal(value, datatype=URIRef(XSD + datatype))


# Every kind of literal the project's data holds, in canonical form.
LITERALS = [
    Literal("Lisboa", lang="pt"),
    Literal("Köln", lang="de"),
    Literal('Zeile 1 "Süd"\nZeile 2\t€ \\ <b>'),
    Literal("14"),
    typed("2019", "gYear"),
    typed("2024-06", "gYearMonth"),
    typed("2021-03-04", "date"),
    typed("2026-11-28T03:26:56.873749Z", "dateTime"),
    typed("1.5", "decimal"),
    typed("42", "integer"),
    typed("true", "boolean"),
    typed("false", "boolean"),
    Literal("POINT(12.14049 54.0887)", datatype=WKT),
    Literal("POINT(-122.41942 37.77493)", datatype=WKT),
]


def test_terms_round_trip(store):
    """Language tags, datatypes and blank nodes come back as they went in, by every way out:
    Virtuoso answers booleans as 1/0, stores WKT as its own geometry type with single-precision
    coordinates and labels blank nodes ``nodeID://…``."""
    a, b = URIRef(EX + "a"), BNode()
    g = graph_of(*[(a, P, lit) for lit in LITERALS], (a, P, b), (b, Q, Literal("inner")))
    name = iris.graph("curated/terms")
    # a typed xsd:string is the same term as the plain literal: it comes back plain
    store.replace_graphs({name: [g, graph_of((a, Q, typed("15", "string")))]})
    g.add((a, Q, Literal("15")))
    rows = store.select("SELECT ?o WHERE { ?s ?p ?o FILTER(isLiteral(?o)) }", {"s": a})
    expected = [*LITERALS, Literal("15")]
    assert sorted(r["o"].n3() for r in rows) == sorted(lit.n3() for lit in expected)
    for lit in LITERALS:  # each value also works as a bound value
        if lit.datatype != WKT:  # Virtuoso refuses a WKT constant ("Bad datatype code")
            assert store.ask("ASK { ?s ?p ?o }", {"o": lit}), lit
    rows = store.select("SELECT ?v WHERE { ?s ?p ?b . ?b ?q ?v FILTER(isBlank(?b)) }", {"s": a})
    assert [r["v"] for r in rows] == [Literal("inner")]
    assert isomorphic(store.construct("CONSTRUCT WHERE { ?s ?p ?o }"), g)
    dumped = Dataset()
    dumped.parse(data=store.export_nquads([name]).decode(), format="nquads")
    assert isomorphic(dumped.graph(name), g)


@pytest.mark.slow
def test_large_graphs_are_written_and_read_whole(store):
    """More triples than one update may hold (Virtuoso's parser stops near 5,000, so a too
    large request is retried in halves) and more rows than a result may hold (Virtuoso's
    ResultSetMaxRows is 1,000 in the test server, signalled only in a header: paged)."""
    n = 5_200
    g = graph_of(*[(URIRef(f"{EX}s{i}"), P, Literal(f"v{i:05d}")) for i in range(n)])
    chain = [BNode() for _ in range(30)]  # linked blank nodes must land in one request
    g.add((URIRef(EX + "head"), NEXT, chain[0]))
    for x, y in zip(chain, chain[1:], strict=False):
        g.add((x, NEXT, y))
    if isinstance(store, RemoteStore):
        store.chunk_triples = 20_000
    name = iris.graph("curated/large")
    store.replace_graphs({name: [g]})
    rows = store.select(f"SELECT ?s ?o WHERE {{ ?s <{P}> ?o }}")
    assert len(rows) == n and len({r["s"] for r in rows}) == n
    rows = store.select(f"SELECT ?o WHERE {{ ?s <{P}> ?o }} ORDER BY DESC(?o)")
    assert [str(r["o"]) for r in rows] == [f"v{i:05d}" for i in reversed(range(n))]
    rows = store.select(f"SELECT ?end WHERE {{ <{EX}head> <{NEXT}>+ ?end }}")
    assert len(rows) == len(chain)
    assert len(store.export_nquads([name]).splitlines()) == len(g)


def test_without_public_graphs_nothing_is_visible(store):
    """Only the private graph: a public query gets an empty dataset, not the store's default
    (which on Virtuoso is every graph). A shared store's own graphs are not ours."""
    store.replace_graphs(
        {iris.private_graph(): [graph_of((URIRef(EX + "a"), EMAIL, Literal("a@example.org")))]}
    )
    assert store.named_graphs() == [iris.private_graph()]
    assert store.public_graphs() == []
    assert store.select("SELECT ?o WHERE { ?s ?p ?o }") == []
    assert store.select("SELECT ?o WHERE { GRAPH ?g { ?s ?p ?o } }") == []
    assert not store.ask("ASK { ?s ?p ?o }")


def test_long_queries_are_sent_whole(store):
    seed(store)
    values = " ".join(f"<{EX}x{i}>" for i in range(4000)) + f" <{EX}a>"
    query = f"SELECT ?o WHERE {{ VALUES ?s {{ {values} }} ?s ?p ?o }}"
    assert len(query) > 60_000
    assert {str(r["o"]) for r in store.select(query)} == {"A", EX + "b"}


def test_dataset_clauses_go_only_where_they_are_clauses():
    from cckg.core.store import without_dataset_clauses

    q = (
        "PREFIX from: <http://f/> SELECT ?from FROM <http://g/1> from NAMED from:g2 FROM :g3 "
        'WHERE { ?from from:FROM "FROM <http://g/4>", <http://h/FROM> } # FROM <http://g/5>'
    )
    assert " ".join(without_dataset_clauses(q).split()) == (
        "PREFIX from: <http://f/> SELECT ?from WHERE { ?from from:FROM "
        '"FROM <http://g/4>", <http://h/FROM> } # FROM <http://g/5>'
    )


@pytest.fixture
def html_server():
    """A loopback server that answers every POST with 200 and an HTML page, as Virtuoso does
    for some bad requests (see TESTING.md): the client must not take that for results."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):  # noqa: N802
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            error = b"syntax error" if b"BROKEN" in self.path.encode() else b"a query form"
            body = b"<html><body><h1>SPARQL</h1><p>" + error + b"</p></body></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=UTF-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_an_html_answer_is_an_error(html_server):
    store = RemoteStore(f"{html_server}/sparql", timeout_s=5)
    with pytest.raises(StoreError, match="text/html"):
        store.named_graphs()
    with pytest.raises(QuerySyntaxError, match="syntax error"):
        RemoteStore(f"{html_server}/BROKEN", timeout_s=5).named_graphs()
