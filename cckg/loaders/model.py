"""What a parser hands to the validation gate: graphs plus where each record came from."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from rdflib import Graph, URIRef

if TYPE_CHECKING:
    from cckg.loaders.oxgraph import OxGraph


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
