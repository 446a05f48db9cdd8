"""A store's content version as the web layer shows it: the rows of ``Store.version()`` (each
public graph's content hash and load time, the PROV metadata the writer puts in each graph),
their digest, and the latest load time (``Last-Modified``). See ``cckg.core.store.version``."""

from __future__ import annotations

from datetime import UTC, datetime

from cckg.core.store import Store


def content_rows(store: Store) -> list[tuple[str, str, str]]:
    """(graph, content hash, load time) of every public graph that has them."""
    return list(store.version().rows)


def content_version(store: Store) -> str:
    """The hex digest of :func:`content_rows` (the same in every process)."""
    return store.version().digest


def last_modified(rows: list[tuple[str, str, str]]) -> datetime | None:
    """The latest load time among the rows (seconds precision), None when none parses."""
    times = []
    for _, _, value in rows:
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            continue
        times.append(parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC))
    return max(times).replace(microsecond=0) if times else None
