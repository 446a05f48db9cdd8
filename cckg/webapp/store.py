"""What the app holds of the store: the store itself, its query runner (chosen once, when the
app is built), and what is derived from its content (the matcher, the search index).

Pages import these accessors from here, never from the package root (as flaskr's ``db.py``).
"""

from __future__ import annotations

import atexit
import threading

from flask import Flask, current_app

from cckg.core.matching import Matcher
from cckg.core.search import SearchIndex
from cckg.core.store import Store
from cckg.core.store.runners import QueryRunner, runner_for

STORE = "cckg_store"
RUNNER = "cckg_runner"
MATCHER = "cckg_matcher"
SEARCH = "cckg_search"
_lock = threading.Lock()


def init_app(app: Flask, store: Store) -> None:
    """Attach the store and pick where public SPARQL queries run (in process, worker pool,
    remote store); the pool's workers stop when the interpreter exits."""
    app.extensions[STORE] = store
    runner = runner_for(store, workers=int(app.config.get("CCKG_SPARQL_WORKERS", 2)))
    app.extensions[RUNNER] = runner
    atexit.register(runner.close)


def _app(app: Flask | None) -> Flask:
    return app or current_app._get_current_object()  # type: ignore[attr-defined]


def get_store(app: Flask | None = None) -> Store:
    return _app(app).extensions[STORE]


def get_runner(app: Flask | None = None) -> QueryRunner:
    return _app(app).extensions[RUNNER]


def get_matcher(app: Flask | None = None) -> Matcher:
    """One Matcher per app (it caches the theme labels), created on first use."""
    app = _app(app)
    matcher = app.extensions.get(MATCHER)
    if matcher is None:
        with _lock:
            matcher = app.extensions.get(MATCHER)
            if matcher is None:
                matcher = app.extensions[MATCHER] = Matcher(get_store(app))
    return matcher


def get_search_index(app: Flask | None = None) -> SearchIndex:
    """Built once per app from the store (curated data is small: hundreds of things)."""
    app = _app(app)
    index = app.extensions.get(SEARCH)
    if index is None:
        index = app.extensions[SEARCH] = SearchIndex(get_store(app))
    return index


def forget_derived(app: Flask) -> None:
    """Drop the matcher and the search index (after a write through this app)."""
    for key in (SEARCH, MATCHER):
        app.extensions.pop(key, None)


def local_path(iri: str, base: str) -> str:
    """Our own IRIs as paths on this server (so links work wherever it is deployed)."""
    return "/" + iri[len(base) :] if iri.startswith(base) else iri
