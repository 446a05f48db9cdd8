"""The SHACL gate: validate parsed sources in batches, with just the context they need.

pySHACL on a whole 500k-triple graph is slow and memory hungry; a batch of records plus the
``rdf:type`` of every node they link to (and the ontology's class hierarchy) gives the same
verdict for our shapes, which only look one link away (``sh:class`` on link targets).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from pyshacl import validate as shacl_validate
from rdflib import RDF, RDFS, BNode, Graph, Namespace, URIRef
from rdflib.term import Node

from cckg.core.resources import resource_dir
from cckg.loaders.model import Location, ParsedSource

if TYPE_CHECKING:
    from cckg.loaders.fast_shacl import CompiledShapes

SH = Namespace("http://www.w3.org/ns/shacl#")
OWL_SAMEAS = URIRef("http://www.w3.org/2002/07/owl#sameAs")
BATCH_TRIPLES = 40_000


@dataclass(frozen=True)
class Violation:
    """One reason a load is refused, located in its source."""

    location: Location
    focus: str
    field: str | None
    message: str
    message_de: str | None = None
    value: str | None = None
    shape: str | None = None
    severity: str = "Violation"

    def as_dict(self) -> dict:
        return {
            "file": self.location.file,
            "line": self.location.line,
            "record": self.location.record,
            "focus": self.focus,
            "field": self.field,
            "value": self.value,
            "message": self.message,
            "message_de": self.message_de,
            "shape": self.shape,
            "severity": self.severity,
        }

    def __str__(self) -> str:
        where = str(self.location) + (f", field {self.field!r}" if self.field else "")
        value = f" (value: {self.value})" if self.value is not None else ""
        return f"{where}: {self.message}{value}"


def load_shapes(shapes_dir: Path | None = None) -> Graph:
    shapes_dir = shapes_dir or resource_dir("shapes")
    g = Graph()
    for path in sorted(shapes_dir.glob("*.ttl")):
        if path.name.startswith("private"):
            continue
        g.parse(path, format="turtle")
    return g


def load_private_shapes(shapes_dir: Path | None = None) -> Graph:
    shapes_dir = shapes_dir or resource_dir("shapes")
    g = Graph()
    for path in sorted(shapes_dir.glob("private*.ttl")):
        g.parse(path, format="turtle")
    return g


def class_hierarchy(ontology: Graph) -> Graph:
    """Only the rdfs:subClassOf triples: what sh:class needs to see subclasses."""
    g = Graph()
    for t in ontology.triples((None, RDFS.subClassOf, None)):
        g.add(t)
    return g


def _record_key(subject: Node) -> Node:
    # ``…/city/123#geometry`` belongs to the record ``…/city/123``
    if isinstance(subject, URIRef) and "#" in subject and "/id/" in subject:
        return URIRef(subject.split("#", 1)[0])
    return subject


def batches(graph: Graph, max_triples: int = BATCH_TRIPLES) -> Iterator[Graph]:
    """Split a graph into record-complete batches (a record is never cut in two)."""
    by_record: dict[Node, list] = defaultdict(list)
    bnode_triples: list = []
    for t in graph:
        if isinstance(t[0], BNode):
            bnode_triples.append(t)
        else:
            by_record[_record_key(t[0])].append(t)
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


def linked_nodes(graph: Graph) -> set[URIRef]:
    return {o for _, p, o in graph if isinstance(o, URIRef) and p != RDF.type and p != OWL_SAMEAS}


def _first(results: Graph, node: Node, pred: URIRef) -> Node | None:
    return next(iter(results.objects(node, pred)), None)


def _messages(results: Graph, node: Node, shapes: Graph) -> tuple[str, str | None]:
    """The English and German message of a result.

    pyshacl drops the language tag of SPARQL-constraint messages when it fills in {?value};
    such an untagged message takes the language of the template it was made from.
    """
    by_lang: dict[str, str] = {}
    constraint = results.value(node, SH.sourceConstraint)
    templates = {}
    if constraint is not None:
        templates = {
            getattr(m, "language", None) or "": str(m)
            for m in shapes.objects(constraint, SH.message)
        }
    for m in results.objects(node, SH.resultMessage):
        lang = getattr(m, "language", None) or ""
        if not lang:
            for tlang, template in templates.items():
                parts = re.split(r"\{[?$]\w+\}", template)
                if re.fullmatch(".+?".join(re.escape(x) for x in parts), str(m), re.DOTALL):
                    lang = tlang
                    break
        by_lang.setdefault(lang, str(m))
    en = by_lang.get("en") or by_lang.get("") or next(iter(by_lang.values()), "does not conform")
    return en, by_lang.get("de")


def violations_from(
    results: Graph, locate: Callable[[Node], Location], shapes: Graph
) -> list[Violation]:
    out = []
    # Only the report's own results: nested results (sh:detail) repeat what they explain.
    report = results.value(predicate=RDF.type, object=SH.ValidationReport, any=True)
    for r in results.objects(report, SH.result):
        focus = _first(results, r, SH.focusNode)
        path = _first(results, r, SH.resultPath)
        value = _first(results, r, SH.value)
        severity = _first(results, r, SH.resultSeverity)
        shape = _first(results, r, SH.sourceShape)
        en, de = _messages(results, r, shapes)
        out.append(
            Violation(
                location=locate(focus),
                focus=str(focus),
                field=_short(path) if path is not None else None,
                message=en,
                message_de=de,
                value=str(value) if value is not None else None,
                shape=str(shape) if isinstance(shape, URIRef) else None,
                severity=str(severity).rsplit("#", 1)[-1] if severity is not None else "Violation",
            )
        )
    return sorted(
        out, key=lambda v: (v.location.file, v.location.line or 0, v.focus, v.field or "")
    )


def _short(path: Node) -> str:
    if isinstance(path, URIRef):
        text = str(path)
        for sep in ("#", "/"):
            if sep in text:
                return text.rsplit(sep, 1)[-1]
        return text
    return str(path)


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


def locator(source: ParsedSource) -> Callable[[Node], Location]:
    """Where the record of a focus node was written: its source's location for it, else the
    file (with the subject's line where the source can find it) and the node."""

    def locate(node: Node) -> Location:
        key = _record_key(node) if node is not None else None
        loc = source.locations.get(key) if isinstance(key, URIRef) else None
        if loc is not None:
            return loc
        line = None
        if source.line_of is not None and isinstance(key, URIRef):
            line = source.line_of(str(key))
        return Location(str(source.path), line, str(node) if node is not None else None)

    return locate


def validate_source(
    source: ParsedSource,
    shapes: Graph | CompiledShapes,
    context: ValidationContext,
    progress: Callable[[int], None] | None = None,
) -> list[Violation]:
    """SHACL violations of one parsed source (empty list: it conforms).

    With compiled shapes (what the loaders use) each batch is checked by the SPARQL-compiled
    engine in loaders/fast_shacl.py, 13-20x faster than pySHACL and tested result for result
    against it; with a shapes Graph, pySHACL itself runs.
    """
    from cckg.loaders.fast_shacl import CompiledShapes, validate_graph_fast

    locate = locator(source)
    found: list[Violation] = []
    for batch in batches(source.public):
        if isinstance(shapes, CompiledShapes):
            results = validate_graph_fast(batch, shapes, context.hierarchy, context.types, locate)
            found.extend(v for v in results if v.severity != "Warning")
        else:
            found.extend(_pyshacl_batch(batch, shapes, context, locate))
        if progress:
            progress(len(batch))
    return found


def _pyshacl_batch(
    batch: Graph, shapes: Graph, context: ValidationContext, locate: Callable[[Node], Location]
) -> list[Violation]:
    own = {str(s) for s in batch.subjects()}
    conforms, results, _text = shacl_validate(
        context.graph_for(batch),
        shacl_graph=shapes,
        inference="none",
        advanced=True,
        allow_warnings=True,
    )
    if conforms:
        return []
    # Linked nodes are context (typed, but unlabelled here), not under test. pyshacl's
    # focus_nodes option would do this, but it drops qualifiedValueShape results.
    return [
        v
        for v in violations_from(results, locate, shapes)
        if v.severity != "Warning" and v.focus in own
    ]


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
