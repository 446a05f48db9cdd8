"""The search index of a store's current version, built on first use and again when the
store's content changes: keyed on ``store.generation`` (a store that counts its own writes),
else on ``cckg.core.store_version.content_version`` (a remote store other processes write),
which is asked at most once every ``recheck_s`` seconds.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from cckg.core.search.index import SearchIndex
from cckg.core.semantic.index import SemanticIndex
from cckg.core.semantic.vectors import cache_for
from cckg.core.store import Store
from cckg.core.store_version import content_version

RECHECK_S = 10.0

SemanticSource = Callable[[], SemanticIndex | None]


def own_semantic_index(store: Store) -> SemanticSource:
    """A source that builds the store's sentence index (vectors kept in its derived folder)."""
    return lambda: SemanticIndex.build(store, cache=cache_for(store))


class SearchService:
    """Holds one ``SearchIndex`` per store version. ``semantic``: where the sentence index
    comes from (the matcher's, to share it; None: lexical search only)."""

    def __init__(
        self,
        store: Store,
        semantic: SemanticSource | None = None,
        recheck_s: float = RECHECK_S,
    ) -> None:
        self.store = store
        self.semantic = semantic
        self.recheck_s = recheck_s
        self._lock = threading.Lock()
        self._current: tuple[object, SearchIndex] | None = None
        self._checked = 0.0
        self.builds = 0

    def _version(self) -> object:
        if self.store.generation is not None:
            return self.store.generation
        now = time.monotonic()
        if self._current is not None and now - self._checked < self.recheck_s:
            return self._current[0]
        self._checked = now
        return content_version(self.store)

    def index(self) -> SearchIndex:
        """The index of the store's current version (built now if the store changed)."""
        version = self._version()
        current = self._current
        if current is not None and current[0] == version:
            return current[1]
        with self._lock:
            if self._current is None or self._current[0] != version:
                self._current = (version, SearchIndex(self.store, semantic=self.semantic))
                self.builds += 1
            return self._current[1]
