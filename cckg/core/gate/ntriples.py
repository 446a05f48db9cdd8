"""rdflib graphs as N-Triples text, quickly: the serialiser of validation runs and of
``OxGraph.from_graphs`` (rdflib's own writer costs several microseconds per triple).

While it writes, :class:`NQuadsWriter` can also collect what a validation run needs to know
about the data: its subjects, the IRIs it links to and its ill-typed literals.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from json.encoder import encode_basestring  # C: JSON string escapes are valid N-Triples

from rdflib import RDF, BNode, Graph, Literal, URIRef
from rdflib.namespace import OWL
from rdflib.plugins.stores.memory import Memory
from rdflib.term import Node

from cckg.core.gate.datatypes import well_typed

BAD_IRI_CHARS = re.compile(r'[\x00-\x20<>"{}|^`\\]')
_NO_LINK = (RDF.type, OWL.sameAs)  # objects of these are not links to other records


def graph_to_ntriples(*graphs: Graph) -> bytes:
    """rdflib Graphs as N-Triples bytes, quickly (the validation runs' own serialiser); a
    blank node in two of them has one label."""
    writer = NQuadsWriter(frozenset())
    lines = [line for g in graphs for line in writer.triples(fast_triples(g), collect=False)]
    return "".join(lines).encode()


def fast_triples(graph: Graph) -> Iterable[tuple[Node, Node, Node]]:
    """The triples of ``graph``; for a plain in-memory Graph straight from the store's index.

    ``Graph.__iter__`` costs a few microseconds per triple in rdflib's Memory store (context
    bookkeeping); its per-context triple set is the same data for free. Any other kind of graph
    or store takes the public route.
    """
    store = graph.store
    if type(graph) is Graph and type(store) is Memory:
        try:
            # rdflib's private (name-mangled) index: not in its types, hence the ignores
            key = store._Memory__ctx_to_str(graph)  # type: ignore[attr-defined]  # noqa: SLF001
            triples = store._Memory__contextTriples.get(key)  # type: ignore[attr-defined]  # noqa: SLF001
        except AttributeError:  # another rdflib version
            triples = None
        if triples is not None and len(triples) == len(graph):
            return triples
    return graph


class NQuadsWriter:
    """Serialises rdflib terms to N-Triples text quickly (cached IRIs, json string escapes)."""

    def __init__(self, checked: frozenset[URIRef]) -> None:
        self.checked = frozenset(str(d) for d in checked)
        self._iris: dict[Node, str] = {}
        self.bnodes: dict[BNode, str] = {}
        self.subjects: dict[Node, str] = {}
        self.linked: set[URIRef] = set()
        self.ill: list[str] = []

    def iri(self, t: Node) -> str:
        s = self._iris.get(t)
        if s is None:
            if type(t) is BNode or isinstance(t, BNode):
                label = self.bnodes.get(t)
                if label is None:  # our own labels: rdflib's may not be valid N-Triples
                    label = self.bnodes[t] = f"b{len(self.bnodes)}"
                s = "_:" + label
            else:
                text = str(t)
                if BAD_IRI_CHARS.search(text):  # \u escapes; the store is loaded leniently
                    text = BAD_IRI_CHARS.sub(lambda m: f"\\u{ord(m.group()):04X}", text)
                s = f"<{text}>"
            self._iris[t] = s
        return s

    def literal(self, o: Literal) -> str:
        text = encode_basestring(o)
        lang = o.language
        if lang:
            return f"{text}@{lang}"
        dt = o.datatype
        return text if dt is None else f"{text}^^{self.iri(dt)}"

    def triples(self, triples: Iterable[tuple[Node, Node, Node]], *, collect: bool) -> list[str]:
        """N-Triples lines; with ``collect`` also subjects, linked IRIs and ill-typed literals.

        The hot loop of a validation run (one pass per triple), hence the inlining.
        """
        out: list[str] = []
        append = out.append
        iris, subjects, linked = self._iris, self.subjects, self.linked
        iri, checked, ill = self.iri, self.checked, self.ill
        no_link = _NO_LINK
        escape, as_str = encode_basestring, str.__str__  # a Literal is a str: escaped as is
        for s, p, o in triples:
            a = subjects.get(s)
            if a is None:
                a = subjects[s] = iri(s)
            b = iris.get(p) or iri(p)
            if type(o) is Literal:
                lang = o.language
                if lang:
                    append(f"{a} {b} {escape(o)}@{lang} .\n")
                    continue
                dt = o.datatype
                if dt is None:
                    append(f"{a} {b} {escape(o)} .\n")
                    continue
                c = f"{escape(o)}^^{iris.get(dt) or iri(dt)}"
                if collect and as_str(dt) in checked and not well_typed(o):
                    ill.append(c)
            elif type(o) is URIRef:
                c = iris.get(o) or iri(o)
                if collect and p not in no_link:
                    linked.add(o)
            elif isinstance(o, Literal):  # subclasses of the rdflib term types
                c = self.literal(o)
            else:
                c = iri(o)
                if collect and isinstance(o, URIRef) and p not in no_link:
                    linked.add(o)
            append(f"{a} {b} {c} .\n")
        return out
