"""The ontology page ``/def/cckg`` inside the site: every class and property of
``ontology/cckg.ttl`` once, with its label and definition in the page's language (English where
the ontology has none), how many things in the store use it now, an example query and the SHACL
shape (``shapes/cckg-shapes.ttl``) that constrains it."""

from __future__ import annotations

from dataclasses import dataclass, field

from rdflib import OWL, RDF, RDFS, Graph, Literal, URIRef
from rdflib.namespace import SH
from rdflib.term import Node

from cckg.core.prefixes import PREFIXES
from cckg.core.store.base import Store

CCKG = "https://w3id.org/cckg/def/cckg#"
SHAPES = "https://w3id.org/cckg/def/shapes#"
CLASS_COUNTS = "SELECT ?class (COUNT(?s) AS ?n) WHERE { ?s a ?class } GROUP BY ?class"
PROPERTY_COUNTS = "SELECT ?p (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?p"
PROPERTY_KINDS = (OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty)


@dataclass
class Text:
    value: str
    lang: str  # the language of value ("" when untagged)


@dataclass
class Constraint:
    shape: str  # cckgsh:City-country
    path: str  # cckg:country
    rules: list[str]  # "min 1", "max 1", "xsd:string", "class cckg:City", …


@dataclass
class Term:
    iri: str
    name: str  # the local name: the page anchor
    curie: str
    kind: str  # "class" or "property"
    label: Text
    comment: Text | None
    count: int
    query: str
    parents: list[str] = field(default_factory=list)  # CURIEs of superclasses or -properties
    domain: list[str] = field(default_factory=list)
    range: list[str] = field(default_factory=list)
    shape: str = ""  # the node shape targeting a class
    constraints: list[Constraint] = field(default_factory=list)


def curie(iri: Node) -> str:
    text = str(iri)
    if text.startswith(SHAPES):
        return f"cckgsh:{text[len(SHAPES) :]}"
    for prefix, namespace in sorted(PREFIXES.items(), key=lambda p: -len(p[1])):
        if text.startswith(namespace) and len(text) > len(namespace):
            return f"{prefix}:{text[len(namespace) :]}"
    return text


def _text(graph: Graph, node: Node, predicate: URIRef, lang: str) -> Text | None:
    values = [v for v in graph.objects(node, predicate) if isinstance(v, Literal)]
    for want in (lang, "en"):
        chosen = sorted(str(v) for v in values if v.language == want)
        if chosen:
            return Text(chosen[0], want)
    return Text(str(values[0]), values[0].language or "") if values else None


def _rules(shapes: Graph, shape: Node) -> list[str]:
    rules: list[str] = []
    for predicate, say in (
        (SH.minCount, "min {}"),
        (SH.maxCount, "max {}"),
        (SH.datatype, "{}"),
        (SH["class"], "{}"),
        (SH.nodeKind, "{}"),
        (SH.pattern, "pattern {}"),
    ):
        for value in shapes.objects(shape, predicate):
            rules.append(say.format(curie(value) if isinstance(value, URIRef) else value))
    return rules


def _example(term: URIRef, kind: str) -> str:
    """A short query that lists what uses ``term`` (all terms are in the cckg namespace)."""
    head = f"PREFIX cckg: <{CCKG}>\nPREFIX rdfs: <{RDFS}>\n"
    name = curie(term)
    if kind == "class":
        body = f"  ?thing a {name} .\n  OPTIONAL {{ ?thing rdfs:label ?label }}\n"
        return f"{head}SELECT ?thing ?label WHERE {{\n{body}}}\nLIMIT 20"
    return f"{head}SELECT ?thing ?value WHERE {{\n  ?thing {name} ?value .\n}}\nLIMIT 20"


def outline(
    ontology: Graph, shapes: Graph, store: Store, lang: str
) -> tuple[list[Term], list[Term]]:
    """(classes, properties) of the cckg namespace, each once, sorted by label."""
    class_counts = {str(r["class"]): int(r["n"]) for r in store.select(CLASS_COUNTS)}
    property_counts = {str(r["p"]): int(r["n"]) for r in store.select(PROPERTY_COUNTS)}
    node_shapes = {o: s for s, o in shapes.subject_objects(SH.targetClass)}
    by_path: dict[Node, list[Node]] = {}
    for shape, path in shapes.subject_objects(SH.path):
        by_path.setdefault(path, []).append(shape)

    def constraints(shape_ids: list[Node]) -> list[Constraint]:
        return sorted(
            (
                Constraint(curie(s), curie(p), _rules(shapes, s))
                for s in shape_ids
                for p in shapes.objects(s, SH.path)
            ),
            key=lambda c: (c.path, c.shape),
        )

    def term(iri: URIRef, kind: str) -> Term:
        label = _text(ontology, iri, RDFS.label, lang) or Text(str(iri).rsplit("#", 1)[-1], "")
        t = Term(
            iri=str(iri),
            name=str(iri)[len(CCKG) :],
            curie=curie(iri),
            kind=kind,
            label=label,
            comment=_text(ontology, iri, RDFS.comment, lang),
            count=(class_counts if kind == "class" else property_counts).get(str(iri), 0),
            query=_example(iri, kind),
        )
        if kind == "class":
            t.parents = sorted(curie(o) for o in ontology.objects(iri, RDFS.subClassOf))
            shape = node_shapes.get(iri)
            if shape is not None:
                t.shape = curie(shape)
                t.constraints = constraints(list(shapes.objects(shape, SH.property)))
        else:
            t.parents = sorted(curie(o) for o in ontology.objects(iri, RDFS.subPropertyOf))
            t.domain = sorted(curie(o) for o in ontology.objects(iri, RDFS.domain))
            t.range = sorted(curie(o) for o in ontology.objects(iri, RDFS.range))
            t.constraints = constraints(by_path.get(iri, []))
        return t

    def mine(types: tuple[URIRef, ...]) -> list[URIRef]:
        found = {s for t in types for s in ontology.subjects(RDF.type, t)}
        return [s for s in found if isinstance(s, URIRef) and str(s).startswith(CCKG)]

    def key(t: Term) -> tuple[str, str]:
        return (t.label.value.casefold(), t.name)

    classes = sorted((term(c, "class") for c in mine((OWL.Class,))), key=key)
    properties = sorted((term(p, "property") for p in mine(PROPERTY_KINDS)), key=key)
    return classes, properties
