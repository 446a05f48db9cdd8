"""RDF files as sources: Turtle, N-Triples and JSON-LD, parsed into a ParsedSource."""

from __future__ import annotations

import json
import re
from pathlib import Path

from rdflib import Graph, URIRef

from cckg.settings import DEFAULT_BASE_IRI
from loaders.model import Location, ParsedSource, SourceError

FORMATS = {".ttl": "turtle", ".nt": "nt", ".jsonld": "json-ld", ".json": "json-ld"}


def _line_of(message: str) -> int | None:
    m = re.search(r"line (\d+)", message)
    return int(m.group(1)) if m else None


def parse_rdf_file(
    path: Path, base: str = DEFAULT_BASE_IRI, graph_name: str | None = None
) -> ParsedSource:
    """Parse an RDF file; every subject's location is the file and its IRI."""
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise SourceError(f"unsupported RDF file type {path.suffix!r}", Location(str(path)))
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
    if fmt == "json-ld":
        try:
            json.loads(text)
        except json.JSONDecodeError as e:
            raise SourceError(f"JSON syntax error: {e.msg}", Location(str(path), e.lineno)) from e
    g = Graph()
    try:
        g.parse(data=text, format=fmt, publicID=f"file:///{path.name}")
    except Exception as e:  # rdflib raises many exception types for syntax errors
        msg = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise SourceError(
            f"{fmt} syntax error: {msg}", Location(str(path), _line_of(str(e)))
        ) from e
    for _, _, o in g:
        if isinstance(o, URIRef) and re.search(r"[\s<>\"{}|^`\\]", str(o)):
            raise SourceError(f"invalid IRI {str(o)!r}", Location(str(path)))
    locations = {
        s: Location(str(path), record=str(s)) for s in set(g.subjects()) if isinstance(s, URIRef)
    }
    name = graph_name or f"files/{path.stem}"
    return ParsedSource(path, name, g, locations=locations)
