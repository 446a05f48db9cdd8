"""The published JSON-LD context (``/context.jsonld``): a term for every property we use.

Terms come from two places: every class and property of ``ontology/cckg.ttl`` (object
properties coerce their values to IRIs), and a fixed table of the external properties that the
data, the ontology, the schemes and the VoID description use. A strict processor (jsonld.js
safe mode) rejects or drops keys that are not defined terms, so tests check that every
predicate of the public store has a term here.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from rdflib import OWL, RDF, BNode, Graph, Literal
from rdflib.namespace import XSD
from rdflib.term import Node

from cckg.core.prefixes import PREFIXES
from cckg.core.resources import resource_dir
from cckg.core.settings import ONTOLOGY_NS
from cckg.core.store import sorted_terms

# External properties: term -> (compact IRI, values are IRIs). Names must not clash with the
# ontology's local names (checked when the context is built).
EXTERNAL_TERMS: dict[str, tuple[str, bool]] = {
    "label": ("rdfs:label", False),
    "comment": ("rdfs:comment", False),
    "seeAlso": ("rdfs:seeAlso", True),
    "isDefinedBy": ("rdfs:isDefinedBy", True),
    "subClassOf": ("rdfs:subClassOf", True),
    "subPropertyOf": ("rdfs:subPropertyOf", True),
    "domain": ("rdfs:domain", True),
    "range": ("rdfs:range", True),
    "prefLabel": ("skos:prefLabel", False),
    "altLabel": ("skos:altLabel", False),
    "hiddenLabel": ("skos:hiddenLabel", False),
    "definition": ("skos:definition", False),
    "scopeNote": ("skos:scopeNote", False),
    "notation": ("skos:notation", False),
    "broader": ("skos:broader", True),
    "broaderTransitive": ("skos:broaderTransitive", True),
    "narrower": ("skos:narrower", True),
    "related": ("skos:related", True),
    "closeMatch": ("skos:closeMatch", True),
    "exactMatch": ("skos:exactMatch", True),
    "inScheme": ("skos:inScheme", True),
    "hasTopConcept": ("skos:hasTopConcept", True),
    "topConceptOf": ("skos:topConceptOf", True),
    "title": ("dcterms:title", False),
    "description": ("dcterms:description", False),
    "source": ("dcterms:source", True),
    "license": ("dcterms:license", True),
    "rights": ("dcterms:rights", False),
    "created": ("dcterms:created", False),
    "modified": ("dcterms:modified", False),
    "issued": ("dcterms:issued", False),
    "creator": ("dcterms:creator", False),
    "publisher": ("dcterms:publisher", True),
    "identifier": ("dcterms:identifier", False),
    "subject": ("dcterms:subject", True),
    "format": ("dcterms:format", True),
    "conformsTo": ("dcterms:conformsTo", True),
    "sameAs": ("owl:sameAs", True),
    "versionIRI": ("owl:versionIRI", True),
    "versionInfo": ("owl:versionInfo", False),
    "disjointWith": ("owl:disjointWith", True),
    "equivalentClass": ("owl:equivalentClass", True),
    "equivalentProperty": ("owl:equivalentProperty", True),
    "inverseOf": ("owl:inverseOf", True),
    "imports": ("owl:imports", True),
    "hasGeometry": ("geo:hasGeometry", True),
    "asWKT": ("geo:asWKT", False),
    "generatedAtTime": ("prov:generatedAtTime", False),
    "wasDerivedFrom": ("prov:wasDerivedFrom", False),  # the loader records file paths as text
    "wasGeneratedBy": ("prov:wasGeneratedBy", True),
    "preferredNamespacePrefix": ("vann:preferredNamespacePrefix", False),
    "preferredNamespaceUri": ("vann:preferredNamespaceUri", False),
    # VoID and DCAT, for /dataset and /.well-known/void
    "triples": ("void:triples", False),
    "entities": ("void:entities", False),
    "classes": ("void:classes", False),
    "properties": ("void:properties", False),
    "distinctSubjects": ("void:distinctSubjects", False),
    "subset": ("void:subset", True),
    "vocabulary": ("void:vocabulary", True),
    "exampleResource": ("void:exampleResource", True),
    "sparqlEndpoint": ("void:sparqlEndpoint", True),
    "uriSpace": ("void:uriSpace", False),
    "dataDump": ("void:dataDump", True),
    "classPartition": ("void:classPartition", True),
    "class": ("void:class", True),
    "feature": ("void:feature", True),
    "distribution": ("dcat:distribution", True),
    "downloadURL": ("dcat:downloadURL", True),
    "accessURL": ("dcat:accessURL", True),
    "mediaType": ("dcat:mediaType", True),
    "compressFormat": ("dcat:compressFormat", True),
    "accessService": ("dcat:accessService", True),
    "endpointURL": ("dcat:endpointURL", True),
    "servesDataset": ("dcat:servesDataset", True),
    "landingPage": ("dcat:landingPage", True),
    "keyword": ("dcat:keyword", False),
    "graphName": ("sd:name", True),
    "homepage": ("foaf:homepage", True),
}


def build_context(ontology: Path | None = None) -> dict[str, Any]:
    """The context document ``{"@context": {...}}``; raises ValueError on a term clash."""
    graph = Graph().parse(ontology or resource_dir("ontology") / "cckg.ttl", format="turtle")
    terms: dict[str, Any] = dict(PREFIXES)
    for subject in sorted_terms(set(graph.subjects(RDF.type, None))):
        iri = str(subject)
        if not iri.startswith(ONTOLOGY_NS) or iri == ONTOLOGY_NS:
            continue
        local = iri[len(ONTOLOGY_NS) :]
        types = set(graph.objects(subject, RDF.type))
        if OWL.ObjectProperty in types:
            terms[local] = {"@id": f"cckg:{local}", "@type": "@id"}
        elif OWL.DatatypeProperty in types or OWL.Class in types:
            terms[local] = f"cckg:{local}"
    for term, (curie, is_iri) in EXTERNAL_TERMS.items():
        if term in terms:
            raise ValueError(f"JSON-LD term {term!r} is defined twice ({curie} and cckg:{term})")
        terms[term] = {"@id": curie, "@type": "@id"} if is_iri else curie
    return {"@context": terms}


def term_iris(context: dict[str, Any]) -> dict[str, str]:
    """Full IRI -> term, for the terms of a context built here (tests, docs)."""
    prefixes = {k: v for k, v in context["@context"].items() if k in PREFIXES}
    out = {}
    for term, value in context["@context"].items():
        if term in PREFIXES:
            continue
        curie = value["@id"] if isinstance(value, dict) else value
        prefix, _, local = curie.partition(":")
        out[prefixes[prefix] + local] = term
    return out


# ---------------------------------------------------------------- writing JSON-LD


class Compactor:
    """Writes flat, compacted JSON-LD for a graph against a context built by ``build_context``.

    Written by hand rather than with rdflib's serializer, which (rdflib 7.6) drops the triples
    of blank nodes referenced through a term coerced to ``@id``. Every key is a term of the
    context (or, for a property without a term, a compact IRI with a defined prefix); literals
    are value objects, so IRI coercion never applies to them; IRIs are written absolute.
    """

    def __init__(self, context: dict[str, Any]):
        terms = context["@context"]
        self.prefixes = {k: v for k, v in terms.items() if k in PREFIXES}
        self.terms: dict[str, tuple[str, bool]] = {}  # IRI -> (term, values coerced to @id)
        for term, value in terms.items():
            if term in PREFIXES:
                continue
            curie = value["@id"] if isinstance(value, dict) else value
            coerced = isinstance(value, dict) and value.get("@type") == "@id"
            self.terms[self._expand(curie)] = (term, coerced)

    def _expand(self, curie: str) -> str:
        prefix, _, local = curie.partition(":")
        return self.prefixes[prefix] + local if prefix in self.prefixes else curie

    def compact_iri(self, iri: str) -> str:
        """A key or type: its term, else ``prefix:local``, else the absolute IRI."""
        if iri in self.terms:
            return self.terms[iri][0]
        for prefix, ns in self.prefixes.items():
            local = iri[len(ns) :]
            if iri.startswith(ns) and local and re.fullmatch(r"[A-Za-z_][\w.-]*", local):
                return f"{prefix}:{local}"
        return iri

    @staticmethod
    def node_id(node: Node) -> str:
        return f"_:{node}" if isinstance(node, BNode) else str(node)

    def value(self, node: Node, coerced: bool) -> Any:
        if isinstance(node, Literal):
            out: dict[str, str] = {"@value": str(node)}
            if node.language:
                out["@language"] = node.language
            elif node.datatype is not None and node.datatype != XSD.string:
                out["@type"] = self.compact_iri(str(node.datatype))
            return out
        return self.node_id(node) if coerced else {"@id": self.node_id(node)}

    def nodes(self, graph: Graph, main: str | None = None) -> list[dict[str, Any]]:
        out = []
        subjects = sorted(set(graph.subjects()), key=lambda s: (self.node_id(s) != main, str(s)))
        for s in subjects:
            node: dict[str, Any] = {"@id": self.node_id(s)}
            types = sorted(self.compact_iri(str(t)) for t in graph.objects(s, RDF.type))
            if types:
                node["@type"] = types[0] if len(types) == 1 else types
            for p in sorted(set(graph.predicates(s)) - {RDF.type}, key=str):
                key, coerced = self.terms.get(str(p), (self.compact_iri(str(p)), False))
                values = [self.value(o, coerced) for o in sorted_terms(graph.objects(s, p))]
                node[key] = values[0] if len(values) == 1 else values
            out.append(node)
        return out

    def document(self, graph: Graph, context_url: str, main: str | None = None) -> dict[str, Any]:
        nodes = self.nodes(graph, main)
        if len(nodes) == 1:
            return {"@context": context_url, **nodes[0]}
        return {"@context": context_url, "@graph": nodes}
