"""What the SHACL gate takes and returns: parsed sources with where each record came from, and
the located violations (or the source error) that refuse them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from rdflib import Graph, URIRef
from rdflib.term import Node

if TYPE_CHECKING:  # a type only: oxgraph.py imports nothing from here
    from cckg.core.gate.oxgraph import OxGraph


@dataclass(frozen=True)
class Location:
    """Where a record sits in its source: file, row or line, and the record's id."""

    file: str
    line: int | None = None  # 1-based line (YAML, Turtle) or row number (CSV, header = row 1)
    record: str | None = None  # the record's id / slug as written in the source

    def __str__(self) -> str:
        parts = [self.file]
        if self.line is not None:
            parts.append(f"line {self.line}")
        if self.record:
            parts.append(f"record {self.record!r}")
        return ", ".join(parts)


class SourceError(Exception):
    """The source cannot be read or parsed (exit code 2). Names the file, line and field."""

    def __init__(self, message: str, location: Location, field: str | None = None):
        self.message = message
        self.location = location
        self.field = field
        where = str(location) + (f", field {field!r}" if field else "")
        super().__init__(f"{where}: {message}")


@dataclass
class ParsedSource:
    """The pure result of parsing one source file.

    ``public`` goes into the source's own named graph: an rdflib Graph, or for RDF files an
    OxGraph (no rdflib on the way). ``private`` (contact data) goes into the private graph.
    ``locations`` maps each subject IRI to where it was written, so a SHACL violation can be
    reported as file / row / record / field; ``line_of`` finds a subject's line on demand
    instead (big line-based RDF files).
    """

    path: Path
    graph_name: str  # e.g. "curated/solutions"; becomes {base}graph/{graph_name}
    public: Graph | OxGraph
    private: Graph = field(default_factory=Graph)
    locations: dict[URIRef, Location] = field(default_factory=dict)
    # IRIs this source refers to that must exist somewhere (in this load or the store)
    references: dict[URIRef, Location] = field(default_factory=dict)
    line_of: Callable[[str], int | None] | None = None  # subject IRI -> line, if findable


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


class LoadRejectedError(Exception):
    """The data does not conform (exit code 1); nothing was written."""

    def __init__(self, violations: list[Violation]):
        self.violations = violations
        super().__init__(f"{len(violations)} violation(s)")


def violation_order(v: Violation) -> tuple:
    """The order violations are reported in: by file, line, focus node and field."""
    return (v.location.file, v.location.line or 0, v.focus, v.field or "")


def short_name(path: Node) -> str:
    """A result path as a field name: the local name of an IRI, else the term's text."""
    if isinstance(path, URIRef):
        text = str(path)
        for sep in ("#", "/"):
            if sep in text:
                return text.rsplit(sep, 1)[-1]
        return text
    return str(path)


def record_key(subject: Node) -> Node:
    """The record a subject belongs to: ``…/city/123#geometry`` is part of ``…/city/123``."""
    if isinstance(subject, URIRef) and "#" in subject and "/id/" in subject:
        return URIRef(subject.split("#", 1)[0])
    return subject


def locator(source: ParsedSource) -> Callable[[Node | None], Location]:
    """Where the record of a focus node was written: its source's location for it, else the
    file (with the subject's line where the source can find it) and the node."""

    def locate(node: Node | None) -> Location:
        key = record_key(node) if node is not None else None
        loc = source.locations.get(key) if isinstance(key, URIRef) else None
        if loc is not None:
            return loc
        line = None
        if source.line_of is not None and isinstance(key, URIRef):
            line = source.line_of(str(key))
        return Location(str(source.path), line, str(node) if node is not None else None)

    return locate
