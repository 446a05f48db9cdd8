"""`cckg serve`: the web app and SPARQL endpoint, served by granian.

granian (a Rust HTTP server for Python) runs the app in ``--workers`` processes, each with
``--threads`` threads that run requests. It was chosen over waitress on measurements of this
app (SPEC: about 1.5 times waitress with one worker); docs/deployment.md has the measured
figures of ``--workers 2``, with and without nginx's cache in front.

The worker processes are started with ``spawn`` (fresh interpreters), never ``fork``: the
main process may hold an open RocksDB store with its own threads. Each worker builds the app
from the environment (``worker_app``), warms its matcher, search index and need/offer pages
before it takes requests (for at most ``CCKG_WARM_UP_WAIT_S`` seconds, default 120; the rest
goes on in the background), and runs its own pool of query processes.

Workers and the embedded store: pyoxigraph lets one process open an on-disk store for writing.

* ``--workers 1``: the worker opens it read-write, as before (writes through ``/update``,
  ``/data``).
* ``--workers N`` > 1: the main process opens it read-write and keeps it open (so nothing else
  can write it while it is served: a read-only view of a store that another process writes is
  undefined in RocksDB), and every worker opens it read-only. Writes through the app need one
  worker, so a set ``CCKG_ADMIN_TOKEN`` is refused at start; load new data with ``cckg load``
  while the server is stopped. A remote store (``CCKG_ENDPOINT``) has no such limit.
"""

from __future__ import annotations

import atexit
import gc
import logging
import multiprocessing
import os
import threading
import time
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import click

from cckg.cli.base import current_settings, main
from cckg.core.settings import Settings

if TYPE_CHECKING:
    from flask import Flask

    from cckg.core.store import EmbeddedStore

# What the main process tells its workers (environment variables, read by ``worker_app``).
ENV_THREADS = "CCKG_SERVER_THREADS"  # also the default of CCKG_HEAVY_SLOTS (threads - 2)
ENV_WORKERS = "CCKG_SERVER_WORKERS"
ENV_READ_ONLY = "CCKG_STORE_READ_ONLY"
# Query processes of the whole server when CCKG_SPARQL_WORKERS (per worker) is not set: split
# between the workers, at least one each (each holds the store open; 2 cores gain nothing from
# more than 2 running at once).
DEFAULT_QUERY_PROCESSES = 2
STOP_TIMEOUT_S = 30  # a worker that has not stopped this long after SIGTERM is killed
# How long a worker warms up before it takes requests (CCKG_WARM_UP_WAIT_S); then the rest of
# the warm-up goes on beside them. Requests that share the GIL with the warm-up wait for it:
# under the hostile load test (scripts/loadtest.py --mix redteam, 50 clients) started as soon
# as /health answered, /health p99 was 1.2-1.6 s with the warm-up in the background and 0.6 s
# once it had finished. The real graph warms up in about 10 s; at 1e6 triples, minutes.
WARM_UP_WAIT_S = 120.0


