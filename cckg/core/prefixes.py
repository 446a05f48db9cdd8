"""The one prefix table: the vocabularies cckg publishes and queries, by their usual prefix.

The JSON-LD context, the SPARQL endpoint's serialisers and the named queries' ``iri``
parameters (``cckg:Solution``) all read it.
"""

from __future__ import annotations

from cckg.core.settings import ONTOLOGY_NS

PREFIXES: dict[str, str] = {
    "cckg": ONTOLOGY_NS,
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "prov": "http://www.w3.org/ns/prov#",
    "geo": "http://www.opengis.net/ont/geosparql#",
    "schema": "https://schema.org/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "org": "http://www.w3.org/ns/org#",
    "vann": "http://purl.org/vocab/vann/",
    "void": "http://rdfs.org/ns/void#",
    "dcat": "http://www.w3.org/ns/dcat#",
    "sd": "http://www.w3.org/ns/sparql-service-description#",
    "sh": "http://www.w3.org/ns/shacl#",
}


def subset(*names: str) -> dict[str, str]:
    """The table restricted to ``names``, in that order."""
    return {n: PREFIXES[n] for n in names}
