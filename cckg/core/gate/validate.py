"""Validate one parsed source in batches, with just the context they need; and the links of a
source that lead nowhere.

pySHACL on a whole 500k-triple graph is slow and memory hungry; a batch of records plus the
``rdf:type`` of every node they link to (and the ontology's class hierarchy) gives the same
verdict for our shapes, which only look one link away (``sh:class`` on link targets). The
fast engine needs no batches, but takes them as well (the private graph goes this way).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator

from rdflib import BNode, Graph, URIRef
from rdflib.term import Node

from cckg.core.gate.context import ValidationContext
from cckg.core.gate.engine import CompiledShapes, validate_graph_fast
from cckg.core.gate.model import ParsedSource, Violation, locator, record_key
from cckg.core.gate.oxgraph import OxGraph

BATCH_TRIPLES = 40_000


def batches(graph: Graph | OxGraph, max_triples: int = BATCH_TRIPLES) -> Iterator[Graph]:
    """Split a graph into record-complete batches (a record is never cut in two)."""
    by_record: dict[Node, list] = defaultdict(list)
    bnode_triples: list = []
    for t in graph:
        if isinstance(t[0], BNode):
            bnode_triples.append(t)
        else:
            by_record[record_key(t[0])].append(t)
    if bnode_triples:  # blank-node structures stay with everything else, in one batch
        g = Graph()
        for t in graph:
            g.add(t)
        yield g
        return
    current = Graph()
    for triples in by_record.values():
        if len(current) and len(current) + len(triples) > max_triples:
            yield current
            current = Graph()
        for t in triples:
            current.add(t)
    if len(current):
        yield current


def validate_source(
    source: ParsedSource,
    shapes: Graph | CompiledShapes,
    context: ValidationContext,
    progress: Callable[[int], None] | None = None,
) -> list[Violation]:
    """SHACL violations of one parsed source (empty list: it conforms).

    With compiled shapes (what the gate uses) each batch is checked by the SPARQL-compiled
    engine in core/gate/engine.py, 13-20x faster than pySHACL and tested result for result
    against it; with a shapes Graph, pySHACL itself runs.
    """
    locate = locator(source)
    found: list[Violation] = []
    for batch in batches(source.public):
        if isinstance(shapes, CompiledShapes):
            results = validate_graph_fast(batch, shapes, context.hierarchy, context.types, locate)
            found.extend(v for v in results if v.severity != "Warning")
        else:
            # Start-up: importing pySHACL costs about 0.4 s, and only raw shapes graphs need it
            # (the web app and the loaders' gate never do).
            from cckg.core.gate.pyshacl_check import pyshacl_batch

            found.extend(pyshacl_batch(batch, shapes, context, locate))
        if progress:
            progress(len(batch))
    return found


def dangling_links(source: ParsedSource, known: Callable[[URIRef], bool]) -> list[Violation]:
    """References to things that exist neither in this load nor in the store."""
    out = []
    for iri, loc in source.references.items():
        if not known(iri):
            out.append(
                Violation(
                    location=loc,
                    focus=str(iri),
                    field=None,
                    message=f"links to {iri}, which is not defined in this load or the store",
                    message_de=(
                        f"verweist auf {iri}, das weder in dieser Ladung noch im Speicher steht"
                    ),
                    value=str(iri),
                )
            )
    return out
