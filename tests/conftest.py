"""Shared fixtures: real stores (pyoxigraph on disk, a real Oxigraph server over HTTP)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from cckg.store import EmbeddedStore, RemoteStore

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1).read()  # noqa: S310 (loopback test server)
            return
        except Exception:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up in {timeout} s")


def oxigraph_binary() -> str:
    exe = shutil.which("oxigraph") or str(Path(os.sys.executable).parent / "oxigraph")
    if not Path(exe).exists():
        pytest.fail("the oxigraph server is not installed (pip install oxigraph)")
    return exe


@pytest.fixture
def oxigraph_server(tmp_path):
    """A real Oxigraph server on a free loopback port; stopped by PID afterwards."""
    port = free_port()
    proc = subprocess.Popen(
        [
            oxigraph_binary(),
            "serve",
            "--location",
            str(tmp_path / "oxi"),
            "--bind",
            f"127.0.0.1:{port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{base}/query?query=ASK%7B%7D")
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(params=["embedded", "remote"])
def store(request, tmp_path):
    """Each backend in turn, empty: the same tests must pass on both."""
    if request.param == "embedded":
        s = EmbeddedStore(tmp_path / "store")
        yield s
        s.close()
    else:
        base = request.getfixturevalue("oxigraph_server")
        yield RemoteStore(f"{base}/query", f"{base}/update")


# ---------------------------------------------------------------- the demo store

@pytest.fixture(scope="session")
def demo_store_path(tmp_path_factory) -> Path:
    """The real curated data + reference data (only the GeoNames cities it links to), loaded
    through the real pipeline into an on-disk store, once per session. Read-only for tests."""
    from loaders.pipeline import Loader, default_paths, parse_all

    path = tmp_path_factory.mktemp("demo") / "store"
    store = EmbeddedStore(path)
    sources = parse_all(default_paths(), store.base_iri, with_reference=True, all_cities=False)
    Loader(store, store.base_iri).load(sources)
    store.close()
    return path


@pytest.fixture(scope="session")
def demo_store(demo_store_path):
    """The demo store, opened once for the whole session (pyoxigraph: one opener per process)."""
    s = EmbeddedStore(demo_store_path)
    yield s
    s.close()


@pytest.fixture(scope="session")
def app(demo_store):
    from webapp import create_app

    return create_app({"TESTING": True, "CCKG_STORE_OBJECT": demo_store})


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture(scope="session")
def live_server(app):
    """The app behind a real WSGI server (waitress) on a free loopback port."""
    import threading

    from waitress.server import create_server

    port = free_port()
    server = create_server(app, host="127.0.0.1", port=port, threads=8, ident="cckg-test")
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    wait_http(f"{base}/health")
    yield base
    server.close()
