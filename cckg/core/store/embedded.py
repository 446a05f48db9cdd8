"""The embedded backend: pyoxigraph on disk, with personal data in a store of its own.

The store writes the difference to the stored graphs by one bulk load, one update or a journal
(``bulk_replace.py``: Oxigraph copies quad by quad in an update, ten times slower).
"""

from __future__ import annotations

import io
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TypedDict

import pyoxigraph as ox
from rdflib import Graph, URIRef
from rdflib.term import Node

from cckg.core import iris
from cckg.core.settings import DEFAULT_BASE_IRI
from cckg.core.sparql_text import inject_values, term_n3
from cckg.core.store import bulk_replace
from cckg.core.store.base import (
    Dataset,
    Part,
    QuerySyntaxError,
    Row,
    StoreError,
    TermRow,
    move_update,
    ntriples_of,
)
from cckg.core.store.terms import (
    OxResult,
    canonical_ntriples,
    construct_triples,
    solutions,
    to_rdflib,
)
from cckg.core.store.version import (
    ContentVersion,
    is_public_graph,
    public_rows,
    version_query,
)

JOURNAL_WAIT_S = 600.0  # how long a read-only opener waits for another process to replay
PENDING = "pending-write"  # the journal of a big write (bulk_replace.py)


class _QueryDataset(TypedDict, total=False):
    """The dataset arguments of pyoxigraph's ``Store.query``."""

    use_default_graph_as_union: bool
    default_graph: list[ox.NamedNode | ox.BlankNode | ox.DefaultGraph]
    named_graphs: list[ox.NamedNode | ox.BlankNode]


