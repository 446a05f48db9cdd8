"""Terms between rdflib and pyoxigraph: the loaders and pages speak rdflib, the engine
pyoxigraph."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import overload

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Identifier, Node

# A term of a query result: rdflib's (``Row`` values) and pyoxigraph's (``TermRow`` values).
Term = URIRef | BNode | Literal
OxTerm = ox.NamedNode | ox.BlankNode | ox.Literal
# What pyoxigraph's ``Store.query`` returns, whatever the query form.
OxResult = ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples


@overload
def to_rdflib(term: None) -> None: ...
@overload
def to_rdflib(term: OxTerm | ox.Triple) -> Term: ...
def to_rdflib(term: OxTerm | ox.Triple | None) -> Term | None:
    """The rdflib term of a pyoxigraph one (a quoted triple is refused: TypeError)."""
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        dt = term.datatype.value
        if dt == "http://www.w3.org/2001/XMLSchema#string":
            return Literal(term.value)
        return Literal(term.value, datatype=URIRef(dt))
    raise TypeError(f"unsupported term {term!r}")


def sorted_terms(nodes: Iterable[Node]) -> list[Identifier]:
    """Nodes of a parsed graph in rdflib's order of terms (``sorted`` on rdflib's ``Node``
    type does not type-check). A parsed graph holds only terms (IRIs, blank nodes, literals);
    anything else (a formula) has no such order: TypeError."""
    terms: list[Identifier] = []
    for n in nodes:
        if not isinstance(n, Identifier):
            raise TypeError(f"not an RDF term: {n!r}")
        terms.append(n)
    return sorted(terms)


def to_oxigraph(term: Node) -> OxTerm:
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise TypeError(f"unsupported term {term!r}")


# A graph's content for a write: rdflib Graphs, or N-Triples bytes (the loaders' fast path).
Part = Graph | bytes


def canonical_ntriples(parts: Sequence[Part]) -> bytes:
    """N-Triples as pyoxigraph writes them (bytes parts are taken to be so already), so that
    a diff against a stored graph compares like with like."""
    out = []
    for p in parts:
        if isinstance(p, bytes):
            out.append(p if p.endswith(b"\n") or not p else p + b"\n")
        elif hasattr(p, "ntriples"):  # a loader's OxGraph
            out.append(p.ntriples())
        else:
            oxtriples = (ox.Triple(*spo(*triple)) for triple in p)
            out.append(written(ox.serialize(oxtriples, format=ox.RdfFormat.N_TRIPLES)))
    return b"".join(out)


def spo(s: Node, p: Node, o: Node) -> tuple[ox.NamedNode | ox.BlankNode, ox.NamedNode, OxTerm]:
    """The pyoxigraph terms of an rdflib triple, for ``ox.Triple``/``ox.Quad`` (a literal
    subject or a predicate other than an IRI: TypeError, as pyoxigraph would raise)."""
    subject, predicate, obj = to_oxigraph(s), to_oxigraph(p), to_oxigraph(o)
    if isinstance(subject, ox.Literal) or not isinstance(predicate, ox.NamedNode):
        raise TypeError(f"not an RDF triple: {s!r} {p!r} {o!r}")
    return subject, predicate, obj


def solutions(result: OxResult) -> ox.QuerySolutions:
    """The solutions of a SELECT query (pyoxigraph types every query's result as the union)."""
    if not isinstance(result, ox.QuerySolutions):
        raise TypeError(f"a SELECT query was expected, not one giving {type(result).__name__}")
    return result


def construct_triples(result: OxResult) -> ox.QueryTriples:
    """The triples of a CONSTRUCT or DESCRIBE query."""
    if not isinstance(result, ox.QueryTriples):
        raise TypeError(f"a CONSTRUCT query was expected, not one giving {type(result).__name__}")
    return result


def written(data: bytes | None) -> bytes:
    """What pyoxigraph's ``dump``/``serialize`` return when given no output: the bytes (their
    types say ``bytes | None``, for the calls that write to a file)."""
    if data is None:
        raise TypeError("pyoxigraph wrote to an output: there are no bytes to return")
    return data
