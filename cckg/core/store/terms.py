"""Terms between rdflib and pyoxigraph: the loaders and pages speak rdflib, the engine
pyoxigraph."""

from __future__ import annotations

from collections.abc import Sequence

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node


def to_rdflib(term: ox.NamedNode | ox.BlankNode | ox.Literal | None) -> Node | None:
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


def to_oxigraph(term: Node) -> ox.NamedNode | ox.BlankNode | ox.Literal:
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
            triples = (ox.Triple(*(to_oxigraph(t) for t in triple)) for triple in p)
            out.append(ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES))
    return b"".join(out)
