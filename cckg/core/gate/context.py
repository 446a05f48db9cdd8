"""What the SHACL gate adds to a source as context: the rdf:type of every node it links to.

The types come from the ontology, from the sources of the same load, and for the rest from the
store. A node typed in the source itself needs nothing when the load has just that source,
which saves the big single-file loads nearly all lookups.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from rdflib import RDF, Graph, URIRef
from rdflib.namespace import OWL

from cckg.core.gate.model import ParsedSource
from cckg.core.gate.oxgraph import OxGraph
from cckg.core.sparql_text import term_n3
from cckg.core.store import Store

Types = dict[URIRef, set[URIRef]]
StoreTypes = Callable[[list[URIRef]], Types]
_LOOKUP_CHUNK = 5000  # nodes per VALUES block when asking the store for types


def graph_types(graphs: Iterable[Graph]) -> Types:
    types: Types = {}
    for g in graphs:
        for s, _, o in g.triples((None, RDF.type, None)):
            if isinstance(s, URIRef) and isinstance(o, URIRef):
                types.setdefault(s, set()).add(o)
    return types


def linked_nodes(graph: Graph) -> set[URIRef]:
    """The IRIs ``graph`` links to (not by rdf:type or owl:sameAs)."""
    return {o for _, p, o in graph if isinstance(o, URIRef) and p != RDF.type and p != OWL.sameAs}


def store_types(store: Store) -> StoreTypes:
    """The rdf:types a store (all graphs, the private one included) gives nodes."""

    def lookup(nodes: list[URIRef]) -> Types:
        out: Types = {}
        for i in range(0, len(nodes), _LOOKUP_CHUNK):
            values = " ".join(term_n3(n) for n in nodes[i : i + _LOOKUP_CHUNK])
            rows = store.select(
                f"SELECT ?s ?t WHERE {{ VALUES ?s {{ {values} }} ?s a ?t }}", dataset="all"
            )
            for row in rows:
                s, t = row["s"], row["t"]
                if isinstance(s, URIRef) and isinstance(t, URIRef):  # as graph_types()
                    out.setdefault(s, set()).add(t)
        return out

    return lookup


def _merge(into: Types, more: Types) -> None:
    for node, classes in more.items():
        into.setdefault(node, set()).update(classes)


class TypeLookup:
    """Types of linked nodes for one load; a :data:`cckg.core.gate.compiled.TypeResolver`."""

    def __init__(self, ontology: Types, sources: list[ParsedSource], store: StoreTypes | None):
        self.known: Types = {n: set(c) for n, c in ontology.items()}
        _merge(self.known, graph_types(s.public for s in sources if isinstance(s.public, Graph)))
        # Other sources of the load may type what a source links to (or add types to what it
        # types itself); read them now, before validation adds context to their stores.
        self.several = len(sources) > 1
        if self.several:
            for s in sources:
                if isinstance(s.public, OxGraph):
                    _merge(self.known, s.public.all_types())
        self._store = store
        self._stored: Types = {}
        self._asked: set[URIRef] = set()

    def __call__(self, untyped: list[URIRef], typed: list[URIRef]) -> Types:
        """Types to add for the nodes a source links to, untyped or typed by the source."""
        asked = [*untyped, *typed] if self.several else untyped
        return self.types(asked)

    def types(self, nodes: Iterable[URIRef]) -> Types:
        """The known types of ``nodes``: from the load, else from the store."""
        out: Types = {}
        missing = []
        for n in nodes:
            if n in self.known:
                out[n] = self.known[n]
            else:
                missing.append(n)
        self._ask_store(missing)
        for n in missing:
            if n in self._stored:
                out[n] = self._stored[n]
        return out

    def exists(self, iri: URIRef) -> bool:
        """Is ``iri`` typed in this load or in the store (after :meth:`types` asked for it)?"""
        return iri in self.known or iri in self._stored

    def _ask_store(self, nodes: list[URIRef]) -> None:
        new = [n for n in nodes if n not in self._asked]
        if new and self._store is not None:
            self._asked.update(new)
            _merge(self._stored, self._store(sorted(new)))


@dataclass
class ValidationContext:
    """What a batch needs besides itself: types of linked nodes and the class hierarchy."""

    hierarchy: Graph
    types: dict[URIRef, set[URIRef]] = field(default_factory=dict)

    def graph_for(self, batch: Graph) -> Graph:
        g = Graph()
        for t in batch:
            g.add(t)
        for t in self.hierarchy:
            g.add(t)
        for node in linked_nodes(batch):
            for cls in self.types.get(node, ()):
                g.add((node, RDF.type, cls))
        return g
