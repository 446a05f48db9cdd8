"""`cckg serve`: the web app and SPARQL endpoint, served by waitress."""

from __future__ import annotations

import gc
import os
import threading
from typing import Any

import click

from cckg.cli.base import main


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int)
def serve(host: str, port: int, threads: int) -> None:
    """Serve the web app and SPARQL endpoint with waitress."""
    from waitress import serve as waitress_serve

    # Start-up: imported when the command runs (cckg --help stays quick).
    from cckg.cli.mediation import housekeeping
    from cckg.webapp import create_app
    from cckg.webapp.mediation import db_path, get_mediation

    config: dict[str, Any] = {"CCKG_SERVER_THREADS": threads}
    if not os.environ.get("CCKG_PUBLIC_URL"):  # links in e-mails lead here
        config["CCKG_PUBLIC_URL"] = f"http://{host}:{port}/"
    app = create_app(config)
    click.echo(
        f"Serving cckg on http://{host}:{port}/  (store: {app.config['CCKG_DESCRIPTION']})",
        err=True,
    )
    threading.Thread(target=_warm_up, args=(app,), name="warm-up", daemon=True).start()
    # Unconfirmed submissions purged and due follow-ups sent at start, then daily.
    threading.Thread(
        target=housekeeping,
        args=(lambda: get_mediation(app), threading.Event(), db_path(app)),
        name="mediation",
        daemon=True,
    ).start()
    waitress_serve(app, host=host, port=port, threads=threads, ident="cckg")
    # Stopped (Ctrl-C). The exit handlers still stop the query workers and flush the log;
    # freezing the heap spares the interpreter's exit a garbage collection of all of it (the
    # app, rdflib, the matcher's indexes), which takes seconds of CPU on a busy machine.
    gc.freeze()


def _warm_up(app: Any) -> None:
    """Load the matcher's vocabulary and name indexes, and build the search index, while the
    server already answers, so the first match or search request does not pay for them."""
    from cckg.webapp.store import get_matcher, get_search_index

    try:
        get_matcher(app).warm_up()
        get_search_index(app)
    except Exception as e:  # a store that is not ready yet: the first request loads them
        click.echo(f"warm-up skipped: {type(e).__name__}: {e}", err=True)