def warm_up_wait() -> float:
    """``CCKG_WARM_UP_WAIT_S`` in seconds (unset or empty: ``WARM_UP_WAIT_S``); ValueError
    unless it is a number, 0 or more."""
    text = os.environ.get("CCKG_WARM_UP_WAIT_S", "").strip()
    if not text:
        return WARM_UP_WAIT_S
    value = float(text)
    if not value >= 0:  # also NaN
        raise ValueError(text)
    return value


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Server processes. More than 1 on an embedded store serves it read-only.",
)
@click.option(
    "--threads",
    default=8,
    show_default=True,
    type=click.IntRange(1, 256),
    help="Threads per worker that run requests.",
)
def serve(host: str, port: int, workers: int, threads: int) -> None:
    """Serve the web app and SPARQL endpoint with granian."""
    from granian.constants import Interfaces
    from granian.log import LogLevels
    from granian.server import Server

    settings = current_settings()
    try:
        warm_up_wait()
    except ValueError:
        wait = os.environ.get("CCKG_WARM_UP_WAIT_S", "").strip()
        raise click.UsageError(
            f"CCKG_WARM_UP_WAIT_S must be a number of seconds, 0 or more, not {wait[:20]!r}"
        ) from None
    held = _hold_store(settings, workers)
    location = settings.endpoint or str(settings.store_path)
    os.environ[ENV_THREADS] = str(threads)
    os.environ[ENV_WORKERS] = str(workers)
    if held is not None:
        os.environ[ENV_READ_ONLY] = "1"
    os.environ.setdefault("CCKG_SPARQL_WORKERS", str(max(1, DEFAULT_QUERY_PROCESSES // workers)))
    os.environ.setdefault("CCKG_PUBLIC_URL", f"http://{host}:{port}/")  # links in e-mails
    multiprocessing.set_start_method("spawn", force=True)
    server = Server(
        "cckg.cli.serve:worker_app",
        address=host,
        port=port,
        interface=Interfaces.WSGI,
        workers=workers,
        blocking_threads=threads,
        websockets=False,
        factory=True,
        log_level=LogLevels.warning,
        workers_kill_timeout=STOP_TIMEOUT_S,
    )
    # granian warns when the threads outnumber 2 × cores + 1; ours mostly wait (on the query
    # processes, a remote store), and CCKG_HEAVY_SLOTS bounds the busy ones.
    logging.getLogger("_granian").addFilter(
        lambda record: not record.getMessage().startswith("Configuration allows spawning up to")
    )
    click.echo(f"Serving cckg on http://{host}:{port}/  (store: {location})", err=True)
    if held is not None:
        click.echo(f"  {workers} workers, each with the store open read-only", err=True)
    try:
        server.serve()  # until SIGINT or SIGTERM: granian stops the workers gracefully
    finally:
        if held is not None:
            held.close()


def _hold_store(settings: Settings, workers: int) -> EmbeddedStore | None:
    """Check that an embedded store can be served, finishing a write a crash interrupted.
    With several workers, return it open read-write (held until the server stops)."""
    if settings.endpoint:
        return None
    if workers > 1 and settings.admin_token:
        raise click.UsageError(
            "writes through the app (CCKG_ADMIN_TOKEN is set) need --workers 1 on an embedded "
            "store: pyoxigraph lets one process write it. Use --workers 1, unset "
            "CCKG_ADMIN_TOKEN, or serve a remote store (CCKG_ENDPOINT) with several workers."
        )
    from cckg.core.store import EmbeddedStore

    try:
        store = EmbeddedStore(settings.store_path, settings.base_iri)
    except OSError as e:
        raise click.ClickException(
            f"cannot open the store at {settings.store_path}: {e}. Is another `cckg serve` "
            "or `cckg load` using it?"
        ) from e
    if workers > 1:
        return store
    store.close()  # the one worker opens it read-write itself
    return None


def worker_app() -> Flask:
    """The app of one server worker (granian's factory, called in each worker process)."""
    from cckg.cli.mediation import housekeeping
    from cckg.webapp import create_app
    from cckg.webapp.mediation import db_path, get_mediation

    config: dict[str, Any] = {ENV_THREADS: int(os.environ.get(ENV_THREADS, "8"))}
    if os.environ.get(ENV_READ_ONLY) == "1":
        config[ENV_READ_ONLY] = True
    app = create_app(config)
    if os.environ.get("CCKG_WARM_UP", "1") != "0":
        warming = threading.Thread(target=_warm_up, args=(app,), name="warm-up", daemon=True)
        warming.start()
        warming.join(warm_up_wait())  # checked by serve(), which the worker runs under
    # Unconfirmed submissions purged and due follow-ups sent at start, then daily: by one
    # worker only (the first to take the lock beside the mediation database keeps it).
    db = db_path(app)
    if _housekeeper(db):
        threading.Thread(
            target=housekeeping,
            args=(lambda: get_mediation(app), threading.Event(), db),
            name="mediation",
            daemon=True,
        ).start()
    # Runs first at exit (last registered): freezing the heap spares the interpreter's exit a
    # garbage collection of all of it (the app, rdflib, the matcher's indexes), which takes
    # seconds of CPU on a busy machine. The query processes and the log still stop.
    atexit.register(gc.freeze)
    return app


_HOUSEKEEPER_LOCK: list[IO[bytes]] = []  # held open for the life of the worker


def _housekeeper(db: Path) -> bool:
    """Whether this worker does the mediation housekeeping: it takes an exclusive lock on a
    file beside the database (released by the system when the process ends)."""
    import fcntl

    try:
        db.parent.mkdir(parents=True, exist_ok=True)
        handle = (db.parent / f"{db.name}.housekeeping.lock").open("ab")
    except OSError:
        return False  # no folder to keep it in: the database cannot be there either
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        return False
    _HOUSEKEEPER_LOCK.append(handle)
    return True


def _warm_up(app: Flask) -> None:
    """Load the matcher's vocabulary and name indexes, build the search index and match the
    needs and offers, so the first match, search, need or offer page does not pay for them.
    The worker takes requests when this is done or ``CCKG_WARM_UP_WAIT_S`` has passed.

    It holds the GIL for long stretches when the store's sentence vectors were not computed
    at load time (a store filled by a bulk load or a restore): encoding them all took tens of
    CPU-minutes at 1e6 triples, while requests wait up to a switch interval (5 ms) for the GIL
    each. ``CCKG_WARM_UP=0`` leaves that to the first match or search request."""
    from cckg.webapp import kind_pages
    from cckg.webapp.store import get_matcher, get_search_index

    started = time.monotonic()
    try:
        get_matcher(app).warm_up()
        get_search_index(app)
        kind_pages.warm_up(app)  # need and offer pages show the matcher's answer
        click.echo(
            f"worker {os.getpid()} warmed up in {time.monotonic() - started:.1f} s", err=True
        )
    except Exception as e:  # a store that is not ready yet: the first request loads them
        click.echo(f"warm-up skipped: {type(e).__name__}: {e}", err=True)
