"""A source's triples in an in-memory pyoxigraph store, so big RDF files never become rdflib
graphs (rdflib needs about 3 KB and microseconds per triple; pyoxigraph a fraction of both).

The writer reads such a source as N-Triples (:meth:`OxGraph.ntriples`); the gate validates it
in its own store (:meth:`OxGraph.take_store`). The few rdflib-like readers (``len``, iteration,
``subjects``, ``triples``) are for the code and tests that look at a parsed source.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator

import pyoxigraph as ox
from rdflib import Graph, URIRef
from rdflib.term import Node

from cckg.core.gate.ntriples import graph_to_ntriples
from cckg.core.store import Term, solutions, to_oxigraph, to_rdflib, written

Pattern = tuple[Node | None, Node | None, Node | None]
Triple = tuple[Term, Term, Term]


class OxGraph:
    """The triples of one source, in the default graph of an in-memory pyoxigraph store."""

    def __init__(self, store: ox.Store | None = None) -> None:
        self._store: ox.Store | None = store if store is not None else ox.Store()
        self._nt: bytes | None = None
        self._len: int | None = None
        self._dumping: threading.Thread | None = None

    @classmethod
    def from_ntriples(cls, data: bytes, lenient: bool = False) -> OxGraph:
        store = ox.Store()
        store.load(data, format=ox.RdfFormat.N_TRIPLES, lenient=lenient)
        return cls(store)

    @classmethod
    def from_graphs(cls, graphs: Iterable[Graph]) -> OxGraph:
        """rdflib graphs as one OxGraph (a blank node shared by two graphs stays one node).

        Loaded leniently: rdflib accepts some terms a strict N-Triples parser refuses (odd
        language tags), and the shapes, not the parser, judge those.
        """
        return cls.from_ntriples(graph_to_ntriples(*graphs), lenient=True)

    @property
    def store(self) -> ox.Store:
        if self._store is None:  # the store went to validation: read the kept N-Triples
            if self._nt is None:
                raise RuntimeError("this OxGraph's store was taken without keeping its triples")
            self._store = ox.Store()
            self._store.load(self.ntriples(), format=ox.RdfFormat.N_TRIPLES)
        return self._store

    def ntriples(self) -> bytes:
        """The triples as pyoxigraph's canonical N-Triples, one distinct triple a line."""
        self.wait_dump()
        if self._nt is None:
            self._nt = self._dump(self.store)
        return self._nt

    def wait_dump(self) -> None:
        """Wait for a dump :meth:`start_dump` started."""
        if self._dumping is not None:
            self._dumping.join()
            self._dumping = None

    def start_dump(self) -> None:
        """Start :meth:`ntriples` on a thread: pyoxigraph writes without the GIL, from a
        snapshot, so validation may go on (and add its context to the store) meanwhile."""
        if self._nt is None and self._dumping is None:
            store = self.store

            def dump() -> None:
                self._nt = self._dump(store)

            self._dumping = threading.Thread(target=dump, daemon=True)
            self._dumping.start()

    @staticmethod
    def _dump(store: ox.Store) -> bytes:
        return written(store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph()))

    def serialize(self, format: str = "nt", encoding: str | None = "utf-8") -> bytes | str:
        """rdflib's ``Graph.serialize`` for N-Triples (what store writers call)."""
        if format not in ("nt", "ntriples", "nt11"):
            raise ValueError(f"an OxGraph serialises to N-Triples only, not {format!r}")
        data = self.ntriples()
        return data if encoding else data.decode("utf-8")

    def subject_keys(self) -> set[bytes]:
        """Every subject as N-Triples text (``<iri>`` or ``_:label``), read from the triples."""
        return {line.split(b" ", 1)[0] for line in self.ntriples().split(b"\n") if line}

    def take_store(self, keep: bool = True) -> ox.Store:
        """The store, for a validation run that adds context to it. This object no longer
        uses it; it keeps its size and, with ``keep``, its triples as N-Triples (read first)."""
        if keep:
            self.start_dump()
        len(self)
        store = self.store
        self._store = None
        return store

    def __len__(self) -> int:
        if self._len is None:
            self._len = len(self.store)
        return self._len

    def triples(self, pattern: Pattern = (None, None, None)) -> Iterator[Triple]:
        s, p, o = (to_oxigraph(t) if t is not None else None for t in pattern)
        if isinstance(s, ox.Literal) or isinstance(p, ox.BlankNode | ox.Literal):
            raise TypeError(f"not a triple pattern: {pattern}")  # as pyoxigraph would
        for q in self.store.quads_for_pattern(s, p, o, ox.DefaultGraph()):
            yield to_rdflib(q.subject), to_rdflib(q.predicate), to_rdflib(q.object)

    def __iter__(self) -> Iterator[Triple]:
        return self.triples()

    def __contains__(self, triple: Pattern) -> bool:
        return next(self.triples(triple), None) is not None

    def subjects(self, predicate: Node | None = None, object: Node | None = None) -> Iterator[Term]:
        seen: set[Term] = set()
        for s, _, _ in self.triples((None, predicate, object)):
            if s not in seen:
                seen.add(s)
                yield s

    def class_counts(self) -> dict[str, int]:
        """Instances per class IRI (what the load report lists)."""
        rows = solutions(
            self.store.query("SELECT ?c (COUNT(*) AS ?n) WHERE { ?s a ?c } GROUP BY ?c")
        )
        return {r["c"].value: int(r["n"].value) for r in rows}

    def all_types(self) -> dict[URIRef, set[URIRef]]:
        """Every rdf:type this data states (IRIs only)."""
        out: dict[URIRef, set[URIRef]] = {}
        rows = solutions(
            self.store.query("SELECT ?s ?t WHERE { ?s a ?t FILTER(isIRI(?s) && isIRI(?t)) }")
        )
        for r in rows:
            out.setdefault(URIRef(r["s"].value), set()).add(URIRef(r["t"].value))
        return out


def as_oxgraph(data: Graph | OxGraph) -> OxGraph:
    """A source's public triples as an OxGraph (rdflib graphs are copied into one)."""
    return data if isinstance(data, OxGraph) else OxGraph.from_graphs([data])
