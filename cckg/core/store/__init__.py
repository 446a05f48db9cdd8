"""One store interface, two backends: embedded pyoxigraph on disk (``embedded.py``), or a remote
SPARQL 1.1 store (``remote.py``, through the one HTTP client in ``http.py``).

``base.py`` holds the interface and its errors; ``bulk_replace.py`` the embedded store's
crash-safe graph replacement; ``pool.py`` the worker processes that run public queries where
they can be stopped, and ``runners.py`` the choice between running in process, in the pool or
on the remote store, made once when the web app starts.
"""

from __future__ import annotations

from cckg.core.settings import Settings
from cckg.core.store.base import (
    Dataset,
    Part,
    QuerySyntaxError,
    Row,
    Store,
    StoreError,
    TermRow,
    canonical_hash,
    staging_name,
)
from cckg.core.store.embedded import PENDING, EmbeddedStore
from cckg.core.store.remote import EMPTY_GRAPH, RemoteStore, without_dataset_clauses
from cckg.core.store.terms import (
    OxResult,
    OxTerm,
    Term,
    construct_triples,
    solutions,
    sorted_terms,
    spo,
    to_oxigraph,
    to_rdflib,
    written,
)
from cckg.core.store.version import (
    ContentVersion,
    close_scope,
    is_public_graph,
    open_scope,
    version_scope,
)


def open_store(settings: Settings | None = None, read_only: bool = False) -> Store:
    """The store the settings name: remote when CCKG_ENDPOINT is set, else embedded on disk."""
    settings = settings or Settings.from_env()
    if settings.endpoint:
        return RemoteStore(settings.endpoint, settings.update_endpoint, settings.base_iri)
    return EmbeddedStore(settings.store_path, settings.base_iri, read_only=read_only)


__all__ = [
    "EMPTY_GRAPH", "ContentVersion", "close_scope", "open_scope", "version_scope",
    "PENDING", "Dataset", "EmbeddedStore", "OxResult", "OxTerm", "Part",
    "QuerySyntaxError", "RemoteStore", "Row", "Store", "StoreError", "Term", "TermRow",
    "canonical_hash", "construct_triples", "is_public_graph", "open_store", "solutions",
    "sorted_terms", "spo", "staging_name", "to_oxigraph", "to_rdflib", "without_dataset_clauses",
    "written",
]  # fmt: skip
