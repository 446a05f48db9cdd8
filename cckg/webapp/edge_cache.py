"""Repeated requests answered before Flask: whole responses kept per store version.

A page that may be reused marks its 200 answer with ``mark(version_tag)`` (the ``/sparql``
answers of an unchanged store: the same query gives the same bytes). This WSGI middleware
keeps such a response (status, headers, body) under everything the answer can depend on:
method, path, query string, ``Accept``, ``Host``, scheme, ``Origin`` (CORS), cookies and the
forwarded headers a trusted proxy adds. The next identical request is answered from it,
without Flask, while the store version is the same. Measured on the 1e6 bench store: a cached
``/sparql`` answer cost about 0.4 ms of CPU through Flask (guard, dataset, job, version, body
cache, headers) and about 0.05 ms here (docs/deployment.md).

A hit keeps the per-client rate limit (``reliability.rate_limited``); it skips the in-flight
cap and the heavy-route slots, which guard work a hit does not do. Conditional requests
(``If-None-Match``, ``If-Modified-Since``) and everything but GET go to Flask. The entries are
bounded by count and bytes; the oldest go first, and a new store version replaces them all.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from flask import Flask, request

from cckg.webapp import caching, reliability

ENVIRON_KEY = "cckg.edge_cache"  # the version tag a page's reusable answer was made at
PATHS = frozenset({"/sparql"})
KEY_HEADERS = (
    "QUERY_STRING",
    "HTTP_ACCEPT",
    "HTTP_HOST",
    "wsgi.url_scheme",
    "SCRIPT_NAME",
    "HTTP_ORIGIN",
    "HTTP_COOKIE",
    "HTTP_X_FORWARDED_PROTO",
    "HTTP_X_FORWARDED_HOST",
)
CONDITIONAL = ("HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE")
MAX_ENTRIES = 2048
MAX_BYTES = 32 * 1024 * 1024
MAX_BODY = 1024 * 1024

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def mark(version_tag: str) -> None:
    """Let the edge cache keep this request's answer (if it is a 200) for ``version_tag``."""
    request.environ[ENVIRON_KEY] = version_tag


@dataclass(frozen=True)
class _Entry:
    version: str
    status: str
    headers: list[tuple[str, str]]
    body: bytes


class EdgeCache:
    """WSGI middleware in front of the Flask app (see the module docstring)."""

    def __init__(self, app: Flask, wsgi_app: WsgiApp):
        self.app, self.wsgi_app = app, wsgi_app
        self.max_entries = int(app.config.get("CCKG_EDGE_CACHE", MAX_ENTRIES))
        self._items: dict[tuple[str, ...], _Entry] = {}
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if (
            self.max_entries <= 0
            or environ.get("REQUEST_METHOD") != "GET"
            or environ.get("PATH_INFO") not in PATHS
            or any(h in environ for h in CONDITIONAL)
        ):
            return self.wsgi_app(environ, start_response)
        key = (environ["PATH_INFO"], *(str(environ.get(h, "")) for h in KEY_HEADERS))
        entry = self._items.get(key)
        if (
            entry is not None
            and entry.version == caching.store_version(self.app).tag
            and not reliability.rate_limited(self.app, environ.get("REMOTE_ADDR"))
        ):
            self.hits += 1
            start_response(entry.status, entry.headers)
            return [entry.body]
        return self._miss(key, environ, start_response)

    def _miss(
        self, key: tuple[str, ...], environ: dict[str, Any], start_response: StartResponse
    ) -> Iterable[bytes]:
        seen: list[Any] = []

        def _start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            seen[:] = [status, headers]
            return start_response(status, headers, exc_info)

        body = self.wsgi_app(environ, _start)
        version = environ.get(ENVIRON_KEY)
        if version is None or not seen or not seen[0].startswith("200 "):
            return body
        headers = list(seen[1])
        if any(name.lower() == "set-cookie" for name, _ in headers):
            return body
        chunks = list(body)  # a marked answer is a bytes body already: nothing streams
        close = getattr(body, "close", None)
        if close is not None:
            close()
        data = b"".join(chunks)
        # Kept only while its version is current: a slow answer must not outlive a write.
        if len(data) <= MAX_BODY and version == caching.store_version(self.app).tag:
            self._put(key, _Entry(version, seen[0], headers, data))
        return [data]

    def _put(self, key: tuple[str, ...], entry: _Entry) -> None:
        size = len(entry.body) + sum(len(part) for part in key)
        with self._lock:
            if self._items and next(iter(self._items.values())).version != entry.version:
                self._items.clear()  # a new store version: the old answers are all stale
                self._bytes = 0
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= len(old.body) + sum(len(part) for part in key)
            self._items[key] = entry
            self._bytes += size
            while self._items and (len(self._items) > self.max_entries or self._bytes > MAX_BYTES):
                oldest = next(iter(self._items))
                dropped = self._items.pop(oldest)
                self._bytes -= len(dropped.body) + sum(len(part) for part in oldest)

    def __len__(self) -> int:
        return len(self._items)


def init_app(app: Flask) -> None:
    """Put the edge cache in front of the app (``CCKG_EDGE_CACHE=0``: none)."""
    app.wsgi_app = EdgeCache(app, app.wsgi_app)  # type: ignore[method-assign]
