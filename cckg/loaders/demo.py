"""The curated data in an in-memory store: what the evaluations and quick experiments run on
when no store is configured."""

from __future__ import annotations

from cckg.core.store import EmbeddedStore
from cckg.loaders.pipeline import Loader, default_paths, parse_all


def in_memory_store() -> EmbeddedStore:
    """The curated data and the GeoNames cities it links to (not every city), in memory."""
    store = EmbeddedStore(None)
    sources = parse_all(default_paths(), store.base_iri, with_reference=True, all_cities=False)
    Loader(store, store.base_iri, quiet=True).load(sources)
    return store
