"""The search index of a store's current version, built on first use and again when the
store's content changes: keyed on ``Store.version().token``, which follows a write through
any process (one small query on a remote store, once per version scope: a web request)."""

from __future__ import annotations

import threading
from collections.abc import Callable

from cckg.core.search.index import SearchIndex
from cckg.core.semantic.index import SemanticIndex
from cckg.core.semantic.vectors import cache_for
from cckg.core.store import Store, version_scope

SemanticSource = Callable[[], SemanticIndex | None]


def own_semantic_index(store: Store) -> SemanticSource:
    """A source that builds the store's sentence index (vectors kept in its derived folder)."""
    return lambda: SemanticIndex.build(store, cache=cache_for(store))


class SearchService:
    """Holds one ``SearchIndex`` per store version. ``semantic``: where the sentence index
    comes from (the matcher's, to share it; None: lexical search only)."""

    def __init__(self, store: Store, semantic: SemanticSource | None = None) -> None:
        self.store = store
        self.semantic = semantic
        self._lock = threading.Lock()
        self._current: tuple[str, SearchIndex] | None = None
        self.builds = 0

    def ready(self) -> bool:
        """Whether the index of the store's current version is built (no build needed)."""
        with version_scope():
            current = self._current
            return current is not None and current[0] == self.store.version().token

    def index(self) -> SearchIndex:
        """The index of the store's current version (built now if the store changed)."""
        with version_scope():  # the version asked for and the build read the same store
            version = self.store.version().token
            current = self._current
            if current is not None and current[0] == version:
                return current[1]
            with self._lock:
                if self._current is None or self._current[0] != version:
                    self._current = (version, SearchIndex(self.store, semantic=self.semantic))
                    self.builds += 1
                return self._current[1]
