"""Running a named query: the text sent to the store (bindings as VALUES, the page's LIMIT)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from rdflib.term import Node

from cckg.core.queries.memo import remembered
from cckg.core.queries.model import NamedQuery, QueryParamError
from cckg.core.queries.params import bindings_for, paging_for
from cckg.core.sparql_text import term_n3
from cckg.core.store import Row, Store, version_scope


def _values_block(bindings: Mapping[str, Node]) -> str:
    names = sorted(bindings)
    row = " ".join(term_n3(bindings[n]) for n in names)  # refuses anything but safe terms
    return f" VALUES ({' '.join('?' + n for n in names)}) {{ ({row}) }} "


def query_text(
    query: NamedQuery, bindings: Mapping[str, Node], limit: int | None = None, offset: int = 0
) -> str:
    """The text a run sends to the store.

    ``bindings`` become an inline VALUES block opening the WHERE group of the page select (of
    the query when it is not paged); a paged query's ``LIMIT`` becomes ``LIMIT limit OFFSET
    offset``. Values and numbers are serialised by this module, never taken from user text.
    """
    text = query.sparql
    edits: list[tuple[int, int, str]] = []
    if bindings:
        edits.append((query.values_at, query.values_at, _values_block(bindings)))
    if query.limit_span is not None and limit is not None:
        if not (isinstance(limit, int) and isinstance(offset, int) and limit >= 1 and offset >= 0):
            raise QueryParamError("limit must be a whole number ≥ 1 and offset one ≥ 0")
        clause = f"LIMIT {limit:d}" + (f" OFFSET {offset:d}" if offset else "")
        edits.append((*query.limit_span, clause))
    for start, end, insert in sorted(edits, reverse=True):
        text = text[:start] + insert + text[end:]
    return text


@dataclass(frozen=True)
class Page:
    """One run of a named query: its bound terms, its rows and where they stand."""

    bindings: dict[str, Node]
    rows: list[Row]
    limit: int | None  # None: not paged, all rows
    offset: int
    more: bool  # a next page exists

    @property
    def next_offset(self) -> int | None:
        """The offset of the next page (``offset + limit``), or None on the last page."""
        return self.offset + self.limit if self.more and self.limit else None


Select = Callable[[str], list[Row]]


def run_page(
    store: Store,
    query: NamedQuery,
    raw: Mapping[str, str | None],
    select: Select | None = None,
) -> Page:
    """Run a named query on the public dataset: one page of a paged query, else every row.

    The store is asked for ``limit + 1`` rows, to tell whether a next page exists.
    ``select`` runs the text instead of ``store.select`` (the web app's runner, which puts a
    time limit and size caps on it, and keeps answers itself); without it the answer is kept
    per store version (``memo.remembered``).
    """
    bindings = bindings_for(query, raw, store.base_iri)
    limit, offset = paging_for(query, raw)
    text = query_text(query, bindings, None if limit is None else limit + 1, offset)
    if select is None:
        with version_scope():  # one version asked for the key and the run
            rows = remembered(store, text, lambda: store.select(text, None, dataset="public"))
    else:
        rows = select(text)
    if limit is None:
        return Page(bindings, rows, None, 0, False)
    if query.page_keys is None:
        return Page(bindings, rows[:limit], limit, offset, len(rows) > limit)
    seen: set[tuple] = set()
    for at, row in enumerate(rows):  # rows of one page-select row are adjacent (_page_keys)
        key = tuple(row.get(v) for v in query.page_keys)
        if key not in seen:
            if len(seen) == limit:
                return Page(bindings, rows[:at], limit, offset, True)
            seen.add(key)
    return Page(bindings, rows, limit, offset, False)


def run(
    store: Store, query: NamedQuery, raw: Mapping[str, str | None]
) -> tuple[dict[str, Node], list[Row]]:
    """Run a named query on the public dataset: ``(bindings used, rows)`` (one page when it
    is paged: see ``run_page``)."""
    page = run_page(store, query, raw)
    return page.bindings, page.rows
