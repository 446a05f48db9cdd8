"""Overload protection and access logs.

* Per-client rate limit: a token bucket per client address, in memory (per worker process),
  ``CCKG_RATE_LIMIT`` requests per minute (0 or unset: off), bursts up to
  ``CCKG_RATE_BURST`` (default: the per-minute rate). Over the limit: 429 with Retry-After.
  ``/health`` is exempt so probes keep working under load. Behind a proxy, wrap the app in
  Werkzeug's ProxyFix so ``remote_addr`` is the real client.
* Concurrency cap: at most ``CCKG_MAX_INFLIGHT`` requests (0 or unset: no cap) are served at
  once; a request that finds no free slot within ``CCKG_QUEUE_WAIT_S`` (default 0: waiting
  would hold a server thread) gets 503 with Retry-After. Set it below the WSGI server's
  thread count (e.g. threads - 2) so ``/health`` always finds a free thread.
* Reserved capacity: routes that can keep a server thread busy for seconds (SPARQL, named
  queries, dumps, matching, writes) share ``CCKG_HEAVY_SLOTS`` threads (default: the server's
  threads, ``CCKG_SERVER_THREADS`` = 8, minus 2); a heavy request that finds none free gets 503
  at once, so ``/health`` and the cheap pages always find a thread.
* Access log: one JSON line per request on logger ``cckg.access`` (method, path, status,
  duration_ms, bytes, client), written by a WSGI middleware when the response is finished,
  so streamed bodies and error pages are timed too.
"""

from __future__ import annotations

import atexit
import json
import logging
import math
import queue
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from flask import Flask, Response, current_app, g, has_request_context, jsonify, request

from cckg.webapp.errors import WebError

access_log = logging.getLogger("cckg.access")
EXEMPT = ("/health",)
HEAVY_PATHS = ("/sparql", "/match", "/api/match", "/update", "/data")
HEAVY_PREFIXES = ("/queries/", "/dumps/")
MAX_CLIENTS = 10000  # buckets kept; the least recently seen are forgotten


class TokenBucket:
    """Token buckets keyed by client; thread-safe; ``rate`` tokens per second."""

    def __init__(self, per_minute: float, burst: float | None = None):
        self.rate = per_minute / 60.0
        self.capacity = max(1.0, burst if burst else per_minute)
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, key: str, now: float | None = None) -> float:
        """Take one token; returns 0 when allowed, else the seconds until one is available."""
        now = time.monotonic() if now is None else now
        with self._lock:
            tokens, last = self._buckets.pop(key, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - last) * self.rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                wait = 0.0
            else:
                self._buckets[key] = (tokens, now)
                wait = (1.0 - tokens) / self.rate
            while len(self._buckets) > MAX_CLIENTS:
                self._buckets.popitem(last=False)
        return wait


def _limiter(app: Flask) -> TokenBucket | None:
    per_minute = float(app.config.get("CCKG_RATE_LIMIT") or 0)
    if per_minute <= 0:
        return None
    bucket = app.extensions.get("cckg_rate_limit")
    if bucket is None or bucket.rate != per_minute / 60.0:
        burst = app.config.get("CCKG_RATE_BURST")
        bucket = app.extensions["cckg_rate_limit"] = TokenBucket(
            per_minute, float(burst) if burst else None
        )
    return bucket


def _rate_limit() -> Response | None:
    if request.path in EXEMPT:
        return None
    bucket = _limiter(current_app._get_current_object())  # type: ignore[attr-defined]
    if bucket is None:
        return None
    wait = bucket.take(request.remote_addr or "unknown")
    if wait <= 0:
        return None
    retry = max(1, math.ceil(wait))
    resp = jsonify(
        {
            "status": 429,
            "error": "Too Many Requests",
            "message": f"rate limit exceeded; retry in {retry} s",
        }
    )
    resp.status_code = 429
    resp.headers["Retry-After"] = str(retry)
    return resp


