"""A store's content version: a hash over every public graph's content hash and load time
(the PROV metadata the writer puts in each graph), from one small query. Loads and web writes
rewrite that metadata, so the version changes exactly when public content does, whichever
process wrote it: what caches of derived data key on where the store cannot count its writes
(a remote store)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from cckg.core.queries import helper
from cckg.core.store import Store


def content_rows(store: Store) -> list[tuple[str, str, str]]:
    """(graph, content hash, load time) of every public graph that has them."""
    rows = store.select(helper("internal/get_store_version"), dataset="public")
    return sorted((str(r["g"]), str(r["hash"]), str(r.get("time", ""))) for r in rows)


def content_version(store: Store) -> str:
    """The hex digest of :func:`content_rows`."""
    lines = "\n".join(" ".join(row) for row in content_rows(store))
    return hashlib.sha256(lines.encode()).hexdigest()


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
