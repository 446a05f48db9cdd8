"""The store interface every backend implements, its errors, and helpers they share.

Graph policy: one named graph per source file / reference set, ``{base}graph/...``. Queries see
as their default graph the union of the *public* graphs (all named graphs except the private
graph and staging graphs), and only those as named graphs, so personal data never reaches a
query that does not ask for it on purpose (``dataset="all"``, used by loaders and admin code).

Writes replace whole graphs atomically (see ``embedded.py`` and ``remote.py``): crashes leave
the old or the new state, never a mix.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Literal as TypingLiteral
from typing import Protocol

from rdflib import Graph, URIRef
from rdflib.term import Node

from cckg.core.sparql_text import term_n3
from cckg.core.store.terms import OxTerm, Term
from cckg.core.store.version import ContentVersion

Dataset = TypingLiteral["public", "all"]
Row = dict[str, Term]
TermRow = dict[str, OxTerm]


class StoreError(Exception):
    """The store could not answer (connection, I/O)."""


class QuerySyntaxError(ValueError):
    """The SPARQL text does not parse."""


# A graph's content for a write: rdflib Graphs, or N-Triples bytes (the loaders' fast path).
Part = Graph | bytes


def ntriples_of(parts: Sequence[Part]) -> bytes:
    """The parts as N-Triples (rdflib graphs serialised, bytes taken as they are)."""
    return b"".join(
        p if isinstance(p, bytes) else p.serialize(format="nt", encoding="utf-8") for p in parts
    )


class Store(Protocol):
    """What every backend offers. Bindings are variable name -> rdflib term.

    ``generation`` is the store's own write counter: bumped by every write to the public graphs
    through the object; None when other processes may write (a remote store). Caches of derived
    data key on ``version().token``, which follows both writes through this object and writes
    through the writer in any process.
    ``location`` says where the data lives (a path, an endpoint URL or "memory"), for logs and
    the health check; ``cache_dir`` where data derived from it may be kept.
    """

    base_iri: str

    @property
    def generation(self) -> int | None: ...

    @property
    def location(self) -> str: ...

    @property
    def cache_dir(self) -> Path | None:
        """Where data derived from this store's content may be kept (sentence vectors): the
        embedded store's own folder; None for a store elsewhere (callers use a local one)."""
        ...

    def select(
        self, query: str, bindings: Mapping[str, Node] | None = None, dataset: Dataset = "public"
    ) -> list[Row]: ...

    def ask(
        self, query: str, bindings: Mapping[str, Node] | None = None, dataset: Dataset = "public"
    ) -> bool: ...

    def select_terms(
        self, query: str, bindings: Mapping[str, Node] | None = None, dataset: Dataset = "public"
    ) -> list[TermRow]:
        """Like ``select``, with pyoxigraph's own terms: no rdflib conversion, which costs more
        than the query on hot paths that read thousands of values (matching)."""
        ...

    def construct(
        self, query: str, bindings: Mapping[str, Node] | None = None, dataset: Dataset = "public"
    ) -> Graph: ...

    def version(self) -> ContentVersion:
        """The content version (``version.py``): the embedded store reads it again after each
        of its own writes; a remote store once per version scope (one small query)."""
        ...

    def named_graphs(self) -> list[URIRef]: ...

    def public_graphs(self) -> list[URIRef]: ...

    def replace_graphs(self, graphs: Mapping[URIRef, Sequence[Part]]) -> None:
        """Atomically make each target graph hold exactly the union of its parts."""

    def drop_graphs(self, names: Iterable[URIRef]) -> None: ...

    def export_nquads(self, graphs: Iterable[URIRef] | None = None) -> bytes:
        """N-Quads of ``graphs`` (None: all of them), every quad naming its graph."""
        ...

    def close(self) -> None: ...


def staging_name(target: URIRef, base: str) -> URIRef:
    digest = hashlib.sha256(str(target).encode()).hexdigest()[:16]
    return URIRef(f"{base}graph/staging/{digest}")


def move_update(moves: Mapping[URIRef, URIRef | None]) -> str:
    """One update request: each staging graph replaces its target (None: drop the target)."""
    ops = []
    for target, staging in moves.items():
        if staging is None:
            ops.append(f"DROP SILENT GRAPH {term_n3(target)}")
        else:
            ops.append(f"MOVE SILENT GRAPH {term_n3(staging)} TO GRAPH {term_n3(target)}")
    return " ;\n".join(ops)


def canonical_hash(nquads: bytes) -> str:
    """Order-independent hash of an N-Quads dump (for 'store untouched' checks)."""
    lines = sorted(line for line in nquads.splitlines() if line.strip())
    return hashlib.sha256(b"\n".join(lines)).hexdigest()