def rate_limited(app: Flask, client: str | None) -> bool:
    """Take a token for ``client`` outside a request (the edge cache's hits): True when it
    is over the limit (Flask then answers 429)."""
    bucket = _limiter(app)
    return bucket is not None and bucket.take(client or "unknown") > 0


def _inflight(app: Flask) -> threading.BoundedSemaphore | None:
    cap = int(app.config.get("CCKG_MAX_INFLIGHT") or 0)
    if cap <= 0:
        return None
    entry = app.extensions.get("cckg_inflight")
    if entry is None or entry[0] != cap:
        entry = app.extensions["cckg_inflight"] = (cap, threading.BoundedSemaphore(cap))
    return entry[1]


def _acquire_slot() -> Response | None:
    if request.path in EXEMPT:
        return None
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    slots = _inflight(app)
    if slots is None:
        return None
    wait = float(app.config.get("CCKG_QUEUE_WAIT_S", 0.0))
    if slots.acquire(blocking=wait > 0, timeout=wait if wait > 0 else None):
        g.cckg_slot = slots
        return None
    resp = jsonify(
        {
            "status": 503,
            "error": "Service Unavailable",
            "message": "the server is busy; retry in 1 s",
        }
    )
    resp.status_code = 503
    resp.headers["Retry-After"] = "1"
    return resp


def _release_slot(_exc: BaseException | None) -> None:
    for key in ("cckg_slot", "cckg_heavy_slot"):
        slots = g.pop(key, None)
        if slots is not None:
            slots.release()


def _heavy_slots(app: Flask) -> threading.BoundedSemaphore:
    threads = int(app.config.get("CCKG_SERVER_THREADS") or 8)
    cap = int(app.config.get("CCKG_HEAVY_SLOTS") or max(1, threads - 2))
    entry = app.extensions.get("cckg_heavy")
    if entry is None or entry[0] != cap:
        entry = app.extensions["cckg_heavy"] = (cap, threading.BoundedSemaphore(cap))
    return entry[1]


def _acquire_heavy() -> Response | None:
    if request.path not in HEAVY_PATHS and not request.path.startswith(HEAVY_PREFIXES):
        return None
    slots = _heavy_slots(current_app._get_current_object())  # type: ignore[attr-defined]
    if slots.acquire(blocking=False):
        g.cckg_heavy_slot = slots
        return None
    resp = jsonify(
        {
            "status": 503,
            "error": "Service Unavailable",
            "message": "all threads for queries are busy; retry in 1 s",
        }
    )
    resp.status_code = 503
    resp.headers["Retry-After"] = "1"
    return resp


def claim_heavy_slot() -> None:
    """Called by a request that must build something the store version lacks (a cold cache,
    the search index): the build takes a heavy slot, as a query would, so cold builds never
    hold the threads kept for ``/health`` and cached pages. Raises a 503 when none is free."""
    if not has_request_context() or g.get("cckg_heavy_slot") is not None:
        return
    slots = _heavy_slots(current_app._get_current_object())  # type: ignore[attr-defined]
    if not slots.acquire(blocking=False):
        raise WebError(
            "the server is still preparing this page; retry in 2 s", 503, {"Retry-After": "2"}
        )
    g.cckg_heavy_slot = slots


