"""RDF files as sources: N-Triples, N-Quads and Turtle parsed by pyoxigraph into an OxGraph
(streamed from the file, no rdflib graph); JSON-LD, small by nature, through rdflib.

An N-Quads file is one source like any other file: its triples, whatever graph the file puts
them in, go to the file's own graph, except quads in reserved graphs: those in the private graph
(the shape of a backup) become the source's private part, validated by the private shapes and
written to the private graph only; a staging graph (the store's own) is refused.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph, URIRef

from cckg.core import iris
from cckg.core.gate.model import Location, ParsedSource, SourceError
from cckg.core.gate.oxgraph import OxGraph
from cckg.core.rdf_input import RdfInputError, parse_jsonld
from cckg.core.settings import DEFAULT_BASE_IRI
from cckg.core.store import to_rdflib

FORMATS = {
    ".ttl": "turtle",
    ".nt": "nt",
    ".nq": "nquads",
    ".jsonld": "json-ld",
    ".json": "json-ld",
}
_OX_FORMATS = {
    "turtle": ox.RdfFormat.TURTLE,
    "nt": ox.RdfFormat.N_TRIPLES,
    "nquads": ox.RdfFormat.N_QUADS,
}
_LINE_FORMATS = ("nt", "nquads")  # a triple per line: a subject's line can be found again


def parse_rdf_file(
    path: Path, base: str = DEFAULT_BASE_IRI, graph_name: str | None = None
) -> ParsedSource:
    """Parse an RDF file; a violation's location is the file, the subject's line (N-Triples,
    N-Quads) and the subject's IRI."""
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise SourceError(f"unsupported RDF file type {path.suffix!r}", Location(str(path)))
    name = graph_name or f"files/{path.stem}"
    if fmt == "json-ld":
        graph = _parse_jsonld(path)
        locations = {
            s: Location(str(path), record=str(s))
            for s in set(graph.subjects())
            if isinstance(s, URIRef)
        }
        return ParsedSource(path, name, graph, locations=locations)
    data, private = _parse_ox(path, fmt, base)
    line_of = (lambda iri: _subject_line(path, iri)) if fmt in _LINE_FORMATS else None
    return ParsedSource(path, name, data, private=private, line_of=line_of)


def _parse_ox(path: Path, fmt: str, base: str) -> tuple[OxGraph, Graph]:
    """The file's public triples, and the quads it puts in the private graph."""
    store = ox.Store()
    try:
        store.load(path=str(path), format=_OX_FORMATS[fmt], base_iri=f"file:///{path.name}")
    except SyntaxError as e:
        msg = re.sub(r" \([^()]*\bline \d+\)$", "", str(e))  # the file and line come apart
        raise SourceError(f"{fmt} syntax error: {msg}", Location(str(path), e.lineno)) from e
    except OSError as e:
        raise SourceError(f"cannot read file: {e.strerror or e}", Location(str(path))) from e
    private = Graph()
    if fmt == "nquads" and next(store.named_graphs(), None) is not None:
        private = _reserved_graphs(store, path, base)
        # every other graph of the file into the one source graph
        store.update("INSERT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } } ; DROP NAMED")
    if not len(store) and not len(private):
        raise SourceError("the file holds no triples", Location(str(path)))
    return OxGraph(store), private


def _reserved_graphs(store: ox.Store, path: Path, base: str) -> Graph:
    """Take the private graph's quads out of ``store`` (returned as a graph); refuse staging."""
    for g in store.named_graphs():
        if isinstance(g, ox.NamedNode) and g.value.startswith(f"{base}graph/staging/"):
            raise SourceError(
                f"the file puts quads in {g.value}, a staging graph of the store's own",
                Location(str(path)),
            )
    name = ox.NamedNode(str(iris.private_graph(base)))
    private = Graph()
    if store.contains_named_graph(name):
        for q in store.quads_for_pattern(None, None, None, name):
            private.add((to_rdflib(q.subject), to_rdflib(q.predicate), to_rdflib(q.object)))
        store.remove_graph(name)
    return private


def _parse_jsonld(path: Path) -> Graph:
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise SourceError(f"cannot read file: {e.strerror}", Location(str(path))) from e
    if not raw.strip():
        raise SourceError("the file is empty", Location(str(path)))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise SourceError("not valid UTF-8 text", Location(str(path), line)) from e
    try:
        return parse_jsonld(text, public_id=f"file:///{path.name}")
    except RdfInputError as e:
        raise SourceError(e.message, Location(str(path), e.line), e.field) from e


def _subject_line(path: Path, iri: str) -> int | None:
    """The line where ``<iri>`` first appears as a subject (only asked for violations)."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return _subject_lines(path, (stat.st_mtime_ns, stat.st_size)).get(f"<{iri}>".encode())


@lru_cache(maxsize=2)
def _subject_lines(path: Path, _stamp: tuple[int, int]) -> dict[bytes, int]:
    """First line of every subject of a file with one triple per line (built once, on demand)."""
    first: dict[bytes, int] = {}
    with path.open("rb") as f:
        for number, line in enumerate(f, 1):
            subject = line.lstrip().split(b" ", 1)[0]
            if subject.startswith(b"<") and subject not in first:
                first[subject] = number
    return first
