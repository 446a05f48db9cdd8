"""A store's content version, and the scope within which it is asked for once.

Every write through cckg (``cckg.core.writer``: ``cckg load``, ``/data``, ``/update``) states
each graph's content hash and load time in the graph itself. The version is those rows, read
with one small query (an index lookup on ``cckg:contentHash``: about a millisecond on the
Oxigraph server and Virtuoso at 10^6 triples), so a write through any process changes it for
every process. Caches of derived data (matcher facts, search index, sentence vectors, the
public graph list of a remote store) key on it and are reused across requests.

A *version scope* (one per web request; one per match or search elsewhere) asks a remote store
once and reuses the answer for every query inside it: a request sees one version throughout.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from dataclasses import dataclass
from functools import cache, cached_property
from typing import Any

from cckg.core import iris
from cckg.core.resources import resource_dir

# The (graph, content hash, load time) rows of one version.
VersionRows = tuple[tuple[str, str, str], ...]


@dataclass(frozen=True)
class ContentVersion:
    """What identifies a store's public content: each public graph's content hash and load time
    (``rows``), and the writes made through this store object (``writes``), which a write
    that bypasses the writer (tests, scripts) may make without changing any row."""

    rows: VersionRows
    writes: int = 0

    @cached_property
    def digest(self) -> str:
        """The hex digest of the rows alone: the same in every process (keys on disk)."""
        text = "\n".join(" ".join(row) for row in self.rows)
        return hashlib.sha256(text.encode()).hexdigest()

    @property
    def token(self) -> str:
        """The key of in-memory caches: the digest and this process's own writes."""
        return f"{self.digest[:32]}.{self.writes}"


@cache
def version_query() -> str:
    """``queries/internal/get_store_version.rq`` (read here: the query registry sits above the
    store layer)."""
    return (resource_dir("queries") / "internal" / "get_store_version.rq").read_text("utf-8")


def is_public_graph(name: str, base: str) -> bool:
    return name != str(iris.private_graph(base)) and not name.startswith(f"{base}graph/staging/")


def public_rows(rows: Iterable[tuple[str, str, str]], base: str) -> VersionRows:
    """The rows of public graphs of ours, sorted (the private graph's contact data and staging
    graphs change no public content)."""
    prefix = f"{base}graph/"
    return tuple(sorted(r for r in rows if r[0].startswith(prefix) and is_public_graph(r[0], base)))


# ---------------------------------------------------------------- scopes

_SCOPE: ContextVar[dict[int, Any] | None] = ContextVar("cckg_version_scope", default=None)


def open_scope() -> Token[dict[int, Any] | None]:
    """Start a version scope (for frameworks with separate begin/end hooks); give the token
    to :func:`close_scope`."""
    return _SCOPE.set({})


def close_scope(token: Token[dict[int, Any] | None]) -> None:
    try:
        _SCOPE.reset(token)
    except ValueError:  # ended in another context than it began: just end it
        _SCOPE.set(None)


@contextmanager
def version_scope() -> Iterator[None]:
    """Within it, each store is asked for its version at most once (nested scopes share the
    outermost one)."""
    if _SCOPE.get() is not None:
        yield
        return
    token = open_scope()
    try:
        yield
    finally:
        close_scope(token)


@contextmanager
def fresh_scope() -> Iterator[None]:
    """A scope of its own, inside any other: what a write reads must be current, not what the
    request began with."""
    token = open_scope()
    try:
        yield
    finally:
        close_scope(token)


def scoped(owner: object) -> Any:
    """What ``owner`` remembered in the current scope (None outside scopes)."""
    memo = _SCOPE.get()
    return None if memo is None else memo.get(id(owner))


def remember(owner: object, value: Any) -> None:
    memo = _SCOPE.get()
    if memo is not None:
        memo[id(owner)] = value