class AccessLog:
    """WSGI middleware: one JSON line per request, when the body has been produced.

    A body with a Content-Length up to ``BUFFER_BYTES`` is read here and handed on as one
    bytes object in a list: granian then sends it in one piece with its length (an iterator
    goes chunk by chunk, a call into the server each), and the line is written at once. A
    longer or streamed body is passed through and logged when the server closes it.
    Nothing here may be a generator: granian reads the status and headers as soon as the app
    returns, so ``start_response`` must have been called by then (Flask does).
    """

    def __init__(
        self, wsgi_app: Callable[..., Iterable[bytes]], sink: _LineSink | None = None
    ) -> None:
        self.wsgi_app = wsgi_app
        self.sink = sink  # None: through the logger (tests, a logging configuration)

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        started = time.perf_counter()
        seen: list[Any] = [0, None]  # status, Content-Length

        def _start(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Callable[[bytes], object]:  # WSGI's write()
            seen[0] = int(status.split(" ", 1)[0])
            seen[1] = next((v for k, v in headers if k.lower() == "content-length"), None)
            return start_response(status, headers, exc_info)

        body = self.wsgi_app(environ, _start)
        length = seen[1]
        if isinstance(body, list) or (
            length is not None and length.isdigit() and int(length) <= BUFFER_BYTES
        ):
            try:
                chunks = body if isinstance(body, list) else list(body)
            finally:
                close = getattr(body, "close", None)
                if close is not None:
                    close()
            self._log(environ, seen[0], sum(len(c) for c in chunks), started)
            return chunks
        return _LoggedBody(body, lambda sent: self._log(environ, seen[0], sent, started))

    def _log(self, environ: dict[str, Any], status: int, sent: int, started: float) -> None:
        entry = (
            environ.get("REQUEST_METHOD"),
            environ.get("PATH_INFO"),
            status,
            round((time.perf_counter() - started) * 1000, 2),
            sent,
            environ.get("REMOTE_ADDR"),
        )
        if self.sink is not None:
            self.sink.put(entry)
        elif access_log.isEnabledFor(logging.INFO):
            access_log.info(_line(entry))


BUFFER_BYTES = 1024 * 1024


class _LoggedBody:
    """A streamed body that counts its bytes and logs when the server closes it."""

    def __init__(self, body: Iterable[bytes], done: Callable[[int], None]) -> None:
        self.body, self.done, self.sent = body, done, 0
        self._iter = iter(body)

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        chunk = next(self._iter)
        self.sent += len(chunk)
        return chunk

    def close(self) -> None:
        try:
            close = getattr(self.body, "close", None)
            if close is not None:
                close()
        finally:
            self.done(self.sent)


def _line(entry: tuple[Any, ...]) -> str:
    return json.dumps(dict(zip(LOG_FIELDS, entry, strict=True)))


LOG_FIELDS = ("method", "path", "status", "duration_ms", "bytes", "client")


class _LineSink:
    """The access log's writer: request threads only enqueue a tuple; one thread formats the
    lines and writes what has queued up with one write and one flush. (A logging record per
    request, formatted and copied in the request thread, cost about 0.04 ms of CPU a
    request, a tenth of a cached answer; a slow stderr pipe then held a lock that every
    request waited for.)"""

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[tuple[Any, ...] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="access-log", daemon=True)
        self._thread.start()
        atexit.register(self.stop)

    def put(self, entry: tuple[Any, ...]) -> None:
        self._queue.put(entry)

    def _run(self) -> None:
        while True:
            batch = [self._queue.get()]
            while True:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            lines = [_line(e) + "\n" for e in batch if e is not None]
            if lines:
                try:
                    sys.stderr.write("".join(lines))
                    sys.stderr.flush()
                except (OSError, ValueError):  # stderr closed: nothing to log to
                    pass
            if None in batch:
                return

    def stop(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=5)


_sink: _LineSink | None = None
_sink_lock = threading.Lock()


def _default_sink() -> _LineSink:
    """The process's one writer of bare JSON lines on stderr."""
    global _sink
    with _sink_lock:
        if _sink is None:
            _sink = _LineSink()
        return _sink


def init_app(app: Flask) -> None:
    app.before_request(_rate_limit)
    app.before_request(_acquire_slot)
    app.before_request(_acquire_heavy)
    app.teardown_request(_release_slot)
    if access_log.level == logging.NOTSET:
        access_log.setLevel(logging.INFO)
    # Bare JSON lines on stderr, whatever format the root logger has, unless the logger has
    # handlers of its own (a deployment's logging configuration) or the app is under test.
    sink = None
    if not access_log.handlers and not app.testing and access_log.isEnabledFor(logging.INFO):
        sink = _default_sink()
    app.wsgi_app = AccessLog(app.wsgi_app, sink)  # type: ignore[method-assign]
