"""What the gate validates against: the SHACL shapes (public and private) and the ontology,
of which the gate uses the class hierarchy and the types it states."""

from __future__ import annotations

from pathlib import Path

from rdflib import RDFS, Graph

from cckg.core.resources import resource_dir

# The ontology files, in ontology/: loaded as graphs of their own and read by the gate.
ONTOLOGY_FILES = ("cckg.ttl", "themes.ttl", "regions.ttl")


def load_shapes(shapes_dir: Path | None = None) -> Graph:
    """The public shapes: every ``shapes/*.ttl`` but the private ones."""
    shapes_dir = shapes_dir or resource_dir("shapes")
    g = Graph()
    for path in sorted(shapes_dir.glob("*.ttl")):
        if path.name.startswith("private"):
            continue
        g.parse(path, format="turtle")
    return g


def load_private_shapes(shapes_dir: Path | None = None) -> Graph:
    """The shapes of the private graph (contact data): ``shapes/private*.ttl``."""
    shapes_dir = shapes_dir or resource_dir("shapes")
    g = Graph()
    for path in sorted(shapes_dir.glob("private*.ttl")):
        g.parse(path, format="turtle")
    return g


def load_ontology(ontology_dir: Path | None = None) -> Graph:
    """The ontology files that exist, in one graph."""
    ontology_dir = ontology_dir or resource_dir("ontology")
    g = Graph()
    for name in ONTOLOGY_FILES:
        path = ontology_dir / name
        if path.exists():
            g.parse(path, format="turtle")
    return g


def class_hierarchy(ontology: Graph) -> Graph:
    """Only the rdfs:subClassOf triples: what sh:class needs to see subclasses."""
    g = Graph()
    for t in ontology.triples((None, RDFS.subClassOf, None)):
        g.add(t)
    return g
