"""HTTP caching tied to the store's content, and per-version caches kept on the app.

The *store version* is a hash over every public graph's ``cckg:contentHash`` and
``prov:generatedAtTime`` (the PROV metadata the writer puts into each graph:
``Store.version``). Loads replace whole graphs and rewrite that metadata, so the version
changes exactly when public content does, whichever worker wrote. It is asked once per request
(one small query on a remote store; none on the embedded store, which counts its writes), or
at most every ``CCKG_VERSION_TTL_S`` seconds when that is set, and at once after
``invalidate(app)``: code that writes through this app (the admin update endpoint) calls that.

Everything derived from the store's content (dumps, VoID counts, label tables) lives in
``version_cache(app)``, a dict emptied whenever the version changes.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import Flask, Response, current_app, request

from cckg import __version__
from cckg.core.store import Store
from cckg.core.store_version import last_modified
from cckg.webapp.reliability import claim_heavy_slot
from cckg.webapp.store import get_store

EXTENSION = "cckg_caching"


@dataclass(frozen=True)
class StoreVersion:
    tag: str  # hex digest of the public graphs' metadata
    last_modified: datetime | None  # latest load time of a public graph


@dataclass
class _State:
    lock: threading.Lock = field(default_factory=threading.Lock)
    version: StoreVersion | None = None
    checked_at: float = 0.0
    generation: int | None = None  # the embedded store's write counter at the last check
    caches: dict[str, Any] = field(default_factory=dict)
    building: dict[str, threading.Lock] = field(default_factory=dict)  # one build per key


def _state(app: Flask) -> _State:
    state = app.extensions.get(EXTENSION)
    if state is None:
        state = app.extensions.setdefault(EXTENSION, _State())
    return state


def compute_version(store: Store) -> StoreVersion:
    """The version of ``store`` as ETags show it: its content rows (the same in every worker
    of a shared store) and, for a store that counts its own writes, that count too."""
    content = store.version()
    # The code version is part of the tag: a new release may render the same data differently.
    lines = [f"{g} {h} {when}" for g, h, when in content.rows]
    if store.generation is not None:  # writes that leave no metadata still change pages
        lines.append(f"writes {store.generation}")
    digest = hashlib.sha256("\n".join([__version__, *lines]).encode()).hexdigest()
    return StoreVersion(digest, last_modified(list(content.rows)))


def store_version(app: Flask | None = None) -> StoreVersion:
    """The current store version: asked once per request (``Store.version`` within the
    request's version scope), or at most every ``CCKG_VERSION_TTL_S`` seconds when that is set
    above 0 (the writing worker sees its own writes at once either way)."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    store = get_store(app)
    state = _state(app)
    ttl = float(app.config.get("CCKG_VERSION_TTL_S", 0.0))
    now = time.monotonic()
    generation = store.generation
    with state.lock:
        fresh = now - state.checked_at < ttl and generation == state.generation
        if state.version is not None and fresh:
            return state.version
    version = compute_version(store)
    with state.lock:
        if state.version is None or version.tag != state.version.tag:
            state.caches.clear()
        state.version, state.checked_at, state.generation = version, now, generation
    return version


def invalidate(app: Flask) -> None:
    """Forget the cached version (call after writing to the store through this app)."""
    state = _state(app)
    with state.lock:
        state.checked_at = 0.0
        state.version = None
        state.caches.clear()


def version_cache(app: Flask | None = None) -> dict[str, Any]:
    """A dict for values derived from the store's content; emptied when the version changes."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    store_version(app)
    return _state(app).caches


def cached(key: str, compute: Any, app: Flask | None = None, cheap: bool = False) -> Any:
    """``version_cache()[key]``, computed once per store version: concurrent first requests
    for the same key wait for one build (six cold requests for a dump build it once). A
    request that builds or waits takes a heavy slot first (503 when none is free), unless the
    build is ``cheap``: cold pages must not hold the threads ``/health`` relies on."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    caches = version_cache(app)
    state = _state(app)
    with state.lock:
        if key in caches:
            return caches[key]
        build = state.building.setdefault(key, threading.Lock())
        tag = state.version.tag if state.version is not None else None
    if not cheap:
        claim_heavy_slot()
    with build:
        with state.lock:
            if key in caches:  # built by the request we waited for
                return caches[key]
        value = compute()
        with state.lock:
            state.building.pop(key, None)
            now = state.version.tag if state.version is not None else None
            if now != tag:  # the store changed meanwhile: do not keep it
                return value
            return caches.setdefault(key, value)


def etag_for(version: StoreVersion, *parts: str) -> str:
    """A weak ETag for one representation of one URL (parts: e.g. the media type)."""
    suffix = hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:8]
    return f"{version.tag[:20]}-{suffix}"


def not_modified(etag: str, version: StoreVersion) -> bool:
    """Whether the request's validators match (If-None-Match first, then If-Modified-Since)."""
    if request.if_none_match:
        return request.if_none_match.contains_weak(etag)
    since = request.if_modified_since
    if since is not None and version.last_modified is not None:
        return version.last_modified <= since
    return False


def set_validators(response: Response, etag: str, version: StoreVersion) -> Response:
    response.set_etag(etag, weak=True)
    if version.last_modified is not None:
        response.last_modified = version.last_modified
    response.cache_control.public = True
    response.cache_control.max_age = int(current_app.config.get("CCKG_LD_MAX_AGE_S", 300))
    return response


@dataclass(frozen=True)
class CachedBody:
    body: bytes
    content_type: str
    headers: tuple[tuple[str, str], ...] = ()  # representation headers to send again
    etag: str = ""  # the weak ETag the headers carry, for revalidation without re-rendering


class BodyCache:
    """Rendered response bodies for one store version: least recently used out first.

    Bounded by entries and bytes so a crawler walking every thing cannot grow it without limit.
    Lives in ``version_cache``, so a load that changes the store empties it.
    """

    def __init__(self, max_entries: int = 4096, max_bytes: int = 64 * 1024 * 1024):
        # Bytes count keys too: a /sparql answer's key holds the query (up to 256 KB).
        self.max_entries, self.max_bytes = max_entries, max_bytes
        self._items: OrderedDict[tuple[str, ...], CachedBody] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: tuple[str, ...]) -> CachedBody | None:
        with self._lock:
            hit = self._items.get(key)
            if hit is not None:
                self._items.move_to_end(key)
            return hit

    def put(
        self,
        key: tuple[str, ...],
        body: bytes,
        content_type: str,
        headers: tuple[tuple[str, str], ...] = (),
        etag: str = "",
    ) -> None:
        size = _size(key, body)
        if size > self.max_bytes // 16:  # one huge page must not evict everything
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= _size(key, old.body)
            self._items[key] = CachedBody(body, content_type, headers, etag)
            self._bytes += size
            while self._items and (
                len(self._items) > self.max_entries or self._bytes > self.max_bytes
            ):
                dropped_key, dropped = self._items.popitem(last=False)
                self._bytes -= _size(dropped_key, dropped.body)

    def __len__(self) -> int:
        return len(self._items)


def _size(key: tuple[str, ...], body: bytes) -> int:
    return len(body) + sum(len(part) for part in key)


def body_cache(name: str, app: Flask | None = None) -> BodyCache:
    """The named body cache of the current store version (``CCKG_BODY_CACHE=0``: none kept)."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    entries = int(app.config.get("CCKG_BODY_CACHE", 4096))
    return cached(f"bodies:{name}", lambda: BodyCache(max(entries, 0)), app, cheap=True)
