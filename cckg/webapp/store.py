"""What the app holds of the store: the store itself, its query runner (chosen once, when the
app is built), and what is derived from its content (the matcher, the search index).

Pages import these accessors from here, never from the package root (as flaskr's ``db.py``).
"""

from __future__ import annotations

import atexit
import threading

import pyoxigraph as ox
from flask import Flask, current_app, g
from rdflib import URIRef

from cckg.core.matching import Matcher
from cckg.core.query_jobs import DEFAULT_MAX_BYTES, QueryJob
from cckg.core.search import SearchIndex
from cckg.core.search.service import SearchService
from cckg.core.store import (
    Row,
    Store,
    close_scope,
    open_scope,
    solutions,
    to_rdflib,
    version_scope,
)
from cckg.core.store.runners import QueryRunner, runner_for
from cckg.webapp.reliability import claim_heavy_slot

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
    app.before_request(_begin_version_scope)
    app.teardown_request(_end_version_scope)


def _begin_version_scope() -> None:
    """One version of the store per request: a remote store is asked for it once, and every
    cache keyed on it (matcher, search index, pages, answers) sees the same one."""
    g.cckg_version_scope = open_scope()


def _end_version_scope(_error: BaseException | None = None) -> None:
    token = g.pop("cckg_version_scope", None)
    if token is not None:
        close_scope(token)


def _app(app: Flask | None) -> Flask:
    return app or current_app._get_current_object()  # type: ignore[attr-defined]


def get_store(app: Flask | None = None) -> Store:
    return _app(app).extensions[STORE]


def get_runner(app: Flask | None = None) -> QueryRunner:
    return _app(app).extensions[RUNNER]


def public_graphs(app: Flask | None = None) -> list[URIRef]:
    """The public graph names: the embedded store keeps them (reset on its writes), a remote
    store lists them once per version (``RemoteStore.snapshot``)."""
    return get_store(_app(app)).public_graphs()


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
    """The search index of the store's current version (``SearchService``: rebuilt when the
    store's version changes), sharing the matcher's sentence index."""
    app = _app(app)
    service = app.extensions.get(SEARCH)
    if service is None:
        matcher = get_matcher(app)  # takes the lock itself
        with _lock:
            service = app.extensions.get(SEARCH)
            if service is None:
                service = SearchService(get_store(app), semantic=matcher.semantic_index)
                app.extensions[SEARCH] = service
    with version_scope():  # one version asked for both the check and the index
        if not service.ready():  # a build of seconds: it takes a heavy slot, as a query would
            claim_heavy_slot()
        return service.index()


def forget_derived(app: Flask) -> None:
    """Drop the matcher and the search index (after a write through this app)."""
    for key in (SEARCH, MATCHER):
        app.extensions.pop(key, None)


def local_path(iri: str, base: str) -> str:
    """Our own IRIs as paths on this server (so links work wherever it is deployed)."""
    return "/" + iri[len(base) :] if iri.startswith(base) else iri


class QueryLimitError(Exception):
    """A page's query hit the time limit, found the store busy, or failed (the status and
    message the page answers with)."""

    def __init__(self, status: int, message: str, retry_after: int | None = None):
        super().__init__(message)
        self.status, self.message, self.retry_after = status, message, retry_after


def limited_select(text: str, app: Flask | None = None) -> tuple[list[Row], bool]:
    """Rows of a SELECT over the public graphs, run where a time limit holds (the query runner:
    worker pool or remote store) and capped like ``/sparql`` (rows and bytes); ``(rows,
    truncated)``. Raises QueryLimitError."""
    app = _app(app)
    graphs = tuple(str(g) for g in public_graphs(app))
    timeout = float(app.config.get("CCKG_SPARQL_TIMEOUT_S", 10.0))
    job = QueryJob(
        text,
        graphs,
        graphs,
        results_format="json",
        row_cap=int(app.config.get("CCKG_SPARQL_ROW_CAP", 10000)),
        base_iri=get_store(app).base_iri,
        max_bytes=int(app.config.get("CCKG_SPARQL_MAX_BYTES", DEFAULT_MAX_BYTES)),
    )
    outcome = get_runner(app).run(job, timeout)
    if not outcome.ok:
        if outcome.error_kind in ("timeout", "busy"):
            retry = max(1, int(timeout))
            raise QueryLimitError(503, outcome.message, retry)
        if outcome.error_kind in ("store", "unavailable", "remote"):
            raise QueryLimitError(503, "the store is not available right now", 5)
        raise QueryLimitError(500, "the query could not be evaluated")
    parsed = solutions(ox.parse_query_results(outcome.body, format=ox.QueryResultsFormat.JSON))
    names = [v.value for v in parsed.variables]
    rows: list[Row] = [
        {n: to_rdflib(sol[n]) for n in names if sol[n] is not None} for sol in parsed
    ]
    return rows, outcome.truncated