class EmbeddedStore:
    """pyoxigraph on disk (or in memory when ``path`` is None).

    Personal contact data lives in a second pyoxigraph store (``{path}/private``), so the main
    store holds only public graphs: public queries can then use the fast union default graph
    (pyoxigraph is about ten times slower on an explicit list of default graphs), and the
    SPARQL endpoint's workers, which open only the main store, cannot reach personal data at
    all. The two stores are written one after the other (private first): a crash in between
    leaves contact data for people not yet public, never public data without its gate.
    """

    def __init__(
        self, path: Path | None, base_iri: str = DEFAULT_BASE_IRI, read_only: bool = False
    ) -> None:
        self.base_iri = base_iri
        self.path = path
        self.read_only = read_only
        self._private_name = iris.private_graph(base_iri)
        self._private: ox.Store | None
        if path is None:
            self._store, self._private = ox.Store(), ox.Store()
        elif read_only:
            _finish_interrupted_write(path)  # never read a half-applied write
            self._store = ox.Store.read_only(str(path))
            private = path / "private"
            self._private = (
                ox.Store.read_only(str(private)) if (private / "CURRENT").exists() else None
            )
        else:
            path.mkdir(parents=True, exist_ok=True)
            self._store = ox.Store(str(path))
            self._private = ox.Store(str(path / "private"))
            bulk_replace.recover(self._store, path / PENDING)  # a write a crash interrupted
        self._public: list[ox.NamedNode] | None = None
        self._public_refs: tuple[list[ox.NamedNode], list[URIRef]] | None = None
        self._only_public = False
        # Bumped by every write to the public graphs through this object: caches of query
        # results key on it, so they follow writes at once (other processes cannot write to an
        # open on-disk store). Contact data is not public: writing it alone changes no ETag.
        self.generation = 0
        self._version: ContentVersion | None = None

    @property
    def location(self) -> str:
        return str(self.path) if self.path is not None else "memory"

    @property
    def cache_dir(self) -> Path | None:
        return self.path / "derived" if self.path is not None else None

    @property
    def raw(self) -> ox.Store:
        """The main pyoxigraph store, for code that streams results (the SPARQL endpoint)."""
        return self._store

    def _dataset_kwargs(self) -> _QueryDataset:
        graphs = self._public_nodes()
        if self._only_public:
            return {"use_default_graph_as_union": True}
        # Staging graphs exist (a load is under way): name the public graphs explicitly. An
        # empty list would mean "the store default graph": make that explicit.
        # (copies: pyoxigraph's types want lists of the wider term types)
        named: list[ox.NamedNode | ox.BlankNode] = [*graphs]
        default: list[ox.NamedNode | ox.BlankNode | ox.DefaultGraph] = [*graphs]
        return {"default_graph": default or [ox.DefaultGraph()], "named_graphs": named}

    def _public_nodes(self) -> list[ox.NamedNode]:
        if self._public is None:
            graphs = [g for g in self._store.named_graphs() if isinstance(g, ox.NamedNode)]
            self._public = [g for g in graphs if is_public_graph(g.value, self.base_iri)]
            self._only_public = len(self._public) == len(graphs)
        return self._public

    def _query(
        self,
        store: ox.Store,
        query: str,
        bindings: Mapping[str, Node] | None,
        kwargs: _QueryDataset,
    ) -> OxResult:
        # Inline VALUES rather than pyoxigraph substitutions: those only accept projected
        # variables, and the same text then runs identically on the remote backend.
        try:
            text = inject_values(query, bindings or {})
            return store.query(text, **kwargs)
        except SyntaxError as e:
            raise QuerySyntaxError(str(e)) from e
        except OSError as e:
            raise StoreError(str(e)) from e
        except RuntimeError as e:  # pyoxigraph's evaluation errors (e.g. bad bindings)
            raise QuerySyntaxError(str(e)) from e

    def _runs(
        self, query: str, bindings: Mapping[str, Node] | None, dataset: Dataset
    ) -> list[OxResult]:
        """Results from the main store, and for ``dataset="all"`` from the private store too.

        With "all" a query runs on each store separately (no join across them): the callers
        read one graph at a time.
        """
        if dataset != "all":
            return [self._query(self._store, query, bindings, self._dataset_kwargs())]
        everything: _QueryDataset = {"use_default_graph_as_union": True}
        runs = [self._query(self._store, query, bindings, everything)]
        if self._private is not None:
            runs.append(self._query(self._private, query, bindings, everything))
        return runs

    def select(
        self, query: str, bindings: Mapping[str, Node] | None = None, dataset: Dataset = "public"
    ) -> list[Row]:
        rows: list[Row] = []
        for run in self._runs(query, bindings, dataset):
            result = solutions(run)
            names = [v.value for v in result.variables]
            rows.extend(
                {n: to_rdflib(sol[n]) for n in names if sol[n] is not None} for sol in result
            )
        return rows

    def select_terms(
        self, query: str, bindings: Mapping[str, Node] | None = None, dataset: Dataset = "public"
    ) -> list[TermRow]:
        rows: list[TermRow] = []
        for run in self._runs(query, bindings, dataset):
            result = solutions(run)
            names = [v.value for v in result.variables]
            rows.extend({n: sol[n] for n in names if sol[n] is not None} for sol in result)
        return rows

    def ask(
        self, query: str, bindings: Mapping[str, Node] | None = None, dataset: Dataset = "public"
    ) -> bool:
        return any(bool(r) for r in self._runs(query, bindings, dataset))

    def construct(
        self, query: str, bindings: Mapping[str, Node] | None = None, dataset: Dataset = "public"
    ) -> Graph:
        g = Graph()
        for result in self._runs(query, bindings, dataset):
            for t in construct_triples(result):
                g.add((to_rdflib(t.subject), to_rdflib(t.predicate), to_rdflib(t.object)))
        return g

    def version(self) -> ContentVersion:
        """Read again after each write through this object (no other process writes it)."""
        known = self._version
        if known is None or known.writes != self.generation:
            everything: _QueryDataset = {"use_default_graph_as_union": True}
            result = solutions(self._query(self._store, version_query(), None, everything))
            rows = [
                (g.value, h.value, t.value if t is not None else "")
                for g, h, t in ((s["g"], s["hash"], s["time"]) for s in result)
                if g is not None and h is not None
            ]
            known = self._version = ContentVersion(
                public_rows(rows, self.base_iri), self.generation
            )
        return known

    def named_graphs(self) -> list[URIRef]:
        names = {URIRef(g.value) for g in self._store.named_graphs() if isinstance(g, ox.NamedNode)}
        if self._private is not None and self._private.contains_named_graph(
            ox.NamedNode(str(self._private_name))
        ):
            names.add(self._private_name)
        return sorted(names)

    def public_graphs(self) -> list[URIRef]:
        nodes = self._public_nodes()
        cached = self._public_refs
        if cached is None or cached[0] is not nodes:  # rebuilt only when the list is
            cached = self._public_refs = (nodes, sorted(URIRef(g.value) for g in nodes))
        return list(cached[1])

    def replace_graphs(self, graphs: Mapping[URIRef, Sequence[Part]]) -> None:
        graphs = dict(graphs)
        private = graphs.pop(self._private_name, None)
        if private is not None:
            self._replace_private(private)
        if graphs:
            self._replace_main(graphs)  # bumps the generation

    def _replace_private(self, parts: Sequence[Part]) -> None:
        if self._private is None:
            raise StoreError("this store has no private part (opened read-only without one)")
        name = term_n3(self._private_name)
        body = ntriples_of(parts).decode("utf-8")
        # One update: the old contact data is replaced atomically.
        self._private.update(
            f"DROP SILENT GRAPH {name} ; INSERT DATA {{ GRAPH {name} {{\n{body}\n}} }}"
        )

    def _replace_main(self, graphs: Mapping[URIRef, Sequence[Part]]) -> None:
        # A diff against the stored graphs, written by one bulk load, one update or a
        # journal (bulk_replace.py): old or new state after a crash, never a mix.
        pending = self.path / PENDING if self.path is not None else None
        content = {str(t): canonical_ntriples(parts) for t, parts in graphs.items()}
        try:
            bulk_replace.replace(self._store, pending, content)
        finally:
            self._public, self.generation = None, self.generation + 1

    def drop_graphs(self, names: Iterable[URIRef]) -> None:
        names = list(names)
        if self._private_name in names and self._private is not None:
            self._private.update(f"DROP SILENT GRAPH {term_n3(self._private_name)}")
            names.remove(self._private_name)
        update = move_update({n: None for n in names})
        if update:
            self._store.update(update)
            self._public, self.generation = None, self.generation + 1

    def drop_staging(self) -> None:
        """Remove staging graphs a killed load left behind (they are never public)."""
        prefix = f"{self.base_iri}graph/staging/"
        self.drop_graphs(g for g in self.named_graphs() if str(g).startswith(prefix))

    def export_nquads(self, graphs: Iterable[URIRef] | None = None) -> bytes:
        """N-Quads of the given graphs; None means everything, the private part included.

        Written by pyoxigraph's ``dump``, which releases the GIL: iterating the quads in
        Python held it for the whole export (5.5 s for the real graph, with every other
        request thread of the server waiting), ``dump`` lets them run."""
        buf = io.BytesIO()
        if graphs is None:
            for source in (self._store, self._private):
                if source is not None:
                    buf.write(source.dump(format=ox.RdfFormat.N_QUADS) or b"")
        else:
            for g in graphs:
                source = self._private if g == self._private_name else self._store
                if source is not None:
                    name = ox.NamedNode(str(g))
                    triples = source.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=name) or b""
                    buf.write(_name_graph(triples, name))
        return buf.getvalue()

    def backup(self, target: Path) -> None:
        """A consistent copy of both parts (pyoxigraph's online backup)."""
        self._store.backup(str(target))
        if self._private is not None:
            self._private.backup(str(target / "private"))

    def close(self) -> None:
        if not self.read_only:
            self._store.flush()
            if self._private is not None:
                self._private.flush()
        del self._store
        self._private = None


def _finish_interrupted_write(path: Path) -> None:
    """Before a read-only open: a committed write a crash interrupted is finished first (a
    read-only store would see part of it). When no other process holds the store, open it
    read-write to replay the journal (with progress on the console); when one does, it
    replays it as it opens, so wait for the journal to go, or give up with a clear message."""
    journal = path / PENDING / bulk_replace.JOURNAL
    if not journal.exists():
        return
    try:
        store = ox.Store(str(path))
    except OSError:  # locked: the process that holds the store finishes the write
        deadline = time.monotonic() + JOURNAL_WAIT_S
        while journal.exists():
            if time.monotonic() > deadline:
                raise StoreError(
                    f"{path}: an interrupted write is still being finished by the process "
                    "that holds the store; try again when it has finished"
                ) from None
            time.sleep(0.5)
        return
    try:
        bulk_replace.recover(store, path / PENDING)
    finally:
        store.flush()
        del store


def _name_graph(ntriples: bytes, graph: ox.NamedNode) -> bytes:
    """N-Triples made N-Quads of ``graph``: pyoxigraph ends every statement with " .\n", and
    a literal's own line breaks are escaped, so each line end is a statement's end."""
    return ntriples.replace(b" .\n", b" " + str(graph).encode() + b" .\n")
