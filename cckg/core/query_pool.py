"""Run public SPARQL queries where they can be stopped: long-lived worker processes.

pyoxigraph cannot cancel a running query, so the public endpoint never runs a user query in a
server thread when the store is on disk. A small pool of worker processes (fresh interpreters
running ``python -m cckg.core.query_pool``) each open the store with ``Store.read_only``.
Measured with pyoxigraph 0.5.13: that works while the server holds the store read-write,
takes ~50 ms, and a reopen sees the server's committed writes (also those still only in the
write-ahead log); so a worker reopens when the store's files changed since it opened them. A
worker that exceeds the time limit gets SIGKILL and is replaced in the background, while the
other workers keep answering. A worker exits by itself when the server process is gone.

This module imports only the standard library, pyoxigraph and ``query_jobs`` (likewise),
because workers import it. Results are produced in the workers as bytes in the negotiated
format, capped at ``row_cap`` rows or triples, so the server process only passes them on.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

import pyoxigraph as ox

from cckg.core.query_jobs import QueryJob, QueryOutcome, failure, run_job

log = logging.getLogger("cckg.sparql")
OPEN_ATTEMPTS = 6
QUERY_NICE = 10  # added to the query processes' nice value (lower scheduling priority)


def open_read_only(path: str) -> ox.Store:
    """``Store.read_only``, tried again when the writer's compaction removed a table file
    between our reading of the manifest and of the file (RocksDB then reports "Corruption ...
    No such file"); a later attempt reads the new manifest."""
    for attempt in range(OPEN_ATTEMPTS):
        try:
            return ox.Store.read_only(path)
        except (OSError, RuntimeError) as e:
            raced = "No such file" in str(e) and os.path.exists(os.path.join(path, "CURRENT"))
            if attempt == OPEN_ATTEMPTS - 1 or not raced:
                raise
            time.sleep(0.02 * 2**attempt)
    raise AssertionError("unreachable")


def _signature(path: str) -> tuple[tuple[str, int, int], ...]:
    """What changes when the writer commits: WAL, manifest and table files (not the info LOG)."""
    out = []
    with os.scandir(path) as entries:
        for e in entries:
            if e.name.startswith(("LOG", "OPTIONS")):
                continue
            try:
                st = e.stat()
            except FileNotFoundError:  # removed by a compaction meanwhile
                continue
            out.append((e.name, st.st_size, st.st_mtime_ns))
    return tuple(sorted(out))


class _ReadOnlyView:
    """A read-only store that reopens itself when the writer has committed since."""

    def __init__(self, path: str):
        self.path = path
        self._sig = _signature(path)
        self._store = open_read_only(path)

    def get(self) -> ox.Store:
        sig = _signature(self.path)
        if sig != self._sig:
            self._store = open_read_only(self.path)
            self._sig = sig
        return self._store

    def reopen(self) -> None:
        self._sig = ()


def _watch_parent(parent_pid: int) -> None:
    """Exit when the server process is gone, even in the middle of a query (pyoxigraph releases
    the GIL while it evaluates, so this thread keeps running)."""

    def loop() -> None:
        while True:
            if os.getppid() != parent_pid:
                os._exit(0)
            time.sleep(1.0)

    threading.Thread(target=loop, name="parent-watch", daemon=True).start()


def worker_main(conn_in: Connection, conn_out: Connection, path: str, parent_pid: int) -> None:
    """Body of a worker process: answer jobs from ``conn_in`` until told to stop."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C on `cckg serve` is the server's
    # Below the server's own priority: queries that run to the time limit can fill every
    # core, and the threads that answer /health and cached pages must still get one.
    os.nice(QUERY_NICE)
    _watch_parent(parent_pid)
    try:
        view = _ReadOnlyView(path)
    except Exception as e:
        conn_out.send(("failed", f"{type(e).__name__}: {e}"))
        return
    conn_out.send(("ready", os.getpid()))
    while True:
        try:
            job = conn_in.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        try:
            outcome = run_job(view.get(), job)
        except OSError as e:  # reopening failed: tell the server, try again next time
            outcome = failure("store", str(e))
        if not outcome.ok and outcome.error_kind == "store":
            view.reopen()
        conn_out.send(outcome)


# ---------------------------------------------------------------- the pool


@dataclass(eq=False)
class _Worker:
    proc: subprocess.Popen[bytes]
    send: Connection
    recv: Connection

    @property
    def pid(self) -> int:
        return self.proc.pid


class QueryPool:
    """``size`` worker processes over the on-disk store at ``path``; thread-safe.

    Workers are fresh interpreters (``python -m cckg.core.query_pool``), not multiprocessing
    children: spawn would re-run the server's ``__main__`` module in every worker, and fork
    would copy a process with RocksDB and waitress threads running.
    """

    retry_delay_s = 5.0  # after a worker failed to start (e.g. no store at ``path``)

    def __init__(self, path: str, size: int = 2, start_timeout_s: float = 30.0):
        self.path = path
        self.size = max(1, int(size))
        self.start_timeout_s = start_timeout_s
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._lock = threading.Lock()
        self._live: set[_Worker] = set()
        self._starting = 0
        self._closed = False
        self._retry_at = 0.0
        self.last_error: str | None = None
        self.killed = 0  # workers killed for exceeding the time limit
        self._ensure()

    # -- lifecycle

    def _ensure(self) -> None:
        """Start workers in the background until live + starting reaches ``size``."""
        with self._lock:
            missing = 0
            if not self._closed and time.monotonic() >= self._retry_at:
                missing = max(0, self.size - len(self._live) - self._starting)
            self._starting += missing
        for _ in range(missing):
            threading.Thread(target=self._start_one, name="sparql-start", daemon=True).start()

    def _spawn(self) -> _Worker:
        job_r, job_w = os.pipe()
        res_r, res_w = os.pipe()
        package_root = str(Path(__file__).resolve().parent.parent)
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (package_root, env.get("PYTHONPATH", "")) if p
        )
        try:
            proc = subprocess.Popen(  # noqa: S603 (our own interpreter and module)
                [
                    sys.executable,
                    "-m",
                    "cckg.core.query_pool",
                    self.path,
                    str(os.getpid()),
                    str(job_r),
                    str(res_w),
                ],
                pass_fds=(job_r, res_w),
                stdin=subprocess.DEVNULL,
                env=env,
                close_fds=True,
            )
        finally:
            os.close(job_r)
            os.close(res_w)
        return _Worker(proc, Connection(job_w, readable=False), Connection(res_r, writable=False))

    def _start_one(self) -> None:
        worker = None
        try:
            worker = self._spawn()
            if not worker.recv.poll(self.start_timeout_s):
                raise RuntimeError("the worker did not start in time")
            msg = worker.recv.recv()
            if msg[0] != "ready":
                raise RuntimeError(msg[1])
        except Exception as e:
            log.error("SPARQL worker could not start: %s", e)
            if worker is not None:
                self._kill(worker)
            with self._lock:
                self.last_error = str(e) or type(e).__name__
                self._retry_at = time.monotonic() + self.retry_delay_s
                self._starting -= 1
            return
        with self._lock:
            self._starting -= 1
            closed = self._closed
            if not closed:
                self._live.add(worker)
                self.last_error = None
        if closed:
            self._kill(worker)
        else:
            self._idle.put(worker)

    @staticmethod
    def _kill(worker: _Worker) -> None:
        with contextlib.suppress(Exception):  # already gone
            worker.proc.kill()
            worker.proc.wait(timeout=5)
        for conn in (worker.send, worker.recv):
            with contextlib.suppress(OSError):
                conn.close()

    def _discard(self, worker: _Worker) -> None:
        with self._lock:
            self._live.discard(worker)
        self._kill(worker)
        self._ensure()

    def close(self) -> None:
        """Stop every worker (idempotent). Busy workers are killed: they only read."""
        with self._lock:
            self._closed = True
            workers = list(self._live)
            self._live.clear()
        for w in workers:
            self._kill(w)

    @property
    def closed(self) -> bool:
        return self._closed

    def pids(self) -> list[int]:
        with self._lock:
            return [w.pid for w in self._live]

    # -- running

    def _acquire(self, wait_s: float) -> _Worker | None:
        deadline = time.monotonic() + wait_s
        while True:
            self._ensure()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            try:
                worker = self._idle.get(timeout=min(remaining, 0.25))
            except queue.Empty:
                with self._lock:
                    hopeless = self.last_error is not None and not self._live
                    hopeless = hopeless and not self._starting
                if hopeless:
                    return None
                continue
            if worker.proc.poll() is None:
                return worker
            self._discard(worker)  # died while idle (killed from outside, OOM)

    def run(self, job: QueryJob, timeout_s: float) -> QueryOutcome:
        """Run ``job``; kill the worker if it takes longer than ``timeout_s`` seconds."""
        if self._closed:
            return failure("unavailable", "the SPARQL endpoint is shutting down")
        worker = self._acquire(timeout_s)
        if worker is None:
            if self.last_error is not None and not self._live:
                return failure("unavailable", f"no query worker could start: {self.last_error}")
            return failure("busy", f"all {self.size} query workers are busy; try again shortly")
        try:
            worker.send.send(job)
            if not worker.recv.poll(timeout_s):
                with self._lock:
                    self.killed += 1
                self._discard(worker)
                return failure("timeout", f"query exceeded the {timeout_s:g} s time limit")
            outcome = worker.recv.recv()
        except Exception:  # the worker died (e.g. out of memory) or sent garbage
            log.exception("SPARQL worker failed")
            self._discard(worker)
            return failure("internal", "the query worker stopped while running the query")
        self._idle.put(worker)
        return outcome


def _worker_cli(argv: list[str]) -> None:
    path, parent_pid, job_fd, result_fd = argv[0], int(argv[1]), int(argv[2]), int(argv[3])
    conn_in = Connection(job_fd, writable=False)
    conn_out = Connection(result_fd, readable=False)
    worker_main(conn_in, conn_out, path, parent_pid)


if __name__ == "__main__":
    # Run the imported module's code, so pickled results name ``cckg.core.query_pool`` classes.
    from cckg.core.query_pool import _worker_cli as worker_cli

    worker_cli(sys.argv[1:])
